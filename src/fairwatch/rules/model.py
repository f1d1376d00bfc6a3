"""Compiled rules: what the engine runs. Built from config objects by `compile_rules`; immutable."""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fairwatch.crowd import flow as crowd_flow
from fairwatch.model import Event, Location, Severity
from fairwatch.rules import occupancy
from fairwatch.rules.config import RuleConfig
from fairwatch.rules.geofence import Region
from fairwatch.rules.spec import (
    CAPACITY,
    DERIVED_TYPES,
    FLOW,
    AbsentWhen,
    AllWhen,
    AnyWhen,
    ConditionConfig,
    MatcherConfig,
    Operand,
    RegionConfig,
    SimpleWhen,
    When,
)
from fairwatch.site import Site

Getter = Callable[[Event], Any]
Test = Callable[[Any], bool]


class Kind(StrEnum):
    """How a rule decides; see docs/rules.md for each kind's semantics."""

    THRESHOLD = "threshold"  # plain `when`: every matching event raises
    HELD = "held"  # `when` with `for`
    COUNT = "count"  # `when` with `count`
    ALL = "all"  # `when: {all: [...], within: D}`
    ABSENT = "absent"  # `when: {absent: {...}}`
    RATE = "rate"  # `when` with `rate`: the value's slope over a window
    ENTER = "enter"  # `when` with `enter`: a source's position moved into a region
    EXIT = "exit"  # `when` with `exit`: a source's position moved out of a region
    DWELL = "dwell"  # `when` with `dwell`: a source stayed inside a region for a time
    ANY = "any"  # `when: {any: [...], within: D}`: corroborated by enough independent sources


TRACKS = frozenset({Kind.ENTER, Kind.EXIT, Kind.DWELL})
TRACK_MEMORY_S = 600.0  # a source's position is forgotten after this long without a new one
TRACK_MEMORY_TEXT = "10m"
SCOPE_FIELDS = frozenset({"source", "site", "zone", "data.link"})  # data.link: the link of a crowd reading
SYMBOLS = {
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
    "eq": "=",
    "ne": "!=",
    "in": "in",
    "inside": "inside",
    "outside": "outside",
}


@dataclass(frozen=True, slots=True)
class Matcher:
    """One compiled test of one event field; a missing field (None) never matches, not even `ne`."""

    field: str
    op: str
    operand: Operand | Region
    # Compiled from the three above; left out of equality so two compilations of one file compare equal.
    get: Getter = dataclasses.field(repr=False, compare=False)
    test: Test = dataclasses.field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Condition:
    """An event type and the matchers that must all hold.

    The matchers on source, site and zone are the condition's *scope*: an event outside the scope is not a
    sample of this condition at all, while an event inside it that fails another matcher is a false sample
    (it resets a `for` timer or clears a held alarm).
    """

    type: str
    matchers: tuple[Matcher, ...] = ()
    trusted: bool = False  # a corroboration part whose events are trusted human reports
    scope: tuple[Matcher, ...] = dataclasses.field(init=False, repr=False, compare=False)
    rest: tuple[Matcher, ...] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Split once here: matching is on the hot path.
        object.__setattr__(self, "scope", tuple(m for m in self.matchers if m.field in SCOPE_FIELDS))
        object.__setattr__(self, "rest", tuple(m for m in self.matchers if m.field not in SCOPE_FIELDS))

    def matches(self, event: Event) -> bool:
        """True if every matcher holds for `event` (its type is checked by the engine's index)."""
        return _all_hold(self.matchers, event)

    def sample(self, event: Event) -> bool | None:
        """None if `event` is outside the scope, else whether every other matcher holds too."""
        if not _all_hold(self.scope, event):
            return None
        return _all_hold(self.rest, event)


