"""Reading one condition: its type and field matchers, geofence regions and zone references."""

from __future__ import annotations

import math

import yaml

from fairwatch.rules._nodes import DATA_KEY, Node, Reader, is_data_key
from fairwatch.rules.declared import check_matcher, field_of, schema_of
from fairwatch.rules.spec import ConditionConfig, MatcherConfig, Operand, Point, RegionConfig, Scalar
from fairwatch.site.model import polygon_problem
from fairwatch.yamlfile import join, one_of

OPERATORS = ("gt", "gte", "lt", "lte", "eq", "ne", "in")
NUMERIC_OPERATORS = frozenset({"gt", "gte", "lt", "lte"})
STRING_FIELDS = ("source", "site", "zone")
STRING_OPERATORS = ("eq", "ne", "in")
GEOFENCES = ("inside", "outside")
MATCH_KEYS = ("type", *STRING_FIELDS, "value", *GEOFENCES, DATA_KEY)
REGION_HINT = "expected a zone id or a list of at least 3 points [x, y]"

Entries = dict[str, tuple[Node, Node]]


def read_condition(
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
    matchers: list[MatcherConfig | None] = []
    schema = None
    if "type" in entries and event_type is not None:
        schema = schema_of(reader, entries["type"][1], join(path, "type"), event_type)
    elif event_type is not None and reader.schemas is not None:  # the when-type, checked where it is written
        schema = reader.schemas.get(event_type)
    for key, (key_node, value_node) in entries.items():
        if key in STRING_FIELDS or key == "value" or is_data_key(key):
            spec = None
            if is_data_key(key):
                reader.guard(key_node, join(path, key), key[5:])
                if schema is not None:
                    spec = field_of(reader, key_node, join(path, key), schema, key[5:])
                    if spec is None:
                        matchers.append(None)
                        continue
            matcher = _matcher(reader, key, value_node, join(path, key))
            if matcher is not None and spec is not None:
                check_matcher(reader, value_node, join(path, key), spec, matcher)
            matchers.append(matcher)
        elif key in GEOFENCES:
            region = read_region(reader, value_node, join(path, key))
            matchers.append(None if region is None else MatcherConfig("location", ((key, region),)))
    if event_type is None or None in matchers:
        return None
    return ConditionConfig(event_type, tuple(m for m in matchers if m is not None))


def read_region(reader: Reader, node: Node, path: str) -> RegionConfig | None:
    """A geofence: a zone id of the site, or a list of at least 3 points [x, y] making a valid polygon."""
    if isinstance(node, yaml.SequenceNode):
        return _polygon(reader, node, path)
    value = reader.value(node)
    if not isinstance(value, str) or not value:
        reader.error(node, path, f"{REGION_HINT}", got=node)
        return None
    reader.guard(node, path, value)
    if reader.site is None:
        hint = "or give the polygon as [[x, y], ...]"
        reader.error(node, path, f"zone {value!r} needs a site to resolve it ({hint})")
        return None
    return RegionConfig(zone=value) if check_zone(reader, node, path, value) else None


def check_zone(reader: Reader, node: Node, path: str, zone: str) -> bool:
    """With a site, report a zone id the site does not have; True if the id is fine."""
    site = reader.site
    if site is None or zone in site.zone_ids:
        return True
    reader.error(node, path, f"unknown zone {zone!r} in site {site.id!r}")
    return False


def _polygon(reader: Reader, node: yaml.SequenceNode, path: str) -> RegionConfig | None:
    items = list(node.value)
    points = [_point(reader, item, f"{path}[{i}]") for i, item in enumerate(items)]
    if None in points:
        return None
    if len(items) < 3:
        reader.error(node, path, f"{REGION_HINT} (got {len(items)} point{'' if len(items) == 1 else 's'})")
        return None
    good = [p for p in points if p is not None]
    problem = polygon_problem(good)
    if problem is not None:
        reader.error(node, path, f"not a valid polygon ({problem})")
        return None
    return RegionConfig(points=tuple(good))


def _point(reader: Reader, node: Node, path: str) -> Point | None:
    if isinstance(node, yaml.SequenceNode) and len(node.value) == 2:
        x, y = (reader.value(n) for n in node.value)
        if is_number(x) and is_number(y):
            return float(x), float(y)
    reader.error(node, path, f"expected a point [x, y] of two numbers (got {_shown(reader, node)})")
    return None


def _shown(reader: Reader, node: Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "[" + ", ".join(_shown(reader, n) for n in node.value) + "]"
    return reader.describe(node)


def is_number(value: object) -> bool:
    """A finite int or float that is not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _matcher(reader: Reader, field: str, node: Node, path: str) -> MatcherConfig | None:
    if isinstance(node, yaml.SequenceNode):
        hint = "write {in: [...]} to match any of several values"
        reader.error(node, path, f"expected a value or an operator mapping (got a list; {hint})")
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
        reader.error(node, join(path, "in"), "expected a non-empty list of values (got an empty list)")
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
        if is_number(value):
            return value  # type: ignore[no-any-return]
        reader.error(node, path, "expected a number", got=node)
        return None
    if field in STRING_FIELDS and not isinstance(value, str):
        reader.error(node, path, "expected a string", got=node)
        return None
    if not isinstance(value, str | int | float | bool):
        reader.error(node, path, "expected a string, number or boolean", got=node)
        return None
    if isinstance(value, str):
        reader.guard(node, path, value)
        if field == "zone" and not check_zone(reader, node, path, value):
            return None
    return value
