"""The condition grammar of rule files (`when`, `clear`, matchers) as config objects, read strictly."""

from __future__ import annotations

import math
from dataclasses import dataclass

import yaml

from fairwatch.rules._nodes import DATA_KEY, Node, Reader, is_data_key, join, one_of
from fairwatch.rules.duration import Duration

Scalar = str | int | float | bool
Operand = Scalar | tuple[Scalar, ...]

OPERATORS = ("gt", "gte", "lt", "lte", "eq", "ne", "in")
COUNT_OPERATORS = ("gt", "gte")
NUMERIC_OPERATORS = frozenset({"gt", "gte", "lt", "lte"})
STRING_FIELDS = ("source", "site", "zone")
STRING_OPERATORS = ("eq", "ne", "in")
MATCH_KEYS = ("type", *STRING_FIELDS, "value", DATA_KEY)


@dataclass(frozen=True, slots=True)
class MatcherConfig:
    """One field test: every (operator, operand) pair must hold. A bare scalar is `eq`."""

    field: str  # "value", "zone", "data.kind", ...
    ops: tuple[tuple[str, Operand], ...]


@dataclass(frozen=True, slots=True)
class ConditionConfig:
    """An event type plus field matchers."""

    type: str
    matchers: tuple[MatcherConfig, ...] = ()


@dataclass(frozen=True, slots=True)
class CountConfig:
    """`count: {gte: 3, within: 10m}`."""

    op: str
    threshold: int
    within: Duration


@dataclass(frozen=True, slots=True)
class SimpleWhen:
    """A single condition, optionally held `for` a duration or counted in a window."""

    condition: ConditionConfig
    for_: Duration | None = None
    count: CountConfig | None = None


@dataclass(frozen=True, slots=True)
class AllWhen:
    """Every part seen within `within` of each other."""

    parts: tuple[ConditionConfig, ...]
    within: Duration


@dataclass(frozen=True, slots=True)
class AbsentWhen:
    """No matching event for `for_`."""

    condition: ConditionConfig
    for_: Duration


When = SimpleWhen | AllWhen | AbsentWhen


@dataclass(frozen=True, slots=True)
class ClearConfig:
    """The condition that ends a firing alarm; its `type` is already defaulted to the when-type."""

    condition: ConditionConfig
    for_: Duration | None = None


Entries = dict[str, tuple[Node, Node]]


def shape(reader: Reader, node: Node) -> str | None:
    """Which form a `when` mapping has: 'all', 'absent', 'count' or 'simple' (None: not a mapping)."""
    if not isinstance(node, yaml.MappingNode):
        return None
    keys = {reader.value(key) for key, _ in node.value}
    return next((k for k in ("all", "absent", "count") if k in keys), "simple")


def read_when(reader: Reader, node: Node) -> When | None:
    """Read a `when` mapping in one of its forms: simple (maybe with for or count), `all` or `absent`."""
    form = shape(reader, node)
    if form is None:
        reader.error(node, "when", f"expected a mapping, got {reader.describe(node)}")
        return None
    if form == "all":
        return _read_all(reader, node)
    if form == "absent":
        return _read_absent(reader, node)
    return _read_simple(reader, node)


def read_clear(
    reader: Reader, entry: tuple[Node, Node], when_node: Node | None, when: When | None
) -> ClearConfig | None:
    """Read `clear`, allowed only where the rule cannot clear itself; its type defaults to the when-type."""
    key_node, node = entry
    form = shape(reader, when_node) if when_node is not None else None
    if form in ("count", "absent"):
        reason = "the window count drops" if form == "count" else "the event returns"
        reader.error(key_node, "clear", f"not allowed with {form} (the rule clears when {reason})")
        return None
    entries = reader.mapping(node, "clear", (*MATCH_KEYS, "for"))
    if entries is None:
        return None
    if form == "all" and "type" not in entries:
        reader.error(node, "clear", "missing required key 'type' (needed when 'when' uses all)")
        return None
    errors_before = reader.count
    # Without a valid `when` there is no type to default to; its own errors are reported already.
    default = when.condition.type if isinstance(when, SimpleWhen) else "?"
    condition = _condition(reader, node, "clear", entries, default)
    for_ = reader.duration(entries["for"][1], "clear.for") if "for" in entries else None
    if condition is None or reader.count > errors_before:
        return None
    return ClearConfig(condition, for_)