def _all_hold(matchers: tuple[Matcher, ...], event: Event) -> bool:
    for matcher in matchers:
        value = matcher.get(event)
        if value is None or not matcher.test(value):
            return False
    return True


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled rule. Durations are in seconds; `*_text` keep the written form for explanations."""

    index: int  # position in the rule set, 0-based; orders decisions
    id: str
    alarm_type: str
    severity: Severity
    kind: Kind
    when: tuple[Condition, ...]  # one condition, or the parts of `all`
    group_by: tuple[str, ...] = ()
    getters: tuple[Getter, ...] = dataclasses.field(default=(), repr=False, compare=False)
    description: str = ""
    for_s: float = 0.0  # held `for`, or absent `for`
    for_text: str = ""
    within_s: float = 0.0  # count or all window
    within_text: str = ""
    count_op: str = "gte"
    count_threshold: int = 0
    clear: Condition | None = None
    clear_for_s: float = 0.0
    clear_for_text: str = ""
    # rate: the slope's unit, operator and threshold; its window is `within_s`
    rate_per_s: float = 0.0
    rate_per_text: str = ""
    rate_op: str = "gt"
    rate_threshold: float = 0.0
    region: Region | None = None  # enter, exit, dwell (dwell's time is `for_s`)
    radius: float | None = None  # all, any: metres around the deciding event
    min_sources: int = 1  # all, any: independent sources needed
    derived: str = ""  # "occupancy" or "density" when written in that form

    def event_types(self) -> tuple[str, ...]:
        """Every event type this rule listens to, without repeats, in order of appearance."""
        types = [c.type for c in self.when]
        if self.clear is not None:
            types.append(self.clear.type)
        return tuple(dict.fromkeys(types))

    def horizon(self) -> float:
        """Seconds of event history that determine this rule's state (see Engine.horizon)."""
        if self.kind is Kind.ABSENT:
            return 2 * self.for_s  # also remember groups that went silent shortly before a restart
        seconds = self.for_s + self.within_s + self.clear_for_s
        if self.kind in TRACKS:
            seconds += TRACK_MEMORY_S
        types = self.event_types()
        if any(t in DERIVED_TYPES or t == CAPACITY for t in types):
            seconds += occupancy.REPLAY_S  # movements before that are lost; counts re-anchor occupancy
        if FLOW in types:
            seconds += 2 * crowd_flow.WINDOW_S  # a counter's totals before the window make its first flow
        return seconds


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The compiled rules of one file, in file order."""

    rules: tuple[Rule, ...] = ()
    source: str = ""
    site: Site | None = dataclasses.field(default=None, repr=False, compare=False)  # as parsed with

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def get(self, rule_id: str) -> Rule | None:
        """The rule with this id, or None."""
        return next((r for r in self.rules if r.id == rule_id), None)


def compile_rules(configs: Sequence[RuleConfig], source: str = "", site: Site | None = None) -> RuleSet:
    """Compile checked config objects into runtime rules; `site` resolves the zones they name."""
    compiler = _Compiler(site)
    return RuleSet(tuple(compiler.rule(i, c) for i, c in enumerate(configs)), source, site)


class _Compiler:
    """Compiles rules against one site (None: the rules name no site zone as a region)."""

    def __init__(self, site: Site | None) -> None:
        self.site = site

    def rule(self, index: int, config: RuleConfig) -> Rule:
        """One compiled rule."""
        return _compile_rule(self, index, config)

    def region(self, config: RegionConfig) -> Region:
        """A geofence: the site's zone, or the polygon as written."""
        if config.zone is None:
            return Region.of_points(config.points)
        if self.site is None:
            raise ValueError(f"zone {config.zone!r} needs a site")  # read_rules reports it first
        return Region.of_zone(self.site.zone(config.zone))

    def condition(self, config: ConditionConfig) -> Condition:
        """One compiled matcher per (field, operator) pair."""
        matchers = [self._op(m, op, operand) for m in config.matchers for op, operand in m.ops]
        return Condition(config.type, tuple(matchers), config.trusted)

    def _op(self, config: MatcherConfig, op: str, operand: Operand | RegionConfig) -> Matcher:
        if isinstance(operand, RegionConfig):
            region = self.region(operand)
            return Matcher(config.field, op, region, getter(config.field), _geofence(op, region))
        return Matcher(config.field, op, operand, getter(config.field), _test(op, operand))


def _compile_rule(compiler: _Compiler, index: int, config: RuleConfig) -> Rule:
    head: dict[str, Any] = {
        "index": index,
        "id": config.id,
        "alarm_type": config.alarm,
        "severity": config.severity,
        "description": config.description,
        "group_by": config.group_by,
        "getters": tuple(getter(k) for k in config.group_by),
    }
    if config.clear is not None:
        clear_for = config.clear.for_
        head["clear"] = compiler.condition(_inherit(config.clear.condition, config.when))
        head["clear_for_s"] = clear_for.seconds if clear_for else 0.0
        head["clear_for_text"] = clear_for.text if clear_for else ""
    return Rule(**head, **_compile_when(compiler, config.when))


