"""Flow through a link from a line counter's cumulative totals (`counter.line`). Pure.

A line counter reports `forward` and `backward` totals, cumulative since its last restart. Each reading
after the first yields the people that crossed since the previous one (its *increment*), spread evenly
over the time between the two readings. So:

- a total lower than the previous one means the counter restarted: the new totals are what crossed since
  the restart (never a negative flow);
- after a gap (the counter was silent, or the link was unreachable) the people counted over the gap are
  spread over the whole gap, not piled into the last minute (no false surge);
- a reading older than the newest one is ignored (the totals already contain it).

The flow over a window ending at `now` is the people in the increments' parts inside the window, per
minute of the time the increments cover there; with no coverage it is unknown (None).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WINDOW_S = 60.0  # flow is measured over the last minute
KEEP_S = 3600.0  # increments older than this before the newest reading are forgotten


@dataclass(frozen=True, slots=True)
class Reading:
    """A counter's totals at one time."""

    time: float
    forward: float
    backward: float


@dataclass(frozen=True, slots=True)
class Increment:
    """People that crossed in (start, end]."""

    start: float
    end: float
    forward: float
    backward: float


@dataclass(slots=True)
class LineCount:
    """One counter's newest reading and the increments since `KEEP_S` before it."""

    last: Reading | None = None
    increments: list[Increment] = field(default_factory=list)
    restarts: int = 0
    changed: float = -math.inf  # time of the newest reading whose totals differed from the one before
    first: float = -math.inf  # time of the first reading

    def copy(self) -> LineCount:
        """An independent copy (readings and increments are immutable)."""
        return LineCount(self.last, self.increments.copy(), self.restarts, self.changed, self.first)

    def still_since(self) -> float:
        """Since when the totals have stood still: the newest change, else the first reading."""
        return max(self.changed, self.first)

    def add(self, reading: Reading) -> bool:
        """Apply a reading; False if it was ignored (older than or as old as the newest one)."""
        last = self.last
        if last is not None and reading.time <= last.time:
            return False
        self.last = reading
        if last is None:
            self.first = reading.time
            return True
        if (reading.forward, reading.backward) != (last.forward, last.backward):
            self.changed = reading.time
        if reading.forward < last.forward or reading.backward < last.backward:
            self.restarts += 1
            forward, backward = reading.forward, reading.backward  # counted since the restart
        else:
            forward, backward = reading.forward - last.forward, reading.backward - last.backward
        self.increments.append(Increment(last.time, reading.time, forward, backward))
        cutoff = reading.time - KEEP_S
        gone = 0
        while gone < len(self.increments) and self.increments[gone].end <= cutoff:
            gone += 1
        if gone:
            del self.increments[:gone]
        return True


def totals(value: object) -> float | None:
    """A cumulative total as sent: a whole number >= 0, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0 or value != int(value):
        return None
    return float(value)


def flows(count: LineCount, now: float, window: float = WINDOW_S) -> tuple[float, float] | None:
    """(forward, backward) persons per minute over `(now - window, now]`; None when nothing covers it."""
    start = now - window
    covered = forward = backward = 0.0
    for inc in reversed(count.increments):
        if inc.end <= start:
            break
        lo, hi = max(inc.start, start), min(inc.end, now)
        if hi <= lo:
            continue
        share = (hi - lo) / (inc.end - inc.start)
        covered += hi - lo
        forward += inc.forward * share
        backward += inc.backward * share
    if covered <= 0:
        return None
    return forward * 60.0 / covered, backward * 60.0 / covered


def counterflow(forward: float, backward: float) -> float:
    """The minority direction's share of both (0 to 0.5); 0 when nobody moves."""
    total = forward + backward
    return 0.0 if total <= 0 else min(forward, backward) / total
