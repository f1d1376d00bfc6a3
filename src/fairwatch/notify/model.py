"""Runtime notification config: routes that match alarm changes, receivers and the retry policy.

Built from a notification file by `notify.config`; config types (YAML nodes) never reach the dispatcher.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from fairwatch.model import Alarm, Severity
from fairwatch.notify.templates import Templates

# Every kind of alarm change the alarm service emits, plus the dispatcher's own reminder.
CHANGE_KINDS: tuple[str, ...] = (
    "raised",
    "repeated",
    "escalated",
    "cleared",
    "reactivated",
    "acknowledged",
    "assigned",
    "commented",
    "resolved",
    "reopened",
    "reminder",
)
# What a route sends when it names no `changes`: what a person on call needs, not every repeat or comment.
DEFAULT_CHANGES = frozenset(
    {"raised", "escalated", "reactivated", "cleared", "resolved", "reopened", "reminder"}
)

CHANNELS: tuple[str, ...] = ("webhook", "email", "mqtt")


@dataclass(frozen=True, slots=True)
class Route:
    """Which alarm changes go to which receivers; an empty matcher matches anything."""

    index: int
    receivers: tuple[str, ...]
    name: str | None = None
    types: tuple[str, ...] = ()  # globs, e.g. fire.*
    severities: frozenset[Severity] | None = None
    zones: tuple[str, ...] = ()  # globs
    sites: tuple[str, ...] = ()  # globs
    changes: frozenset[str] = DEFAULT_CHANGES
    repeat_interval: float | None = None  # seconds; reminders while the alarm is unacknowledged
    escalation: str | None = None  # the escalation policy that alarms this route covers follow

    def matches(self, alarm: Alarm, kind: str) -> bool:
        """True if a change of `kind` to `alarm` goes to this route's receivers."""
        return kind in self.changes and self.covers(alarm)

    def covers(self, alarm: Alarm) -> bool:
        """True if the route's type, severity, zone and site matchers select `alarm` (whatever the change)."""
        if self.severities is not None and alarm.severity not in self.severities:
            return False
        return (
            _globs(self.types, alarm.type)
            and _globs(self.zones, alarm.zone)
            and _globs(self.sites, alarm.site)
        )


def _globs(patterns: tuple[str, ...], value: str | None) -> bool:
    if not patterns:
        return True
    return value is not None and any(fnmatchcase(value, p) for p in patterns)


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """POST the change as signed JSON to `url`."""

    url: str
    secret: str | None = field(default=None, repr=False)
    headers: tuple[tuple[str, str], ...] = ()
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class EmailConfig:
    """Send a text e-mail through an SMTP server; `starttls` None means "if the server offers it"."""

    smtp_host: str
    sender: str
    to: tuple[str, ...]
    smtp_port: int = 25
    starttls: bool | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0


@dataclass(frozen=True, slots=True)
class MqttConfig:
    """Publish changes to an MQTT broker at QoS 1; `retain` also keeps each alarm's state retained."""

    host: str
    port: int = 1883
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    topic_prefix: str = "fairwatch/alarms"
    retain: bool = False
    timeout: float = 10.0


ChannelConfig = WebhookConfig | EmailConfig | MqttConfig


@dataclass(frozen=True, slots=True)
class Receiver:
    """A named destination on one channel with its templates."""

    name: str
    channel: str  # webhook | email | mqtt
    config: ChannelConfig
    templates: Templates


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """One retry stage: backoff doubling from `initial` up to `maximum`, jittered, at most `max_attempts`."""

    max_attempts: int = 10
    initial: float = 5.0
    maximum: float = 600.0


@dataclass(frozen=True, slots=True)
class EscalationLevel:
    """Whom to notify once an alarm has been unacknowledged for `after` seconds, and again every `repeat`."""

    after: float
    receivers: tuple[str, ...]
    repeat: float | None = None


@dataclass(frozen=True, slots=True)
class EscalationPolicy:
    """Levels in order of `after`; `ack_timeout` re-notifies level 1 about an alarm acknowledged but unresolved."""

    name: str
    levels: tuple[EscalationLevel, ...]
    ack_timeout: float | None = None


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    """A whole notification file, checked and compiled."""

    receivers: dict[str, Receiver]
    routes: tuple[Route, ...]
    retry: RetryPolicy = RetryPolicy()
    source: str = "(none)"
    escalations: dict[str, EscalationPolicy] = field(default_factory=dict)

    def policies_for(self, alarm: Alarm) -> list[EscalationPolicy]:
        """The escalation policies named by every route that covers `alarm`, each once, in route order."""
        found: dict[str, EscalationPolicy] = {}
        for route in self.routes:
            if route.escalation is not None and route.covers(alarm):
                found.setdefault(route.escalation, self.escalations[route.escalation])
        return list(found.values())

    def receivers_for(self, alarm: Alarm, kind: str) -> list[Receiver]:
        """Receivers of every matching route, each once, in route order."""
        found: dict[str, Receiver] = {}
        for route in self.routes:
            if route.matches(alarm, kind):
                for name in route.receivers:
                    found.setdefault(name, self.receivers[name])
        return list(found.values())


EMPTY = NotifyConfig({}, ())