def _compile_when(compiler: _Compiler, when: When) -> dict[str, Any]:
    if isinstance(when, AllWhen | AnyWhen):
        return {
            "kind": Kind.ALL if isinstance(when, AllWhen) else Kind.ANY,
            "when": tuple(compiler.condition(p) for p in when.parts),
            "within_s": when.within.seconds,
            "within_text": when.within.text,
            "radius": when.radius,
            "min_sources": when.min_sources,
        }
    if isinstance(when, AbsentWhen):
        return {
            "kind": Kind.ABSENT,
            "when": (compiler.condition(when.condition),),
            "for_s": when.for_.seconds,
            "for_text": when.for_.text,
        }
    return _compile_simple(compiler, when)


def _compile_simple(compiler: _Compiler, when: SimpleWhen) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": Kind.THRESHOLD, "when": (compiler.condition(when.condition),)}
    out["derived"] = when.derived
    if when.for_ is not None:
        out.update(kind=Kind.HELD, for_s=when.for_.seconds, for_text=when.for_.text)
    if when.count is not None:
        count = when.count
        out.update(kind=Kind.COUNT, count_op=count.op, count_threshold=count.threshold)
        out.update(within_s=count.within.seconds, within_text=count.within.text)
    if when.rate is not None:
        rate = when.rate
        out.update(kind=Kind.RATE, rate_op=rate.op, rate_threshold=rate.threshold)
        out.update(rate_per_s=rate.per.seconds, rate_per_text=rate.per.text)
        out.update(within_s=rate.window.seconds, within_text=rate.window.text)
    if when.track is not None:
        track = when.track
        out.update(kind=Kind(track.mode), region=compiler.region(track.region))
        if track.for_ is not None:
            out.update(for_s=track.for_.seconds, for_text=track.for_.text)
    return out


def _inherit(clear: ConditionConfig, when: When) -> ConditionConfig:
    """A clear on the when-type also gets the when's scope matchers (source/site/zone) it does not set
    itself, so that `clear: {value: {lt: 3}}` only listens where the alarm was raised."""
    if not isinstance(when, SimpleWhen) or clear.type != when.condition.type:
        return clear
    own = {m.field for m in clear.matchers}
    extra = tuple(m for m in when.condition.matchers if m.field in SCOPE_FIELDS and m.field not in own)
    return ConditionConfig(clear.type, clear.matchers + extra)


def compile_condition(config: ConditionConfig, site: Site | None = None) -> Condition:
    """One compiled matcher per (field, operator) pair."""
    return _Compiler(site).condition(config)


def getter(field: str) -> Getter:
    """Read one event field by its rule-file name (`zone`, `value`, `data.<key>`, ...)."""
    if field.startswith("data."):
        key = field[5:]
        return lambda event: event.data.get(key)
    return operator.attrgetter(field)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def _test(op: str, operand: Operand) -> Test:
    if op in _COMPARE:
        compare, bound = _COMPARE[op], operand
        return lambda v: _is_number(v) and compare(v, bound)
    if op == "eq":
        return lambda v: _same(v, operand)
    if op == "ne":
        return lambda v: not _same(v, operand)
    assert isinstance(operand, tuple)
    if all(isinstance(x, str) for x in operand):
        strings = frozenset(operand)
        return lambda v: isinstance(v, str) and v in strings
    return lambda v: any(_same(v, x) for x in operand)


def _geofence(op: str, region: Region) -> Test:
    """`inside`/`outside` on a Location; one without plan coordinates is neither."""
    inside = op == "inside"

    def test(location: Location) -> bool:
        x, y = location.x, location.y
        return x is not None and y is not None and region.covers(x, y) is inside

    return test


def _is_number(value: Any) -> bool:
    kind = type(value)
    if kind is float or kind is int:  # the common case, without the isinstance calls (a hot path)
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same(value: Any, operand: Any) -> bool:
    """Equality where booleans never equal numbers (YAML `true` is not `1`)."""
    return bool(value == operand) and isinstance(value, bool) == isinstance(operand, bool)
