"""The alarms a replay would have opened: one per dedup key, as the alarm service keeps them, in memory.

Nobody acknowledges or resolves anything in a replay, so an alarm stays open once raised. Each time it goes
active (its first RAISE, or a RAISE after a CLEAR) is an *activation*: what an operator would have seen
annunciated, and what the alarm-load report counts (ISA-18.2 counts annunciations, not rows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fairwatch.model import Decision, DecisionKind, Severity


@dataclass(slots=True)
class Activation:
    """One annunciation: the alarm for `key` went active at `raised_at` and (maybe) cleared at `cleared_at`."""

    key: str
    rule: str
    type: str
    group: dict[str, str]
    raised_at: float
    cleared_at: float | None = None


@dataclass(slots=True)
class KeyAlarm:
    """The open alarm of one dedup key: `count` RAISE decisions, `active` until a CLEAR."""

    key: str
    rule: str
    type: str
    severity: Severity
    group: dict[str, str]
    first_seen: float
    last_seen: float
    count: int = 1
    active: bool = True
    activations: list[Activation] = field(default_factory=list)


class AlarmBook:
    """Applies decisions like `alarms.service` does (open on RAISE, repeat, inactive on CLEAR), without a store."""

    __slots__ = ("activations", "alarms")

    def __init__(self) -> None:
        self.alarms: dict[str, KeyAlarm] = {}
        self.activations: list[Activation] = []  # in the order they happened

    def apply(self, decisions: Iterable[Decision]) -> None:
        """Apply rule decisions in order."""
        for d in decisions:
            alarm = self.alarms.get(d.key)
            if d.kind is DecisionKind.RAISE:
                if alarm is None:
                    alarm = self.alarms[d.key] = KeyAlarm(
                        d.key, d.rule, d.alarm_type, d.severity, dict(d.group), d.time, d.time, 0, False
                    )
                self._raise(alarm, d)
            elif alarm is not None and alarm.active:
                alarm.active = False
                alarm.activations[-1].cleared_at = d.time

    def _raise(self, alarm: KeyAlarm, d: Decision) -> None:
        alarm.count += 1
        alarm.last_seen = max(alarm.last_seen, d.time)
        if d.severity.rank < alarm.severity.rank:
            alarm.severity = d.severity  # escalation, as the alarm service does
        if not alarm.active:
            alarm.active = True
            activation = Activation(alarm.key, alarm.rule, alarm.type, alarm.group, d.time)
            alarm.activations.append(activation)
            self.activations.append(activation)