def _read_simple(reader: Reader, node: Node) -> SimpleWhen | None:
    entries = reader.mapping(node, "when", (*MATCH_KEYS, "for", "count"))
    if entries is None:
        return None
    errors_before = reader.count
    condition = _condition(reader, node, "when", entries)
    for_ = reader.duration(entries["for"][1], "when.for") if "for" in entries else None
    count = _read_count(reader, entries["count"][1]) if "count" in entries else None
    if "for" in entries and "count" in entries:
        reader.error(entries["count"][0], "when", "'for' and 'count' cannot be combined")
    if condition is None or reader.count > errors_before:
        return None
    return SimpleWhen(condition, for_, count)


def _read_count(reader: Reader, node: Node) -> CountConfig | None:
    path = "when.count"
    entries = reader.mapping(node, path, (*COUNT_OPERATORS, "within"))
    if entries is None:
        return None
    ops = [op for op in COUNT_OPERATORS if op in entries]
    within = reader.duration(entries["within"][1], "when.count.within") if "within" in entries else None
    reader.require(node, path, entries, ("within",))
    if not ops:
        reader.error(node, path, f"missing a threshold ({one_of(COUNT_OPERATORS)})")
        return None
    if len(ops) > 1:
        reader.error(entries[ops[1]][0], path, f"expected exactly {one_of(COUNT_OPERATORS)}, got both")
        return None
    threshold = _threshold(
        reader, entries[ops[0]][1], join(path, ops[0]), minimum=1 if ops[0] == "gte" else 0
    )
    if threshold is None or within is None:
        return None
    return CountConfig(ops[0], threshold, within)


def _threshold(reader: Reader, node: Node, path: str, minimum: int) -> int | None:
    value = reader.value(node)
    if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
        return value
    what = "a positive integer" if minimum == 1 else "a non-negative integer"
    reader.error(node, path, f"expected {what}, got {reader.describe(node)}")
    return None


def _read_all(reader: Reader, node: Node) -> AllWhen | None:
    entries = reader.mapping(node, "when", ("all", "within"))
    if entries is None:
        return None
    errors_before = reader.count
    reader.require(node, "when", entries, ("within",))
    within = reader.duration(entries["within"][1], "when.within") if "within" in entries else None
    all_node = entries["all"][1]
    items = reader.sequence(all_node, "when.all", "conditions")
    if items is not None and len(items) < 2:
        reader.error(all_node, "when.all", f"expected at least 2 conditions, got {len(items)}")
    parts = [_read_part(reader, item, f"when.all[{i}]") for i, item in enumerate(items or ())]
    if within is None or reader.count > errors_before:
        return None
    return AllWhen(tuple(p for p in parts if p is not None), within)


def _read_part(reader: Reader, node: Node, path: str) -> ConditionConfig | None:
    entries = reader.mapping(node, path, MATCH_KEYS)
    return None if entries is None else _condition(reader, node, path, entries)


def _read_absent(reader: Reader, node: Node) -> AbsentWhen | None:
    entries = reader.mapping(node, "when", ("absent",))
    if entries is None:
        return None
    inner = entries["absent"][1]
    path = "when.absent"
    inner_entries = reader.mapping(inner, path, (*MATCH_KEYS, "for"))
    if inner_entries is None:
        return None
    errors_before = reader.count
    reader.require(inner, path, inner_entries, ("for",))
    condition = _condition(reader, inner, path, inner_entries)
    for_ = reader.duration(inner_entries["for"][1], "when.absent.for") if "for" in inner_entries else None
    if condition is None or for_ is None or reader.count > errors_before:
        return None
    return AbsentWhen(condition, for_)


