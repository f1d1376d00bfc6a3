"""How each kind of rule turns events and time into decisions. Pure: state lives in EngineState.

One evaluator per rule. `on_event` sees only events whose type the rule mentions (the engine's index
guarantees it); `on_tick` sees only the rule's existing groups. docs/rules.md states the semantics.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

from fairwatch.model import Decision, DecisionKind, Event, Reason
from fairwatch.rules import explain
from fairwatch.rules.model import Kind, Rule
from fairwatch.rules.state import AbsentGroup, AllGroup, CountGroup, EngineState, FiringGroup, HeldGroup

MAX_IDS = 20  # event ids carried by one decision
RAISE, CLEAR = DecisionKind.RAISE, DecisionKind.CLEAR
Out = list[Decision]
Groups = dict[str, Any]


def _text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)


def _pick(group: dict[str, str], name: str, fallback: str | None) -> str | None:
    """The group's value when grouped by `name` ('' means missing), else the fallback."""
    return (group[name] or None) if name in group else fallback


class Evaluator:
    """Grouping and decision building shared by every kind."""

    __slots__ = ("prefix", "rule")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.prefix = f"{rule.id}|"

    def group(self, event: Event) -> tuple[str, tuple[str, ...]]:
        """The dedup key and group values of `event` for this rule (a missing value is '')."""
        rule = self.rule
        if not rule.getters:
            return self.prefix, ()
        values = tuple(_text(get(event)) for get in rule.getters)
        return self.prefix + ",".join(f"{k}={v}" for k, v in zip(rule.group_by, values, strict=True)), values

    def groups(self, state: EngineState) -> Groups:
        """This rule's groups, created on first use."""
        groups = state.groups.get(self.rule.index)
        if groups is None:
            groups = state.groups[self.rule.index] = {}
        return groups

    def decide(
        self,
        kind: DecisionKind,
        reason: Reason,
        key: str,
        values: tuple[str, ...],
        now: float,
        event: Event | None,
        ids: tuple[str, ...],
        text: str,
        value: float | None = None,
    ) -> Decision:
        """A decision; zone and site come from the group when grouped by them, else from `event`."""
        rule = self.rule
        group = dict(zip(rule.group_by, values, strict=True))
        zone = _pick(group, "zone", event.zone if event else None)
        site = _pick(group, "site", event.site if event else None)
        return Decision(
            kind,
            reason,
            rule.id,
            rule.alarm_type,
            rule.severity,
            key,
            group,
            now,
            ids,
            zone,
            site,
            value,
            text,
        )

    def on_event(self, state: EngineState, event: Event, now: float, out: Out) -> None:
        """Handle an event of a type this rule mentions."""
        raise NotImplementedError

    def on_tick(self, groups: Groups, now: float, out: Out) -> None:
        """Advance this rule's timers; drop groups with nothing left to remember."""


class Clearable(Evaluator):
    """The `clear` condition shared by threshold, held and all rules."""

    __slots__ = ()

    def clear_event(self, state: EngineState, event: Event, now: float, out: Out) -> None:
        """An event of the clear type that is not a when-match."""
        groups = state.groups.get(self.rule.index)
        key, _ = self.group(event)
        group = groups.get(key) if groups else None
        if group is not None:
            self.clear_sample(group, key, event, now, out)

    def clear_sample(self, group: FiringGroup, key: str, event: Event, now: float, out: Out) -> None:
        """Start, continue or reset the clear timer; clear once it has held `clear.for`."""
        clear = self.rule.clear
        truth = clear.sample(event) if clear is not None else None
        if truth is None or event.time < group.latest:
            return
        group.latest = event.time
        if not truth or not group.firing:
            group.clear_since = None
            return
        if group.clear_since is None:
            group.clear_since = now
        group.clear_event = event
        if now - group.clear_since >= self.rule.clear_for_s:
            self.emit_clear(group, key, event, now, out)

    def emit_clear(self, group: FiringGroup, key: str, event: Event, now: float, out: Out) -> None:
        """Stop firing and say so."""
        group.firing, group.clear_since, group.clear_event = False, None, None
        text = explain.cleared(self.rule, event, group.values)
        out.append(
            self.decide(CLEAR, Reason.CLEARED, key, group.values, now, event, (event.id,), text, event.value)
        )

    def tick_clear(self, group: FiringGroup, key: str, now: float, out: Out) -> None:
        """Clear a firing group whose clear condition has now held long enough."""
        since, event = group.clear_since, group.clear_event
        if group.firing and since is not None and event is not None and now - since >= self.rule.clear_for_s:
            self.emit_clear(group, key, event, now, out)


