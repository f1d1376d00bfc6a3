"""Notifications out: routes alarm changes to receivers (webhook, e-mail, MQTT) through a durable notification
log with one retry stage, escalates unacknowledged alarms, holds notifications back during silences, and issues
OASIS CAP 1.2 messages and a public Atom feed for alarms."""

from fairwatch.notify.cap_issuer import CapIssuer
from fairwatch.notify.config import load_notify, parse_notify
from fairwatch.notify.escalation import EscalationService
from fairwatch.notify.install import NotifyService, install
from fairwatch.notify.model import NotifyConfig, Receiver, Route
from fairwatch.notify.notifier import DeliveryError, Notifier, Permanent, Retryable
from fairwatch.notify.pipeline import Dispatcher
from fairwatch.notify.silences import SilenceService

__all__ = [
    "CapIssuer",
    "DeliveryError",
    "Dispatcher",
    "EscalationService",
    "Notifier",
    "NotifyConfig",
    "NotifyService",
    "Permanent",
    "Receiver",
    "Retryable",
    "Route",
    "SilenceService",
    "install",
    "load_notify",
    "parse_notify",
]
