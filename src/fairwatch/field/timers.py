"""Timers that raise alarms for quiet units (pure, `now` passed in): a missed check-in, and a status held too
long (e.g. `dispatched` for more than 4 minutes without `en_route`). Each fires once per check-in or status."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from fairwatch.field.model import ON_DUTY, UnitStatus
from fairwatch.store import Unit

MISSED_CHECK_IN = "technical.unit_missed_check_in"
STATUS_OVERDUE = "technical.unit_status_overdue"


class Fire(StrEnum):
    """Which timer fired."""

    MISSED_CHECK_IN = "missed-check-in"
    STATUS_OVERDUE = "status-overdue"


@dataclass(frozen=True, slots=True)
class Timers:
    """How long an on-duty unit may go without a check-in, and how long it may hold a status (seconds; 0 off);
    `kinds` holds the complete timers of unit kinds that differ (field/operations.py)."""

    check_in: float = 15 * 60.0
    status_limits: dict[UnitStatus, float] = field(default_factory=lambda: {UnitStatus.DISPATCHED: 240.0})
    kinds: dict[str, Timers] = field(default_factory=dict)

    def of_kind(self, kind: str) -> Timers:
        """The timers for a unit of `kind`."""
        return self.kinds.get(kind, self)

    @classmethod
    def of_minutes(cls, check_in: float, dispatched: float) -> Timers:
        """Timers from the settings' minutes (0 turns one off)."""
        return cls(check_in * 60.0, {UnitStatus.DISPATCHED: dispatched * 60.0})


def due(unit: Unit, timers: Timers, now: float) -> list[Fire]:
    """The timers of `unit` that fire at `now` (each at most once for one check-in or one status)."""
    fired: list[Fire] = []
    timers = timers.of_kind(unit.kind)
    status = UnitStatus(unit.status)
    if (
        status in ON_DUTY
        and timers.check_in > 0
        and now - unit.last_check_in >= timers.check_in
        and unit.check_in_alarmed != unit.last_check_in
    ):
        fired.append(Fire.MISSED_CHECK_IN)
    limit = timers.status_limits.get(status, 0.0)
    if limit > 0 and now - unit.status_since >= limit and unit.status_alarmed != unit.status_since:
        fired.append(Fire.STATUS_OVERDUE)
    return fired


def next_deadline(unit: Unit, timers: Timers) -> float:
    """When the next timer of `unit` would fire if nothing changes (infinity: none)."""
    timers = timers.of_kind(unit.kind)
    status = UnitStatus(unit.status)
    times = [math.inf]
    if status in ON_DUTY and timers.check_in > 0 and unit.check_in_alarmed != unit.last_check_in:
        times.append(unit.last_check_in + timers.check_in)
    limit = timers.status_limits.get(status, 0.0)
    if limit > 0 and unit.status_alarmed != unit.status_since:
        times.append(unit.status_since + limit)
    return min(times)
