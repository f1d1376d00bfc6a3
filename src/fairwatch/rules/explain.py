"""One-line explanations of decisions, e.g. `crowd.density value 4.6 > 4.0 held for 60s in zone=main`.

Every explanation names the rule's condition, the values of the events that decided and the thresholds.
It is a closed template of declared measurements (RS-13): numbers, booleans, positions, the rule's own
operands and zone/site/source ids. Text an event carries (a `data` string, a zone or source that is not an
id) is never copied: it is shown as `WITHHELD`, so nothing from event data reaches CAP, feeds, webhooks or
the audit log through an explanation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from fairwatch.model import Event, Location
from fairwatch.policy import check_name
from fairwatch.rules.geofence import Region
from fairwatch.rules.model import SYMBOLS, TRACK_MEMORY_TEXT, Condition, Matcher, Rule
from fairwatch.rules.spec import CAPACITY, DENSITY, FLOW, OCCUPANCY, OF_CAPACITY

MAX_NAMED = 10  # sources named in one explanation
WITHHELD = "(withheld)"  # what an explanation shows instead of text from an event
PUBLIC_GROUP_KEYS = ("zone", "site", "source")  # the only group keys whose values leave the engine
_SHOWN_GROUP_KEYS = frozenset({*PUBLIC_GROUP_KEYS, "type"})  # the event type is an id the rule names too
_ID = re.compile(r"^[^\s]{1,64}$")


def public_id(value: str | None) -> str | None:
    """`value` if it reads as a zone, site or source id (no spaces, at most 64 characters, a clean name
    under `check_name`), else None: a sentence posted as a zone or source is event text, not an id."""
    if not value or not _ID.match(value):
        return None
    return value if _clean_name(value) else None


@lru_cache(maxsize=65_536)
def _clean_name(value: str) -> bool:
    # The same few zone, site and source ids come back on every decision: judge each once (bounded cache).
    return check_name(value) is None


def public_group(group: dict[str, str]) -> dict[str, str]:
    """The part of an alarm's group that may be published: zone, site and source ids only (RS-13)."""
    out: dict[str, str] = {}
    for key in PUBLIC_GROUP_KEYS:
        if key in group:
            out[key] = public_id(group[key]) or WITHHELD
    return out


def _id(value: str | None) -> str:
    return public_id(value) or WITHHELD


def show(value: Any) -> str:
    """A value as an operator reads it."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, Location):
        if value.x is not None and value.y is not None:
            return f"({num(value.x)}, {num(value.y)})"
        return f"(lat {value.lat}, lon {value.lon})"
    if isinstance(value, Region):
        return value.name
    return str(value)


def num(value: float) -> str:
    """A derived number: whole numbers without a fraction, others to 6 decimals (enough to tell a
    reading of 0.89975 from a threshold of 0.9)."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return str(round(value, 6))


def where(rule: Rule, values: Sequence[str]) -> str:
    """` in zone=main, source=cam-1`, or nothing for an ungrouped rule; a `data` key's value is withheld."""
    if not rule.group_by:
        return ""
    shown = (
        f"{k}={_id(v) if k in _SHOWN_GROUP_KEYS else WITHHELD}"
        for k, v in zip(rule.group_by, values, strict=True)
    )
    return " in " + ", ".join(shown)


def _declared(matcher: Matcher, value: Any) -> str:
    """An event's value as an explanation may show it: measurements as they are, ids when they read as
    ids, a string only when it is one of the rule's own operands (a closed enum), else WITHHELD."""
    if isinstance(value, str):
        if matcher.field in PUBLIC_GROUP_KEYS:
            return _id(value)
        operand = matcher.operand
        options = operand if isinstance(operand, tuple) else (operand,)
        return value if value in options else WITHHELD
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_declared(matcher, v) for v in value) + "]"
    if value is None or isinstance(value, bool | int | float | Location):
        return show(value)
    return WITHHELD


def _matcher(matcher: Matcher, event: Event, negate: bool = False) -> str:
    no = "no longer " if negate else ""
    value = _declared(matcher, matcher.get(event))
    return f"{matcher.field} {value} {no}{SYMBOLS[matcher.op]} {show(matcher.operand)}"


