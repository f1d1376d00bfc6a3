"""The alarms a replay would have opened: one per dedup key, kept by `alarms.dedupe.apply` exactly as the alarm
service keeps them, in memory.

Nobody acknowledges or resolves anything in a replay, so an alarm stays open once raised. Each time it goes
active (its first RAISE, or a RAISE after a CLEAR) is an *activation*: what an operator would have seen
annunciated, and what the alarm-load report counts (ISA-18.2 counts annunciations, not rows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fairwatch.alarms.dedupe import Change, apply
from fairwatch.model import Alarm, Decision


@dataclass(slots=True)
class Activation:
    """One annunciation: the alarm for `key` went active at `raised_at` and (maybe) cleared at `cleared_at`."""

    key: str
    rule: str
    type: str
    group: dict[str, str]
    raised_at: float
    cleared_at: float | None = None


class AlarmBook:
    """The open alarm of each dedup key and every activation, in the order they happened."""

    __slots__ = ("_latest", "activations", "alarms")

    def __init__(self) -> None:
        self.alarms: dict[str, Alarm] = {}
        self.activations: list[Activation] = []
        self._latest: dict[str, Activation] = {}  # the last activation of each key

    def apply(self, decisions: Iterable[Decision], now: float) -> None:
        """Apply rule decisions in order at simulated time `now`."""
        for d in decisions:
            alarm, change = apply(self.alarms.get(d.key), d, now)
            if alarm is None or change is Change.NONE:
                continue
            self.alarms[d.key] = alarm
            if change.activates:
                activation = Activation(alarm.key, alarm.rule, alarm.type, alarm.group, d.time)
                self._latest[d.key] = activation
                self.activations.append(activation)
            elif change is Change.CLEARED:
                self._latest[d.key].cleared_at = d.time