class Threshold(Clearable):
    """Plain `when`: every matching event raises; only `clear` ends it."""

    __slots__ = ()

    def on_event(self, state: EngineState, event: Event, now: float, out: Out) -> None:
        """Raise on a match; otherwise it may be a clear sample."""
        rule = self.rule
        when = rule.when[0]
        if event.type == when.type and when.matches(event):
            key, values = self.group(event)
            text = explain.threshold(rule, event, values)
            out.append(
                self.decide(RAISE, Reason.THRESHOLD, key, values, now, event, (event.id,), text, event.value)
            )
            if rule.clear is not None:
                self._fired(state, key, values, event)
        elif rule.clear is not None and event.type == rule.clear.type:
            self.clear_event(state, event, now, out)

    def _fired(self, state: EngineState, key: str, values: tuple[str, ...], event: Event) -> None:
        groups = self.groups(state)
        group = groups.get(key)
        if group is None:
            group = groups[key] = FiringGroup(values)
        group.firing = True  # even a stale match re-raised the alarm, so it must be clearable
        if event.time >= group.latest:
            group.latest, group.clear_since, group.clear_event = event.time, None, None

    def on_tick(self, groups: Groups, now: float, out: Out) -> None:
        """Run clear timers; forget groups that are not firing."""
        for key, group in list(groups.items()):
            self.tick_clear(group, key, now, out)
            if not group.firing:
                del groups[key]


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
        if group is None:
            # Kept even for a false sample: its time makes an older true sample arriving later stale.
            group = groups[key] = HeldGroup(values)
        if truth:
            self._true(group, key, event, now, out)
        else:
            self._false(group, key, event, now, out)

    def _true(self, group: HeldGroup, key: str, event: Event, now: float, out: Out) -> None:
        if event.time < group.latest:
            return
        group.latest, group.event, group.clear_since, group.clear_event = event.time, event, None, None
        if group.since is None:
            group.since = now
        if group.firing or now - group.since >= self.rule.for_s:
            self._raise(group, key, event, now, out)

    def _false(self, group: HeldGroup, key: str, event: Event, now: float, out: Out) -> None:
        rule = self.rule
        if event.time < group.latest:
            return
        group.latest, group.since = event.time, None
        if rule.clear is None:
            if group.firing:
                self.emit_clear(group, key, event, now, out)  # without `clear`, a false sample ends it
        elif rule.clear.type == event.type:
            self.clear_sample(group, key, event, now, out)

    def emit_clear(self, group: FiringGroup, key: str, event: Event, now: float, out: Out) -> None:
        """Stop firing; the condition must hold for `for` again before the next raise."""
        assert isinstance(group, HeldGroup)
        group.since = None
        super().emit_clear(group, key, event, now, out)

    def _raise(self, group: HeldGroup, key: str, event: Event, now: float, out: Out) -> None:
        group.firing = True
        text = explain.held(self.rule, event, group.values)
        out.append(
            self.decide(RAISE, Reason.HELD, key, group.values, now, event, (event.id,), text, event.value)
        )

    def on_tick(self, groups: Groups, now: float, out: Out) -> None:
        """Raise groups that have now held for `for`; run clear timers; forget idle groups."""
        for key, group in list(groups.items()):
            since, event = group.since, group.event
            if (
                not group.firing
                and since is not None
                and event is not None
                and now - since >= self.rule.for_s
            ):
                self._raise(group, key, event, now, out)
            else:
                self.tick_clear(group, key, now, out)
            # An idle group is forgotten once its newest sample is older than the rule's horizon.
            if not group.firing and group.since is None and now - group.latest >= self.horizon:
                del groups[key]


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
        cutoff = now - self.rule.within_s
        late = event.time < cutoff
        groups = state.groups.get(self.rule.index, {}) if late else self.groups(state)
        group = groups.get(key)
        if group is None:
            if late:
                return
            group = groups[key] = CountGroup(values)
        _expire(group, cutoff)
        if not late:
            at = bisect_right(group.times, event.time)
            group.times.insert(at, event.time)
            group.events.insert(at, event)
            group.last = event
        self._compare(groups, group, key, now, None if late else event, out)

    def _compare(
        self, groups: Groups, group: CountGroup, key: str, now: float, new: Event | None, out: Out
    ) -> None:
        n = len(group.times)
        if new is not None and self.reached(n):
            group.fired = True
            ids = tuple(e.id for e in group.events[-MAX_IDS:])
            text = explain.count(self.rule, n, group.values, reached=True)
            out.append(self.decide(RAISE, Reason.COUNT, key, group.values, now, new, ids, text, new.value))
        elif group.fired and not self.reached(n):
            group.fired = False
            ids = tuple(e.id for e in group.events[-MAX_IDS:])
            text = explain.count(self.rule, n, group.values, reached=False)
            out.append(self.decide(CLEAR, Reason.CLEARED, key, group.values, now, group.last, ids, text))
        if not group.times and not group.fired:
            del groups[key]

    def on_tick(self, groups: Groups, now: float, out: Out) -> None:
        """Expire events that left the window; clear groups that dropped below the threshold."""
        cutoff = now - self.rule.within_s
        for key, group in list(groups.items()):
            _expire(group, cutoff)
            self._compare(groups, group, key, now, None, out)