def _condition(
    reader: Reader, node: Node, path: str, entries: Entries, default_type: str | None = None
) -> ConditionConfig | None:
    """Type and matchers from a condition's entries; `default_type` applies when `type` is absent."""
    event_type = default_type
    if "type" in entries:
        event_type = reader.string(entries["type"][1], join(path, "type"))
        if event_type is not None:
            reader.guard(entries["type"][1], join(path, "type"), event_type)
    elif default_type is None:
        reader.require(node, path, entries, ("type",))
    matchers = []
    for key, (key_node, value_node) in entries.items():
        if key in STRING_FIELDS or key == "value" or is_data_key(key):
            if is_data_key(key):
                reader.guard(key_node, join(path, key), key[5:])
            matchers.append(_matcher(reader, key, value_node, join(path, key)))
    if event_type is None or None in matchers:
        return None
    return ConditionConfig(event_type, tuple(m for m in matchers if m is not None))


def _matcher(reader: Reader, field: str, node: Node, path: str) -> MatcherConfig | None:
    if isinstance(node, yaml.SequenceNode):
        hint = "write {in: [...]} to match any of several values"
        reader.error(node, path, f"expected a value or an operator mapping, got a list ({hint})")
        return None
    if not isinstance(node, yaml.MappingNode):
        operand = _operand(reader, node, path, field, "eq")
        return None if operand is None else MatcherConfig(field, (("eq", operand),))
    if not node.value:
        reader.error(node, path, f"expected at least one operator ({one_of(OPERATORS)})")
        return None
    ops = [_operator(reader, key_node, value_node, path, field) for key_node, value_node in node.value]
    if None in ops or _has_duplicate_ops(reader, node, path):
        return None
    return MatcherConfig(field, tuple(op for op in ops if op is not None))


def _operator(
    reader: Reader, key_node: Node, node: Node, path: str, field: str
) -> tuple[str, Operand] | None:
    op = reader.value(key_node)
    if not isinstance(op, str) or op not in OPERATORS:
        reader.error(
            key_node, path, f"unknown operator {reader.describe(key_node)} (expected {one_of(OPERATORS)})"
        )
        return None
    if field in STRING_FIELDS and op not in STRING_OPERATORS:
        reader.error(
            key_node, path, f"operator {op!r} does not apply to {field} (expected {one_of(STRING_OPERATORS)})"
        )
        return None
    if op != "in":
        operand = _operand(reader, node, join(path, op), field, op)
        return None if operand is None else (op, operand)
    items = reader.sequence(node, join(path, "in"), "values")
    if items is not None and not items:
        reader.error(node, join(path, "in"), "expected a non-empty list of values, got an empty list")
    if not items:
        return None
    values = [_operand(reader, item, f"{path}.in[{i}]", field, "eq") for i, item in enumerate(items)]
    if None in values:
        return None
    return op, tuple(v for v in values if v is not None)


def _has_duplicate_ops(reader: Reader, node: Node, path: str) -> bool:
    seen: dict[object, int] = {}
    duplicate = False
    for key_node, _ in node.value:
        op = reader.value(key_node)
        if op in seen:
            reader.error(key_node, path, f"duplicate operator {op!r} (first at line {seen[op]})")
            duplicate = True
        else:
            seen[op] = int(key_node.start_mark.line) + 1
    return duplicate


def _operand(reader: Reader, node: Node, path: str, field: str, op: str) -> Scalar | None:
    """Check one operand's type against its field and operator."""
    value = reader.value(node)
    if field == "value" or op in NUMERIC_OPERATORS:
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return value
        reader.error(node, path, f"expected a number, got {reader.describe(node)}")
        return None
    if field in STRING_FIELDS and not isinstance(value, str):
        reader.error(node, path, f"expected a string, got {reader.describe(node)}")
        return None
    if not isinstance(value, str | int | float | bool):
        reader.error(node, path, f"expected a string, number or boolean, got {reader.describe(node)}")
        return None
    if isinstance(value, str):
        reader.guard(node, path, value)
    return value
