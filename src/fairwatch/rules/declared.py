"""Rules see declared measurements only (RIGHTS.md RS-11), checked while a rule file is read.

With the schemas in force (`Reader.schemas`), a condition's event type must be declared; `data.<key>` matchers
and `group_by` keys must name a declared field that is a measurement (number, boolean or closed enum), never
narrative text; string matching applies to closed enums only, with values of that enum; order comparisons to
numbers only. Derived readings (`@occupancy`, `@density`) are the engine's own and have no schema.
"""

from __future__ import annotations

from collections.abc import Iterable

from fairwatch.rules._nodes import Node, Reader
from fairwatch.rules.spec import AbsentWhen, AllWhen, AnyWhen, MatcherConfig, RegionConfig, SimpleWhen, When
from fairwatch.schemas import EventSchema, FieldSpec, Kind

ORDER_OPERATORS = frozenset({"gt", "gte", "lt", "lte"})


def schema_of(reader: Reader, node: Node, path: str, event_type: str) -> EventSchema | None:
    """The schema of a condition's type; an undeclared type is reported. None without schemas or for derived."""
    if reader.schemas is None or event_type.startswith("@"):
        return None
    schema = reader.schemas.get(event_type)
    if schema is None:
        reader.error(node, path, f"unknown event type {event_type!r}: no event schema declares it")
    return schema


def field_of(reader: Reader, node: Node, path: str, schema: EventSchema, key: str) -> FieldSpec | None:
    """A declared measurement field of `schema`; anything else is reported."""
    spec = schema.fields.get(key)
    declared = schema.declared(measurements_only=True)
    if spec is None:
        message = f"{key!r} is not a declared field of event type {schema.type!r} (declared: {declared})"
        reader.error(node, path, message)
        return None
    if not spec.measurement:
        message = f"{key!r} of event type {schema.type!r} is narrative text: rules never evaluate it (declared measurements: {declared})"
        reader.error(node, path, message)
        return None
    return spec


def check_matcher(reader: Reader, node: Node, path: str, spec: FieldSpec, matcher: MatcherConfig) -> None:
    """Each operand of a `data.<key>` matcher fits the declared kind of its field."""
    for op, operand in matcher.ops:
        if isinstance(operand, RegionConfig):
            continue
        values = operand if isinstance(operand, tuple) else (operand,)
        if op in ORDER_OPERATORS and spec.kind is not Kind.NUMBER:
            reader.error(node, path, f"operator {op!r} compares numbers; {spec.name!r} is {spec.describe()}")
            continue
        for value in values:
            problem = _operand_problem(spec, value)
            if problem is not None:
                reader.error(node, path, problem, got=value)


def _operand_problem(spec: FieldSpec, value: object) -> str | None:
    if spec.kind is Kind.ENUM:
        if isinstance(value, str) and value in spec.values:
            return None
        return f"expected a value of the enum {spec.name!r} ({', '.join(spec.values)})"
    if spec.kind is Kind.BOOLEAN:
        return None if isinstance(value, bool) else f"expected true or false ({spec.name!r} is boolean)"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return None
    return f"expected a number ({spec.name!r} is {spec.describe()}; string matching applies to closed enums only)"


def check_group_key(reader: Reader, node: Node, path: str, key: str, when: When | None) -> None:
    """A `data.<key>` group key is a declared measurement of every event type the rule listens to."""
    if reader.schemas is None or when is None:
        return
    for event_type in sorted(set(types_of(when))):
        schema = None if event_type.startswith("@") else reader.schemas.get(event_type)
        if schema is not None:
            field_of(reader, node, path, schema, key)


def types_of(when: When) -> Iterable[str]:
    """The event types a rule's `when` listens to."""
    if isinstance(when, SimpleWhen | AbsentWhen):
        yield when.condition.type
    elif isinstance(when, AllWhen | AnyWhen):
        yield from (part.type for part in when.parts)