def _expire(group: CountGroup, cutoff: float) -> None:
    """Drop events older than `cutoff`; an event exactly at the cutoff is still within the window."""
    gone = bisect_left(group.times, cutoff)
    if gone:
        del group.times[:gone]
        del group.events[:gone]


class All(Clearable):
    """`all`: each part's newest match is in the window and all lie within `within` of each other."""

    __slots__ = ("parts_by_type",)

    def __init__(self, rule: Rule) -> None:
        super().__init__(rule)
        by_type: dict[str, list[int]] = {}
        for i, part in enumerate(rule.when):
            by_type.setdefault(part.type, []).append(i)
        self.parts_by_type = {t: tuple(ids) for t, ids in by_type.items()}

    def on_event(self, state: EngineState, event: Event, now: float, out: Out) -> None:
        """Record a part match and raise if every part is now satisfied; else maybe a clear sample."""
        rule = self.rule
        hits = [i for i in self.parts_by_type.get(event.type, ()) if rule.when[i].matches(event)]
        if hits:
            self._part(state, event, now, hits, out)
        elif rule.clear is not None and event.type == rule.clear.type:
            self.clear_event(state, event, now, out)

    def _part(self, state: EngineState, event: Event, now: float, hits: list[int], out: Out) -> None:
        if event.time < now - self.rule.within_s:
            return  # older than the window: it cannot take part
        key, values = self.group(event)
        groups = self.groups(state)
        group = groups.get(key)
        if group is None:
            group = groups[key] = AllGroup(values, parts=[None] * len(self.rule.when))
        newer = [i for i in hits if (p := group.parts[i]) is None or event.time >= p.time]
        for i in newer:
            group.parts[i] = event
        if newer and self._satisfied(group, now):
            self._raise(group, key, event, now, out)

    def _satisfied(self, group: AllGroup, now: float) -> bool:
        times = [p.time for p in group.parts if p is not None]
        if len(times) < len(group.parts):
            return False
        within = self.rule.within_s
        return min(times) >= now - within and max(times) - min(times) <= within

    def _raise(self, group: AllGroup, key: str, event: Event, now: float, out: Out) -> None:
        group.firing = True
        if event.time >= group.latest:
            group.latest, group.clear_since, group.clear_event = event.time, None, None
        parts = [p for p in group.parts if p is not None]
        ids = tuple(dict.fromkeys(p.id for p in parts))[:MAX_IDS]
        text = explain.correlated(self.rule, parts, group.values)
        out.append(
            self.decide(RAISE, Reason.CORRELATED, key, group.values, now, event, ids, text, event.value)
        )

    def on_tick(self, groups: Groups, now: float, out: Out) -> None:
        """Forget part events that left the window; run clear timers; drop empty groups."""
        cutoff = now - self.rule.within_s
        for key, group in list(groups.items()):
            group.parts = [p if p is not None and p.time >= cutoff else None for p in group.parts]
            self.tick_clear(group, key, now, out)
            if not group.firing and all(p is None for p in group.parts):
                del groups[key]


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
        if event.time >= group.last.time:
            group.last = event
        if group.fired and now - group.last.time < self.rule.for_s:
            group.fired = False
            text = explain.returned(self.rule, values)
            out.append(
                self.decide(CLEAR, Reason.RETURNED, key, values, now, event, (event.id,), text, event.value)
            )

    def on_tick(self, groups: Groups, now: float, out: Out) -> None:
        """Raise for each group silent for `for` since its newest event (once until it returns)."""
        for key, group in groups.items():
            if not group.fired and now - group.last.time >= self.rule.for_s:
                group.fired = True
                text = explain.absent(self.rule, group.values)
                ids = (group.last.id,)
                out.append(self.decide(RAISE, Reason.ABSENT, key, group.values, now, group.last, ids, text))


EVALUATORS: dict[Kind, type[Evaluator]] = {
    Kind.THRESHOLD: Threshold,
    Kind.HELD: Held,
    Kind.COUNT: Count,
    Kind.ALL: All,
    Kind.ABSENT: Absent,
}
