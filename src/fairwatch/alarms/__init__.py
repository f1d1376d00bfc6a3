"""Alarms: dedup by key (`dedupe.apply`, pure, shared with replay), the handling lifecycle (pure), and the
service that is the only writer of alarm rows."""

from fairwatch.alarms.dedupe import Change, apply
from fairwatch.alarms.lifecycle import Action, allowed_actions, transition
from fairwatch.alarms.service import AlarmChange, AlarmService, stream_changes

__all__ = [
    "Action",
    "AlarmChange",
    "AlarmService",
    "Change",
    "allowed_actions",
    "apply",
    "stream_changes",
    "transition",
]
