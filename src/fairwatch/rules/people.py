"""People counts alarm only as crowd safety (RIGHTS.md: attendance at worship, assembly or petition as such is
out of scope), checked while a rule file is read.

A count of people in a place is the measure a crowd manager needs and the measure a surveillance client wants
("attendance at the prayer hall"). The difference is the threshold: crowd safety alarms when a place nears what
it can hold; counting attendance alarms on a few people being there, or on too few. So a condition that raises
an alarm on a people measurement must be a crowd-safety threshold:

- a count of people (unit `persons` or `objects`, or the engine's occupancy): `gt`/`gte` at least
  `MIN_SHARE` of the capacity of every zone the condition can see (`of: capacity` at `MIN_SHARE` or more says it
  directly); without a site to judge against, at least `MIN_CROWD`;
- a density (`persons/m2`): `gt`/`gte` at least `MIN_DENSITY`, the lowest published density landmark;
- `lt`/`lte` only at 0 or below ("the zone is empty", as a clearance check after an evacuation); `eq`, `ne` and
  `in` never;
- counting camera person detections (`count:` on a person-detection condition) never: use occupancy or density.

`clear:` conditions end alarms and are not checked; rates of change (`rate:`) measure filling speed, not presence.
See docs/rights.md, "People counts".
"""

from __future__ import annotations

from collections.abc import Iterable

from fairwatch.rules._nodes import Node, Reader
from fairwatch.rules.spec import (
    DENSITY,
    OCCUPANCY,
    OF_CAPACITY,
    AbsentWhen,
    AllWhen,
    AnyWhen,
    ConditionConfig,
    MatcherConfig,
    RegionConfig,
    SimpleWhen,
    When,
)
from fairwatch.schemas import DENSITY_UNITS, PEOPLE_UNITS

MIN_SHARE = 0.5  # of a zone's capacity: "half full" is the lowest level a crowd manager plans against
MIN_CROWD = 100.0  # persons, when no site gives capacities
MIN_DENSITY = 2.0  # persons/m2: the lowest landmark in docs/crowd.md (Fruin; Green Guide)
RAISING = frozenset({"gt", "gte"})
EMPTY = frozenset({"lt", "lte"})
PERSON_OBJECTS = frozenset({"person"})
PERSON_TYPES = frozenset({"camera.object.person"})
_FORMS = {OCCUPANCY: "when.occupancy", DENSITY: "when.density"}


def check_people(reader: Reader, node: Node, when: When) -> None:
    """Report every raising people threshold in `when` that is not a crowd-safety threshold."""
    for condition in _conditions(when):
        zones = _zones(reader, condition)
        for matcher in condition.matchers:
            kind = _measure(reader, condition.type, matcher.field)
            if kind is not None:
                base = _FORMS.get(condition.type, f"when.{matcher.field}")
                _check_matcher(reader, node, base, matcher, kind, zones)
    if isinstance(when, SimpleWhen) and when.count is not None and _counts_people(when.condition):
        message = (
            "counting camera person detections measures attendance, not safety: "
            "use occupancy or density against the zone's capacity"
        )
        reader.error(node, "when.count", message)


def _conditions(when: When) -> Iterable[ConditionConfig]:
    if isinstance(when, SimpleWhen):
        yield when.condition
    elif isinstance(when, AllWhen | AnyWhen):
        yield from when.parts
    elif isinstance(when, AbsentWhen):
        return  # "no counter reading for 10 minutes" is device health


def _measure(reader: Reader, event_type: str, field: str) -> str | None:
    """'count', 'share' or 'density' when `field` of `event_type` measures people, else None."""
    if event_type == OCCUPANCY:
        return {"value": "count", OF_CAPACITY: "share"}.get(field)
    if event_type == DENSITY:
        return "density" if field == "value" else None
    if reader.schemas is None:
        return None
    schema = reader.schemas.get(event_type)
    if schema is None:
        return None
    if field == "value":
        unit = schema.value_unit
    elif field.startswith("data."):
        spec = schema.fields.get(field[5:])
        unit = spec.unit if spec is not None else ""
    else:
        return None
    if unit in PEOPLE_UNITS:
        return "count"
    return "density" if unit in DENSITY_UNITS else None


def _zones(reader: Reader, condition: ConditionConfig) -> list[tuple[str, int]]:
    """(zone id, capacity) of every zone the condition can see; empty without a site."""
    site = reader.site
    if site is None:
        return []
    named: set[str] | None = None
    for matcher in condition.matchers:
        if matcher.field != "zone":
            continue
        for op, operand in matcher.ops:
            if op == "eq" and isinstance(operand, str):
                named = {operand}
            elif op == "in" and isinstance(operand, tuple):
                named = {str(x) for x in operand}
    return [(z.id, z.capacity) for z in site.zones if named is None or z.id in named]


def _check_matcher(
    reader: Reader, node: Node, base: str, matcher: MatcherConfig, kind: str, zones: list[tuple[str, int]]
) -> None:
    banded = any(op in RAISING for op, _ in matcher.ops)  # `gte: 0.9, lt: 2`: an upper bound of a band
    for op, operand in matcher.ops:
        path = f"{base}.{op}"
        if isinstance(operand, RegionConfig | bool):
            continue
        if op in EMPTY:
            if not banded and (not isinstance(operand, int | float) or operand > 0):
                reader.error(node, path, _too_few(op), got=operand)
            continue
        if op not in RAISING or not isinstance(operand, int | float):
            reader.error(
                node, path, f"{op!r} on a people measurement counts attendance: {_HINT}", got=operand
            )
            continue
        problem = _floor_problem(kind, float(operand), zones)
        if problem is not None:
            reader.error(node, path, problem, got=operand)


_HINT = "a people count raises an alarm only as a crowd-safety threshold (gt/gte near capacity or a density landmark)"


def _too_few(op: str) -> str:
    return (
        f"{op!r} above 0 on a people measurement alarms on too few people, which counts attendance; "
        "only 'the zone is empty' (lte: 0) is a safety check"
    )


def _floor_problem(kind: str, threshold: float, zones: list[tuple[str, int]]) -> str | None:
    if kind == "share":
        if threshold >= MIN_SHARE:
            return None
        return f"a share of capacity below {MIN_SHARE} is not a crowd-safety threshold: {_HINT}"
    if kind == "density":
        if threshold >= MIN_DENSITY:
            return None
        return f"a density below {MIN_DENSITY} persons/m2 (the lowest crowd-safety landmark) counts presence: {_HINT}"
    if not zones:  # no site: nothing to judge the count against
        if threshold >= MIN_CROWD:
            return None
        return (
            f"no site gives a capacity, so a people count raises an alarm only at {MIN_CROWD:g} persons or more; "
            "check the rules with the site, or use 'of: capacity'"
        )
    zone, capacity = max(zones, key=lambda item: item[1])
    floor = MIN_SHARE * capacity
    if threshold >= floor:
        return None
    return (
        f"a people count raises an alarm only at {MIN_SHARE:g} of capacity or more: zone {zone!r} holds "
        f"{capacity}, so at least {floor:g} (or use 'of: capacity')"
    )


def _counts_people(condition: ConditionConfig) -> bool:
    if condition.type in PERSON_TYPES:
        return True
    for matcher in condition.matchers:
        if matcher.field in ("data.object", "data.label"):
            for op, operand in matcher.ops:
                values = operand if isinstance(operand, tuple) else (operand,)
                if op in ("eq", "in") and any(v in PERSON_OBJECTS for v in values):
                    return True
    return False
