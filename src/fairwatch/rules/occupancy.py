"""Zone occupancy from counter events, and the readings derived from it (occupancy, density). Pure.

Per zone: the newest absolute reading (`crowd.count`, value = people now in the zone) is the baseline;
movements after it (`gate.entry` / `gate.exit`, value = people through, 1 if absent) are added to or taken
from it. A movement at or before the baseline's time is already in it. Occupancy is never below 0.
Movements and readings are sums and maxima, so events with equal times give the same occupancy in any
order. Movements older than `LATE_S` are final: folded into the baseline, and a counter event that old
is ignored. See docs/rules.md, "Occupancy and density".
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field

from fairwatch.model import Event
from fairwatch.rules.spec import DENSITY, OCCUPANCY

ENTRY, EXIT, COUNT = "gate.entry", "gate.exit", "crowd.count"
COUNTER_TYPES = frozenset({ENTRY, EXIT, COUNT})
LATE_S = 600.0  # counter events this much older than now are ignored; older movements are folded
REPLAY_S = 3600.0  # history replayed after a restart for rules on occupancy (see Rule.horizon)
MAX_PEOPLE = 2.0**50  # keeps every sum of counts exact in a float


@dataclass(slots=True)
class ZoneCount:
    """One zone's count: baseline (reading or folded movements) plus the movements after it."""

    base: float = 0.0
    base_time: float = -math.inf
    latest: float = -math.inf  # newest counter event time: the time the occupancy is "as of"
    moves: list[tuple[float, float]] = field(default_factory=list)  # (time, +/- people), sorted, > base_time
    pending: float = 0.0  # sum of the moves

    def occupancy(self) -> float:
        """People in the zone now."""
        return max(0.0, self.base + self.pending)


def people(event: Event) -> float | None:
    """The event's count of people: a whole number >= 0 (1 for a movement without value), else None."""
    value = event.value
    if value is None:
        return 1.0 if event.type != COUNT else None
    if not math.isfinite(value) or value < 0 or value != int(value) or value > MAX_PEOPLE:
        return None
    return float(value)


def apply(zones: dict[str, ZoneCount], event: Event, now: float) -> ZoneCount | None:
    """Apply one counter event received at `now`; the zone's count if the event took effect, else None."""
    n = people(event)
    if event.zone is None or n is None or event.time < now - LATE_S:
        return None
    count = zones.get(event.zone)
    fresh = count is None
    if count is None:
        count = ZoneCount()
    _fold(count, now - LATE_S)
    if event.type == COUNT:
        changed = _reading(count, event.time, n)
    else:
        changed = _move(count, event.time, n if event.type == ENTRY else -n)
    if not changed:
        return None
    if fresh:
        zones[event.zone] = count
    count.latest = max(count.latest, event.time)
    return count


def _move(count: ZoneCount, time: float, delta: float) -> bool:
    if time <= count.base_time:
        return False  # already in the baseline
    insort(count.moves, (time, delta))  # sorted by (time, delta): the same list whatever the arrival order
    count.pending += delta
    return True


def _reading(count: ZoneCount, time: float, n: float) -> bool:
    if time < count.base_time or (time == count.base_time and n <= count.base):
        return False  # an older reading; of two at one time the larger wins, in any order
    count.base, count.base_time = n, time
    gone = bisect_right(count.moves, (time, math.inf))
    del count.moves[:gone]
    count.pending = sum(d for _, d in count.moves)
    return True


def _fold(count: ZoneCount, cutoff: float) -> None:
    gone = bisect_left(count.moves, (cutoff, -math.inf))
    if gone:
        folded = sum(d for _, d in count.moves[:gone])
        count.base += folded
        count.pending -= folded
        count.base_time = count.moves[gone - 1][0]
        del count.moves[:gone]


ZoneInfo = tuple[int, float]  # (capacity, area in m²)


def derive(event: Event, count: ZoneCount, info: ZoneInfo | None, types: frozenset[str]) -> list[Event]:
    """The derived readings (of `types`) for the zone `event` changed; they carry the event's id."""
    occupancy = count.occupancy()
    data: dict[str, float] = {"occupancy": occupancy}
    if info is not None:
        capacity, area = info
        data.update(capacity=capacity, of_capacity=occupancy / capacity, area_m2=area)
        data["density"] = occupancy / area
    out: list[Event] = []
    if OCCUPANCY in types:
        out.append(_reading_event(event, OCCUPANCY, count.latest, occupancy, data))
    if DENSITY in types and info is not None:
        out.append(_reading_event(event, DENSITY, count.latest, data["density"], data))
    return out


def _reading_event(event: Event, type_: str, time: float, value: float, data: dict[str, float]) -> Event:
    return Event(
        event.id, event.source, type_, time, event.received, event.site, event.zone, value, None, data
    )
