"""`rate`: how fast the value of matching events changes, per group, over a sliding window of event time.

The rate is the least-squares slope of (event time, value) over the readings in `[now - window, now]`,
times `per`, rounded to 9 decimals so that a threshold written in the file compares as written. It needs
two readings at different times; with fewer it is unknown, which satisfies no threshold.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from fairwatch.model import DecisionKind, Event, Reason
from fairwatch.rules import explain
from fairwatch.rules.evaluator import CLEAR, MAX_IDS, RAISE, Evaluator, Out
from fairwatch.rules.state import EngineState, RateGroup

DECIMALS = 9


def slope(times: list[float], readings: list[float]) -> float | None:
    """Least-squares slope of readings over times (per second); None without two distinct times."""
    n = len(times)
    if n < 2:
        return None
    t0 = times[0]  # centre on the first time: epoch seconds squared would lose precision
    xs = [t - t0 for t in times]
    mean_x = sum(xs) / n
    mean_y = sum(readings) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, readings, strict=True))
    return sxy / sxx


class Rate(Evaluator):
    """Raise when a matching reading makes the rate satisfy the threshold; clear when it no longer does."""

    __slots__ = ()

    def rate(self, group: RateGroup) -> float | None:
        """The group's current rate in the rule's unit (`per`), or None."""
        per_second = slope(group.times, group.readings)
        return None if per_second is None else round(per_second * self.rule.rate_per_s, DECIMALS)

    def holds(self, rate: float | None) -> bool:
        """Whether `rate` satisfies the rule's threshold (an unknown rate never does)."""
        if rate is None:
            return False
        op, bound = self.rule.rate_op, self.rule.rate_threshold
        if op == "gt":
            return rate > bound
        if op == "gte":
            return rate >= bound
        return rate < bound if op == "lt" else rate <= bound

    def on_event(self, state: EngineState, event: Event, now: float, out: Out) -> None:
        """Add a matching reading (unless older than the window) and compare."""
        value = event.value
        if value is None or not self.rule.when[0].matches(event):
            return
        key, values = self.group(event)
        late = event.time < now - self.rule.within_s
        groups = state.groups.get(self.rule.index, {}) if late else self.groups(state)
        group = self.touch(groups, key, now, out)
        if late:
            return
        if group is None:
            group = groups[key] = RateGroup(values)
        at = bisect_right(group.times, event.time)
        group.times.insert(at, event.time)
        group.readings.insert(at, float(value))
        group.events.insert(at, event)
        if group.last is None or event.time >= group.last.time:
            group.last = event
        rate = self.rate(group)
        if self.holds(rate):
            group.fired = True
            self._decide(RAISE, Reason.THRESHOLD, group, key, event, rate, now, out)
        elif group.fired:
            group.fired = False
            self._decide(CLEAR, Reason.CLEARED, group, key, event, rate, now, out)

    def _decide(
        self,
        kind: DecisionKind,
        reason: Reason,
        group: RateGroup,
        key: str,
        event: Event,
        rate: float | None,
        now: float,
        out: Out,
    ) -> None:
        ids = tuple(e.id for e in group.events[-MAX_IDS:]) or (event.id,)  # an empty window: the newest
        text = explain.rate(self.rule, event, rate, group.readings, group.values, kind is RAISE)
        out.append(self.decide(kind, reason, key, group.values, now, event, ids, text, event.value))

    def due(self, group: RateGroup, key: str, now: float, out: Out) -> bool:
        """Drop readings that left the window; clear if the rate no longer satisfies the threshold."""
        gone = bisect_left(group.times, now - self.rule.within_s)  # a reading exactly at the edge stays
        if gone:
            del group.times[:gone]
            del group.readings[:gone]
            del group.events[:gone]
            rate = self.rate(group)
            if group.fired and not self.holds(rate):
                group.fired = False
                assert group.last is not None
                self._decide(CLEAR, Reason.CLEARED, group, key, group.last, rate, now, out)
        return not group.times and not group.fired