def subject(condition: Condition, event: Event) -> str:
    """What a condition reads: its event type, or `occupancy of Z` / `density of Z` for derived readings."""
    if condition.type == OCCUPANCY:
        return f"occupancy of {_id(event.zone)}"
    if condition.type == DENSITY:
        return f"density of {_id(event.zone)}"
    return condition.type


def _reading(condition: Condition, event: Event) -> str:
    """A derived reading with what it is made of."""
    data = event.data
    occupancy = num(data["occupancy"])
    if condition.type == DENSITY:
        area = num(data["area_m2"])
        return f"{subject(condition, event)} {num(data['density'])}/m² ({occupancy} people on {area} m²)"
    text = f"{subject(condition, event)} {occupancy}"
    if any(m.field == OF_CAPACITY for m in condition.matchers) and "capacity" in data:
        text += f" = {num(data['of_capacity'])} of capacity {data['capacity']}"
    return text


def _derived(condition: Condition, event: Event, misses: Sequence[Matcher] | None = None) -> str:
    no = "" if misses is None else "no longer "
    tests = condition.rest if misses is None else misses
    shown = ", ".join(f"{no}{SYMBOLS[m.op]} {show(m.operand)}" for m in tests)
    return _reading(condition, event) + (f" {shown}" if shown else "")


def _one(value: float) -> str:
    """People per metre per minute to one decimal."""
    return num(round(value, 1))


def _crowd(condition: Condition, event: Event, misses: Sequence[Matcher] | None = None) -> str:
    """A crowd reading (docs/crowd.md) and the tests it meets (or no longer meets)."""
    data = event.data
    if condition.type == FLOW:
        text = (
            f"flow through {data.get('link')}: forward {_one(data['forward'])}, backward "
            f"{_one(data['backward'])}, total {_one(data['total'])} p/m/min, LoS {data['los']}, "
            f"counterflow {num(round(data['counterflow'], 2))}"
        )
    else:
        seconds = event.value
        when = "not rising" if seconds is None else f"full in {num(round(seconds / 60.0, 1))} min"
        text = f"{event.zone} {num(data['occupancy'])} of capacity {data['capacity']}, {when}"
    no = "" if misses is None else "no longer "
    tests = condition.rest if misses is None else [m for m in misses if m.field != "data.link"]
    shown = ", ".join(f"{m.field.removeprefix('data.')} {no}{SYMBOLS[m.op]} {show(m.operand)}" for m in tests)
    return text + (f"; {shown}" if shown else "")


def matched(condition: Condition, event: Event) -> str:
    """`temperature value 61.0 > 55`: the condition's type and each matcher with the event's value."""
    if condition.type in (OCCUPANCY, DENSITY):
        return _derived(condition, event)
    if condition.type in (FLOW, CAPACITY):
        return _crowd(condition, event)
    if not condition.matchers:
        return condition.type
    return condition.type + " " + ", ".join(_matcher(m, event) for m in condition.matchers)


def failed(condition: Condition, event: Event) -> str:
    """`crowd.density value 3.9 no longer > 4.0`: the matchers `event` fails."""
    misses = [m for m in condition.matchers if not Condition(condition.type, (m,)).matches(event)]
    if condition.type in (OCCUPANCY, DENSITY):
        return _derived(condition, event, misses)
    if condition.type in (FLOW, CAPACITY):
        return _crowd(condition, event, misses)
    return condition.type + " " + ", ".join(_matcher(m, event, negate=True) for m in misses)


def threshold(rule: Rule, event: Event, values: Sequence[str]) -> str:
    """A plain match."""
    return matched(rule.when[0], event) + where(rule, values)


def held(rule: Rule, event: Event, values: Sequence[str]) -> str:
    """A condition held for `for` (a crowd condition without `for` holds from its first true reading)."""
    held = f" held for {rule.for_text}" if rule.for_s else ""
    return f"{matched(rule.when[0], event)}{held}{where(rule, values)}"


def count(rule: Rule, n: int, values: Sequence[str], reached: bool) -> str:
    """A window count that reached (or fell below) its threshold."""
    verb = "" if reached else "no longer "
    op = SYMBOLS[rule.count_op]
    base = f"{rule.when[0].type} count {n} {verb}{op} {rule.count_threshold} within {rule.within_text}"
    return base + where(rule, values)


