"""How each kind of rule turns events and time into decisions. Pure: state lives in EngineState.

One evaluator per rule (see `evaluator.py` for what they share). docs/rules.md states the semantics.
`all`/`any` live in `corroboration.py`, `rate` in `rate.py`, `enter`/`exit`/`dwell` in `tracks.py`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from fairwatch.model import Event, Reason
from fairwatch.rules import explain
from fairwatch.rules.corroboration import Corroborated
from fairwatch.rules.evaluator import CLEAR, MAX_IDS, RAISE, Clearable, Evaluator, Out
from fairwatch.rules.model import Kind, Rule
from fairwatch.rules.rate import Rate
from fairwatch.rules.state import AbsentGroup, CountGroup, EngineState, FiringGroup, HeldGroup
from fairwatch.rules.tracks import Tracked


class Threshold(Clearable):
    """Plain `when`: every matching event raises; only `clear` ends it."""

    __slots__ = ()

    def on_event(self, state: EngineState, event: Event, now: float, out: Out) -> None:
        """Raise on a match; otherwise it may be a clear sample."""
        rule = self.rule
        when = rule.when[0]
        if event.type != when.type or not when.matches(event):
            if rule.clear is not None and event.type == rule.clear.type:
                self.clear_event(state, event, now, out)
            return
        key, values = self.group(event)
        if rule.clear is not None:
            self._fire(state, key, values, event, now, out)
        text = explain.threshold(rule, event, values)
        ids = (event.id,)
        out.append(self.decide(RAISE, Reason.THRESHOLD, key, values, now, event, ids, text, event.value))

    def _fire(
        self, state: EngineState, key: str, values: tuple[str, ...], event: Event, now: float, out: Out
    ) -> None:
        groups = self.groups(state)
        group = self.touch(groups, key, now, out)
        if group is None:
            group = groups[key] = FiringGroup(values)
        group.firing = True  # even a stale match re-raises the alarm, so it must stay clearable
        if event.time >= group.latest:
            group.latest, group.clear_since, group.clear_event = event.time, None, None

    def due(self, group: FiringGroup, key: str, now: float, out: Out) -> bool:
        """Run the clear timer; a group that is not firing is forgotten."""
        self.clear_due(group, key, now, out)
        return not group.firing


class Held(Clearable):
    """`when` with `for`: raise once the condition has held `for` (by `now`), then on every true sample."""

    __slots__ = ("horizon",)

    def __init__(self, rule: Rule) -> None:
        super().__init__(rule)
        self.horizon = rule.horizon()

    def on_event(self, state: EngineState, event: Event, now: float, out: Out) -> None:
        """A when-type event is a true or false sample (or outside the scope); others may be clear samples."""
        rule = self.rule
        when = rule.when[0]
        truth = when.sample(event) if event.type == when.type else None
        if truth is None:
            if rule.clear is not None and event.type == rule.clear.type:
                self.clear_event(state, event, now, out)
            return
        key, values = self.group(event)
        groups = self.groups(state)
        group = groups.get(key)
        if group is not None and self._idle(group, now):
            group = None  # what a tick would have forgotten
        if group is None:
            # Kept even for a false sample: its time makes an older true sample arriving later stale.
            group = groups[key] = HeldGroup(values)
        fresh = event.time >= group.latest  # an older sample says nothing about the present
        if truth and fresh:
            self.clear_due(group, key, now, out)  # a due `for` raise is left to this sample itself
        else:
            self.due(group, key, now, out)
        if not fresh:
            return
        if truth:
            self._true(group, key, event, now, out)
        else:
            self._false(group, key, event, now, out)

    def _true(self, group: HeldGroup, key: str, event: Event, now: float, out: Out) -> None:
        group.latest, group.event, group.clear_since, group.clear_event = event.time, event, None, None
        if group.since is None:
            group.since = now
        if group.firing or now - group.since >= self.rule.for_s:
            self._raise(group, key, event, now, out)

    def _false(self, group: HeldGroup, key: str, event: Event, now: float, out: Out) -> None:
        clear = self.rule.clear
        group.latest, group.since = event.time, None
        if clear is None:
            if group.firing:
                self.emit_clear(group, key, event, now, out)  # without `clear`, a false sample ends it
        elif clear.type == event.type:
            self.clear_sample(group, key, event, now, out)

    def _raise(self, group: HeldGroup, key: str, event: Event, now: float, out: Out) -> None:
        group.firing = True
        text = explain.held(self.rule, event, group.values)
        ids = (event.id,)
        out.append(self.decide(RAISE, Reason.HELD, key, group.values, now, event, ids, text, event.value))

    def emit_clear(self, group: FiringGroup, key: str, event: Event, now: float, out: Out) -> None:
        """Stop firing; the condition must hold for `for` again before the next raise."""
        assert isinstance(group, HeldGroup)
        group.since = None
        super().emit_clear(group, key, event, now, out)

    def due(self, group: HeldGroup, key: str, now: float, out: Out) -> bool:
        """Raise once held for `for`; run the clear timer; idle groups go once older than the horizon."""
        since, event = group.since, group.event
        if not group.firing and since is not None and event is not None and now - since >= self.rule.for_s:
            self._raise(group, key, event, now, out)
        else:
            self.clear_due(group, key, now, out)
        return self._idle(group, now)

    def _idle(self, group: HeldGroup, now: float) -> bool:
        return not group.firing and group.since is None and now - group.latest >= self.horizon


class Count(Evaluator):
    """`count`: matching events per group in a sliding window of event time ending at `now`."""

    __slots__ = ()

    def reached(self, n: int) -> bool:
        """Whether `n` events in the window satisfy the count operator."""
        rule = self.rule
        return n > rule.count_threshold if rule.count_op == "gt" else n >= rule.count_threshold

    def on_event(self, state: EngineState, event: Event, now: float, out: Out) -> None:
        """Count a matching event (unless it is older than the window) and compare."""
        if not self.rule.when[0].matches(event):
            return
        key, values = self.group(event)
        late = event.time < now - self.rule.within_s
        groups = state.groups.get(self.rule.index, {}) if late else self.groups(state)
        group = self.touch(groups, key, now, out)
        if late:
            return
        if group is None:
            group = groups[key] = CountGroup(values)
        at = bisect_right(group.times, event.time)
        group.times.insert(at, event.time)
        group.events.insert(at, event)
        group.last = event
        if self.reached(len(group.times)):
            group.fired = True
            ids = tuple(e.id for e in group.events[-MAX_IDS:])
            text = explain.count(self.rule, len(group.times), values, reached=True)
            out.append(self.decide(RAISE, Reason.COUNT, key, values, now, event, ids, text, event.value))

    def due(self, group: CountGroup, key: str, now: float, out: Out) -> bool:
        """Expire events that left the window; clear if the count dropped below the threshold."""
        gone = bisect_left(group.times, now - self.rule.within_s)  # an event exactly at the edge stays
        if gone:
            del group.times[:gone]
            del group.events[:gone]
        n = len(group.times)
        if group.fired and not self.reached(n):
            group.fired = False
            ids = tuple(e.id for e in group.events[-MAX_IDS:])
            text = explain.count(self.rule, n, group.values, reached=False)
            out.append(self.decide(CLEAR, Reason.CLEARED, key, group.values, now, group.last, ids, text))
        return not group.times and not group.fired


class Absent(Evaluator):
    """`absent`: raise once when a seen group has had no matching event for `for`; clear when one returns."""

    __slots__ = ()

    def on_event(self, state: EngineState, event: Event, now: float, out: Out) -> None:
        """Note the newest matching event; clear a raised absence if the group is now fresh."""
        if not self.rule.when[0].matches(event):
            return
        key, values = self.group(event)
        groups = self.groups(state)
        group = groups.get(key)
        if group is None:
            groups[key] = AbsentGroup(values, event)
            return
        self.due(group, key, now, out)
        if event.time >= group.last.time:
            group.last = event
        if group.fired and now - group.last.time < self.rule.for_s:
            group.fired = False
            text = explain.returned(self.rule, values)
            ids = (event.id,)
            out.append(self.decide(CLEAR, Reason.RETURNED, key, values, now, event, ids, text, event.value))

    def due(self, group: AbsentGroup, key: str, now: float, out: Out) -> bool:
        """Raise once the group has been silent for `for` since its newest event. Seen groups stay."""
        if not group.fired and now - group.last.time >= self.rule.for_s:
            group.fired = True
            text = explain.absent(self.rule, group.values)
            ids = (group.last.id,)
            out.append(self.decide(RAISE, Reason.ABSENT, key, group.values, now, group.last, ids, text))
        return False


EVALUATORS: dict[Kind, type[Evaluator]] = {
    Kind.THRESHOLD: Threshold,
    Kind.HELD: Held,
    Kind.COUNT: Count,
    Kind.ALL: Corroborated,
    Kind.ABSENT: Absent,
    Kind.RATE: Rate,
    Kind.ENTER: Tracked,
    Kind.EXIT: Tracked,
    Kind.DWELL: Tracked,
    Kind.ANY: Corroborated,
}
