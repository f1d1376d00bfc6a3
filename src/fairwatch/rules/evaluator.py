"""What every rule evaluator shares: grouping, decisions, the tick loop and the `clear` condition.

`on_event` sees only events whose type the rule mentions (the engine's index guarantees it). `due` fires a
group's timers that have come due at `now`; `on_tick` runs it for every group, and `on_event` runs it for
the group it touches before applying the event, so that what is decided does not depend on how often the
caller ticks.
"""

from __future__ import annotations

from typing import Any

from fairwatch.model import Decision, DecisionKind, Event, Reason
from fairwatch.rules import explain
from fairwatch.rules.model import Rule
from fairwatch.rules.state import EngineState, FiringGroup

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
    """Grouping, decision building and the tick loop shared by every kind."""

    __slots__ = ("_labels", "_last", "prefix", "rule")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.prefix = f"{rule.id}|"
        # "zone=", "source=", ...: the key's parts before each value (the first one after the prefix)
        self._labels = tuple(f"{self.prefix if i == 0 else ','}{k}=" for i, k in enumerate(rule.group_by))
        self._last: tuple[Event, tuple[str, tuple[str, ...]]] | None = None

    def group(self, event: Event) -> tuple[str, tuple[str, ...]]:
        """The dedup key and group values of `event` for this rule (a missing value is '')."""
        rule = self.rule
        if not rule.getters:
            return self.prefix, ()
        last = self._last
        if last is not None and last[0] is event:
            return last[1]  # the engine asked first, to journal the group this event will change
        values = tuple([_text(get(event)) for get in rule.getters])
        found = "".join([label + value for label, value in zip(self._labels, values, strict=True)]), values
        self._last = (event, found)
        return found

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
        sources: tuple[str, ...] = (),
        certainty: str = "",
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
            sources,
            certainty,
        )

    def on_event(self, state: EngineState, event: Event, now: float, out: Out) -> None:
        """Handle an event of a type this rule mentions."""
        raise NotImplementedError

    def due(self, group: Any, key: str, now: float, out: Out) -> bool:
        """Fire the group's timers due at `now`; True if the group has nothing left to remember."""
        raise NotImplementedError

    def touch(self, groups: Groups, key: str, now: float, out: Out) -> Any:
        """The group for `key` after firing its due timers, or None if it had nothing left to remember.

        A tick would have forgotten such a group; forgetting it here too keeps the state independent of
        how often the caller ticks.
        """
        group = groups.get(key)
        if group is not None and self.due(group, key, now, out):
            del groups[key]
            return None
        return group

    def on_tick(self, groups: Groups, now: float, out: Out) -> None:
        """Fire every group's due timers; forget idle groups."""
        for key, group in list(groups.items()):
            if self.due(group, key, now, out):
                del groups[key]


class Clearable(Evaluator):
    """The `clear` condition shared by the rules that `clear` may end (all but count, rate, absent)."""

    __slots__ = ()

    def clear_event(self, state: EngineState, event: Event, now: float, out: Out) -> None:
        """An event of the clear type that is not a when-match."""
        groups = state.groups.get(self.rule.index)
        key, _ = self.group(event)
        group = self.touch(groups, key, now, out) if groups else None
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
        ids = (event.id,)
        out.append(self.decide(CLEAR, Reason.CLEARED, key, group.values, now, event, ids, text, event.value))

    def clear_due(self, group: FiringGroup, key: str, now: float, out: Out) -> None:
        """Clear a firing group whose clear condition has now held long enough."""
        since, event = group.clear_since, group.clear_event
        if group.firing and since is not None and event is not None and now - since >= self.rule.clear_for_s:
            self.emit_clear(group, key, event, now, out)