def rate(
    rule: Rule,
    event: Event,
    slope: float | None,
    readings: Sequence[float],
    values: Sequence[str],
    reached: bool,
) -> str:
    """A rate of change that reached (or no longer reaches) its threshold."""
    op = SYMBOLS[rule.rate_op]
    verb = "" if reached else "no longer "
    shown = "unknown" if slope is None else ("+" if slope >= 0 else "") + num(slope)
    n = len(readings)
    span = f": {num(readings[0])} to {num(readings[-1])}" if readings else ""
    counted = f"{n} reading{'' if n == 1 else 's'} within {rule.within_text}{span}"
    head = f"{subject(rule.when[0], event)} rate {shown} per {rule.rate_per_text}"
    return f"{head} {verb}{op} {num(rule.rate_threshold)} ({counted}){where(rule, values)}"


def confirmed(sources: Sequence[str], trusted: bool, certainty: str) -> str:
    """`; 2 sources (cam-1, steward-4): Likely`: who confirmed a corroborated alarm."""
    n = len(sources)
    names = ", ".join(_id(s) for s in sources[:MAX_NAMED]) + (
        f", +{n - MAX_NAMED} more" if n > MAX_NAMED else ""
    )
    note = ", trusted report" if trusted else ""
    return f"; {n} source{'' if n == 1 else 's'} ({names}{note}): {certainty}"


def _near(rule: Rule) -> str:
    return "" if rule.radius is None else f" and {num(rule.radius)} m"


def correlated(rule: Rule, parts: Sequence[Event], values: Sequence[str], suffix: str = "") -> str:
    """Every part of an `all` seen within its window (and radius)."""
    shown = ", ".join(matched(c, e) for c, e in zip(rule.when, parts, strict=True))
    return f"all of {shown} within {rule.within_text}{_near(rule)}{where(rule, values)}{suffix}"


def any_of(rule: Rule, part: Condition, event: Event, values: Sequence[str], suffix: str) -> str:
    """A part of an `any` seen, with the sources that confirm it within the window (and radius)."""
    head = "" if len(rule.when) == 1 else "any of " + ", ".join(c.type for c in rule.when) + ": "
    return f"{head}{matched(part, event)} within {rule.within_text}{_near(rule)}{where(rule, values)}{suffix}"


def moved(rule: Rule, event: Event, values: Sequence[str]) -> str:
    """A source's position crossed into (enter) or out of (exit) the rule's region."""
    verb = "entered" if rule.kind == "enter" else "left"
    head = f"{matched(rule.when[0], event)} from {_id(event.source)}"
    return f"{head} {verb} {rule.region} at {show(event.location)}{where(rule, values)}"


def dwelt(rule: Rule, event: Event, values: Sequence[str]) -> str:
    """A source stayed inside the rule's region for `for`."""
    head = f"{matched(rule.when[0], event)} from {_id(event.source)}"
    return f"{head} inside {rule.region} for {rule.for_text} at {show(event.location)}{where(rule, values)}"


def left(rule: Rule, event: Event, values: Sequence[str]) -> str:
    """The last dwelling source left the region."""
    return f"cleared: {_id(event.source)} left {rule.region} at {show(event.location)}{where(rule, values)}"


def lost(rule: Rule, event: Event, values: Sequence[str]) -> str:
    """The last dwelling source stopped reporting its position."""
    return f"cleared: no position from {_id(event.source)} for {TRACK_MEMORY_TEXT}{where(rule, values)}"


def absent(rule: Rule, values: Sequence[str]) -> str:
    """An expected event that stopped arriving."""
    return f"no {rule.when[0].type} for {rule.for_text}{where(rule, values)}"


def returned(rule: Rule, values: Sequence[str]) -> str:
    """An absent event that arrived again."""
    return f"{rule.when[0].type} seen again{where(rule, values)}"


def cleared(rule: Rule, event: Event, values: Sequence[str]) -> str:
    """The clear condition held (or, without one, the when-condition stopped holding)."""
    if rule.clear is None:
        return f"cleared: {failed(rule.when[0], event)}{where(rule, values)}"
    held_for = f" held for {rule.clear_for_text}" if rule.clear_for_text else ""
    return f"cleared: {matched(rule.clear, event)}{held_for}{where(rule, values)}"
