"""Alarms: dedup by key, the handling lifecycle (pure), and the service that is the only writer of alarm rows."""

from fairwatch.alarms.lifecycle import Action, allowed_actions, transition
from fairwatch.alarms.service import AlarmChange, AlarmService

__all__ = ["Action", "AlarmChange", "AlarmService", "allowed_actions", "transition"]
