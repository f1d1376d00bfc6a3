"""The rule engine: (rule set, state, event or tick, now) -> decisions. Pure, deterministic, no I/O.

Events are looked up by type in an index built once, so an event no rule mentions costs one dict
lookup. Rules whose conditions for a type all pin the same `zone`, `source` or `site` by equality sit
in a second-level bucket, so thousands of per-zone rules on one type stay cheap.

When rules read occupancy or density, counter events (`gate.entry`, `gate.exit`, `crowd.count`) also
update the zone's count in the state and are followed by derived readings (`occupancy.py`) that go
through the same index.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from fairwatch.model import Decision, Event
from fairwatch.rules import crowd, occupancy
from fairwatch.rules.evaluator import Evaluator
from fairwatch.rules.geofence import place_event
from fairwatch.rules.kinds import EVALUATORS
from fairwatch.rules.model import Condition, Getter, Rule, RuleSet, getter
from fairwatch.rules.spec import CAPACITY, DERIVED_TYPES, FLOW
from fairwatch.rules.state import EngineState
from fairwatch.site import Site

BUCKET_FIELDS = ("zone", "source", "site", "data.link")  # data.link: crowd readings of one link


@dataclass(frozen=True, slots=True)
class _Entry:
    """The evaluators for one event type: those every event must see, and those bucketed by a field value."""

    general: tuple[Evaluator, ...]
    buckets: tuple[tuple[Getter, dict[object, tuple[Evaluator, ...]]], ...]


class Engine:
    """Evaluates a RuleSet. Holds no mutable state: every call takes the EngineState to read and update.

    `site` (default: the site the rule set was parsed with) gives zone capacities and areas, and places
    located events in zones (`place`).
    """

    def __init__(self, ruleset: RuleSet, site: Site | None = None) -> None:
        self.ruleset = ruleset
        self.site = site if site is not None else ruleset.site
        self._evaluators = tuple(EVALUATORS[rule.kind](rule) for rule in ruleset)
        self._order = {rule.id: rule.index for rule in ruleset}
        self._index = _build_index(self._evaluators)
        self._horizon = max((rule.horizon() for rule in ruleset), default=0.0)
        self._derived = frozenset((DERIVED_TYPES | {CAPACITY}) & self._index.keys())
        self._counters = occupancy.COUNTER_TYPES if self._derived else frozenset()
        self._counted = _counted_zones(self._index, self._derived)
        self._lines = FLOW in self._index
        zones = self.site.zones if self.site is not None else ()
        self._zones = {z.id: (z.capacity, z.area_m2) for z in zones}

    def place(self, event: Event) -> Event:
        """`event` with its zone filled in from its location (see `geofence.place_event`); call before storing."""
        return place_event(event, self.site)

    def new_state(self) -> EngineState:
        """An empty state: nothing seen yet."""
        return EngineState()

    def rules_for(self, event: Event) -> tuple[Rule, ...]:
        """The rules that will look at `event` or its derived readings (in rule order)."""
        found = list(self._candidates(event))
        if event.type in self._counters:
            for derived in sorted(self._derived):
                found += self._candidates(dataclasses.replace(event, type=derived))
        if self._lines and event.type == crowd.LINE:
            counted = self.site.counter_link(event.source) if self.site is not None else None
            data = {"link": counted[0].id} if counted is not None else {}
            found += self._candidates(dataclasses.replace(event, type=FLOW, data=data))
        return tuple(e.rule for e in sorted(dict.fromkeys(found), key=lambda e: e.rule.index))

    def evaluate(self, state: EngineState, event: Event, now: float) -> list[Decision]:
        """Decisions caused by `event` received at `now`; updates `state` in place (journaled when the state
        is in a transaction: each evaluator changes only the group of the event's key in its rule)."""
        if self._counters and event.type in self._counters:
            return self._evaluate_counter(state, event, now)
        if self._lines and event.type == crowd.LINE:
            return self._evaluate_line(state, event, now)
        entry = self._index.get(event.type)
        if entry is None:
            return []
        out: list[Decision] = []
        journal = state.journal
        for evaluator in self._candidates_in(entry, event):
            if journal is not None:
                journal.keep(state, evaluator.rule.index, evaluator.group(event)[0])
            evaluator.on_event(state, event, now, out)
        return out

    def _evaluate_counter(self, state: EngineState, event: Event, now: float) -> list[Decision]:
        """A counter event: its own rules, then the derived readings' rules, together in rule order."""
        work = [(e, event) for e in self._candidates(event)]
        counted = self._counted is None or event.zone in self._counted
        journal = state.journal
        if journal is not None and counted and event.zone is not None:
            journal.keep_zone(state, event.zone)
        count = occupancy.apply(state.zones, event, now) if counted else None
        if count is not None:
            info = self._zones.get(event.zone or "")
            for derived in occupancy.derive(event, count, info, self._derived):
                work += [(e, derived) for e in self._candidates(derived)]
            if CAPACITY in self._derived and info is not None:
                if journal is not None:
                    journal.keep_crowd(state, crowd.trend_key(event.zone or ""))
                projected = crowd.apply_trend(state.crowd, event, count.occupancy(), info[0])
                work += [(e, projected) for e in self._candidates(projected)]
        work.sort(key=lambda pair: pair[0].rule.index)  # stable: a rule sees the event before its readings
        out: list[Decision] = []
        for evaluator, seen in work:
            if journal is not None:
                journal.keep(state, evaluator.rule.index, evaluator.group(seen)[0])
            evaluator.on_event(state, seen, now, out)
        return out

    def _evaluate_line(self, state: EngineState, event: Event, now: float) -> list[Decision]:
        """A line counter's totals: its own rules, then the `@flow` reading's rules, in rule order."""
        work = [(e, event) for e in self._candidates(event)]
        journal = state.journal
        if journal is not None:
            journal.keep_crowd(state, crowd.line_key(event.source))
        reading = crowd.apply_line(state.crowd, self.site, event)
        if reading is not None:
            work += [(e, reading) for e in self._candidates(reading)]
        work.sort(key=lambda pair: pair[0].rule.index)
        out: list[Decision] = []
        for evaluator, seen in work:
            if journal is not None:
                journal.keep(state, evaluator.rule.index, evaluator.group(seen)[0])
            evaluator.on_event(state, seen, now, out)
        return out

    def tick(self, state: EngineState, now: float) -> list[Decision]:
        """Decisions caused by time passing (held `for`, absence, clear `for`, windows expiring)."""
        out: list[Decision] = []
        journal = state.journal
        for index, groups in list(state.groups.items()):
            if journal is not None:
                journal.keep_rule(state, index)  # an empty dict dropped below comes back on rollback
                for key in groups:
                    journal.keep(state, index, key)
            self._evaluators[index].on_tick(groups, now, out)
            if not groups:
                del state.groups[index]
        if len(out) > 1:
            out.sort(key=lambda d: (self._order[d.rule], d.key))  # rule order, not arrival order of groups
        return out

    def horizon(self) -> float:
        """Seconds of event history `warm_up` needs to rebuild the state after a restart.

        Windows and timers need their own length (held `for` plus clear `for`); absence needs twice its
        `for` so that a source that fell silent shortly before the restart is still known. A condition that
        started earlier than this is rebuilt from the replayed part only.
        """
        return self._horizon

    def warm_up(self, state: EngineState, events: Iterable[Event]) -> None:
        """Rebuild state: replay events by event time, each at its own time after a tick; drop decisions."""
        last_tick: float | None = None
        for event in sorted(events, key=lambda e: e.time):
            if last_tick is None or event.time > last_tick:
                self.tick(state, event.time)
                last_tick = event.time
            self.evaluate(state, event, event.time)

    def _candidates(self, event: Event) -> tuple[Evaluator, ...]:
        entry = self._index.get(event.type)
        return () if entry is None else self._candidates_in(entry, event)

    @staticmethod
    def _candidates_in(entry: _Entry, event: Event) -> tuple[Evaluator, ...]:
        found = entry.general
        merged = False
        for get, table in entry.buckets:
            extra = table.get(get(event))
            if extra:
                found, merged = found + extra, merged or bool(found)
        return tuple(sorted(found, key=lambda e: e.rule.index)) if merged else found


def _build_index(evaluators: tuple[Evaluator, ...]) -> dict[str, _Entry]:
    general: dict[str, list[Evaluator]] = {}
    buckets: dict[str, dict[str, dict[object, list[Evaluator]]]] = {}
    for evaluator in evaluators:
        for event_type in evaluator.rule.event_types():
            general.setdefault(event_type, [])
            pin = _pinned(_conditions(evaluator.rule, event_type))
            if pin is None:
                general[event_type].append(evaluator)
            else:
                tables = buckets.setdefault(event_type, {})
                tables.setdefault(pin[0], {}).setdefault(pin[1], []).append(evaluator)
    return {t: _entry(general[t], buckets.get(t, {})) for t in general}


def _counted_zones(index: dict[str, _Entry], derived: frozenset[str]) -> frozenset[str] | None:
    """The zones whose occupancy some rule can read; None for every zone (a rule that pins none)."""
    zones: set[object] = set()
    for derived_type in derived:
        entry = index[derived_type]
        if entry.general or any(get is not _GETTERS["zone"] for get, _ in entry.buckets):
            return None
        zones.update(*(table.keys() for _, table in entry.buckets))
    return frozenset(z for z in zones if isinstance(z, str))


_GETTERS = {name: getter(name) for name in BUCKET_FIELDS}


def _entry(general: list[Evaluator], tables: dict[str, dict[object, list[Evaluator]]]) -> _Entry:
    frozen = tuple(
        (_GETTERS[name], {v: tuple(e) for v, e in table.items()}) for name, table in sorted(tables.items())
    )
    return _Entry(tuple(general), frozen)


def _conditions(rule: Rule, event_type: str) -> list[Condition]:
    conditions = [c for c in rule.when if c.type == event_type]
    if rule.clear is not None and rule.clear.type == event_type:
        conditions.append(rule.clear)
    return conditions


def _pinned(conditions: list[Condition]) -> tuple[str, object] | None:
    """(field, value) if every condition requires `field == value` for the same field and value."""
    for name in BUCKET_FIELDS:
        values = {_equal_to(c, name) for c in conditions}
        if len(values) == 1 and (value := values.pop()) is not None:
            return name, value
    return None


def _equal_to(condition: Condition, name: str) -> object:
    return next((m.operand for m in condition.matchers if m.field == name and m.op == "eq"), None)
