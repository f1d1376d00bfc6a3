"""The condition grammar of rule files (`when`, `clear`) read strictly into config objects (`spec.py`).

Matchers and regions are read by `matchers.py`, modifiers and the occupancy/density forms by `forms.py`.
"""

from __future__ import annotations

import yaml

from fairwatch.rules._nodes import Node, Reader
from fairwatch.rules.crowd_forms import CROWD_FORMS, read_crowd_when
from fairwatch.rules.forms import (
    COUNT_OPERATORS,
    DERIVED_FORMS,
    read_count,
    read_derived,
    read_rate,
    read_track,
)
from fairwatch.rules.matchers import (
    MATCH_KEYS,
    NUMERIC_OPERATORS,
    OPERATORS,
    STRING_FIELDS,
    STRING_OPERATORS,
    is_number,
    read_condition,
)
from fairwatch.rules.spec import (
    AbsentWhen,
    AllWhen,
    AnyWhen,
    ClearConfig,
    ConditionConfig,
    CountConfig,
    MatcherConfig,
    Operand,
    RateConfig,
    RegionConfig,
    Scalar,
    SimpleWhen,
    TrackConfig,
    When,
)
from fairwatch.yamlfile import join

__all__ = [
    "COUNT_OPERATORS",
    "MATCH_KEYS",
    "NUMERIC_OPERATORS",
    "OPERATORS",
    "STRING_FIELDS",
    "STRING_OPERATORS",
    "AbsentWhen",
    "AllWhen",
    "AnyWhen",
    "ClearConfig",
    "ConditionConfig",
    "CountConfig",
    "MatcherConfig",
    "Operand",
    "RateConfig",
    "RegionConfig",
    "Scalar",
    "SimpleWhen",
    "TrackConfig",
    "When",
    "read_clear",
    "read_when",
    "shape",
    "zone_group_problem",
]

MODIFIERS = ("for", "count", "rate", "enter", "exit", "dwell")
FORMS = ("all", "any", "absent", "occupancy", "density", "count", "rate", *CROWD_FORMS)
CORROBORATION_KEYS = ("within", "radius", "min_sources")

Entries = dict[str, tuple[Node, Node]]


def shape(reader: Reader, node: Node) -> str | None:
    """Which form a `when` mapping has: one of FORMS or 'simple' (None: not a mapping)."""
    if not isinstance(node, yaml.MappingNode):
        return None
    keys = {reader.value(key) for key, _ in node.value}
    return next((k for k in FORMS if k in keys), "simple")


def read_when(reader: Reader, node: Node) -> When | None:
    """Read a `when` mapping in one of its forms: simple (maybe with a modifier), all, any, absent or a
    derived reading (occupancy, density)."""
    form = shape(reader, node)
    if form is None:
        reader.error(node, "when", "expected a mapping", got=node)
        return None
    if form in ("all", "any"):
        return _read_corroboration(reader, node, form)
    if form == "absent":
        return _read_absent(reader, node)
    if form in DERIVED_FORMS:
        return _read_derived_when(reader, node, form)
    if form in CROWD_FORMS:
        return read_crowd_when(reader, node, form)
    return _read_simple(reader, node)


def _clears_itself(form: str | None, when: When | None) -> str | None:
    if form in ("count", "absent", "rate"):
        return form
    return "rate" if isinstance(when, SimpleWhen) and when.rate is not None else None


_SELF_CLEARING = {
    "count": "the window count drops",
    "absent": "the event returns",
    "rate": "the rate drops",
}


def read_clear(
    reader: Reader, entry: tuple[Node, Node], when_node: Node | None, when: When | None
) -> ClearConfig | None:
    """Read `clear`, allowed only where the rule cannot clear itself; its type defaults to the when-type."""
    key_node, node = entry
    form = shape(reader, when_node) if when_node is not None else None
    itself = _clears_itself(form, when)
    if itself is not None:
        reason = _SELF_CLEARING[itself]
        reader.error(key_node, "clear", f"not allowed with {itself} (the rule clears when {reason})")
        return None
    entries = reader.mapping(node, "clear", (*MATCH_KEYS, "for", *DERIVED_FORMS))
    if entries is None:
        return None
    derived = [k for k in DERIVED_FORMS if k in entries]
    if derived:
        return _read_derived_clear(reader, entries, derived[0])
    if form in ("all", "any") and "type" not in entries:
        reader.error(node, "clear", f"missing required key 'type' (needed when 'when' uses {form})")
        return None
    errors_before = reader.count
    # Without a valid `when` there is no type to default to; its own errors are reported already.
    default = when.condition.type if isinstance(when, SimpleWhen) else "?"
    condition = read_condition(reader, node, "clear", entries, default)
    for_ = reader.duration(entries["for"][1], "clear.for") if "for" in entries else None
    if condition is None or reader.count > errors_before:
        return None
    return ClearConfig(condition, for_)


def _read_derived_clear(reader: Reader, entries: Entries, form: str) -> ClearConfig | None:
    """`clear: {occupancy: {...}}`: the form alone, its `for` inside it as in `when`."""
    others = [k for k in entries if k != form]
    for key in others:
        reader.error(entries[key][0], "clear", f"{key!r} cannot be combined with {form!r}")
    derived = read_derived(reader, form, entries[form][1], f"clear.{form}", with_rate=False)
    if derived is None or others:
        return None
    condition, for_, _ = derived
    return ClearConfig(condition, for_)


def _read_simple(reader: Reader, node: Node) -> SimpleWhen | None:
    entries = reader.mapping(node, "when", (*MATCH_KEYS, *MODIFIERS))
    if entries is None:
        return None
    errors_before = reader.count
    condition = read_condition(reader, node, "when", entries)
    for_ = reader.duration(entries["for"][1], "when.for") if "for" in entries else None
    count = read_count(reader, entries["count"][1]) if "count" in entries else None
    rate = read_rate(reader, entries["rate"][1], "when.rate") if "rate" in entries else None
    modes = [m for m in ("enter", "exit", "dwell") if m in entries]
    track = read_track(reader, modes[0], entries[modes[0]][1]) if modes else None
    used = [m for m in MODIFIERS if m in entries]
    if len(used) > 1:
        reader.error(entries[used[1]][0], "when", f"{used[0]!r} and {used[1]!r} cannot be combined")
    if condition is None or reader.count > errors_before:
        return None
    return SimpleWhen(condition, for_, count, rate, track)


def _read_derived_when(reader: Reader, node: Node, form: str) -> SimpleWhen | None:
    entries = reader.mapping(node, "when", (form,))
    if entries is None:
        return None
    derived = read_derived(reader, form, entries[form][1], f"when.{form}", with_rate=True)
    if derived is None:
        return None
    condition, for_, rate = derived
    return SimpleWhen(condition, for_, rate=rate, derived=form)


def zone_group_problem(when: When, group_by: tuple[str, ...]) -> str | None:
    """The derived form (occupancy, density) of a `when` that names no zone and is not grouped by zone:
    readings of different zones would then take turns in one condition."""
    if not isinstance(when, SimpleWhen) or when.derived not in DERIVED_FORMS or "zone" in group_by:
        return None
    pinned = any(m.field == "zone" for m in when.condition.matchers)
    return None if pinned else when.derived


def _read_corroboration(reader: Reader, node: Node, form: str) -> AllWhen | AnyWhen | None:
    entries = reader.mapping(node, "when", (form, *CORROBORATION_KEYS))
    if entries is None:
        return None
    errors_before = reader.count
    reader.require(node, "when", entries, ("within",))
    within = reader.duration(entries["within"][1], "when.within") if "within" in entries else None
    radius = _radius(reader, entries["radius"][1]) if "radius" in entries else None
    sources = _min_sources(reader, entries["min_sources"][1]) if "min_sources" in entries else 1
    parts_node = entries[form][1]
    path = f"when.{form}"
    items = reader.sequence(parts_node, path, "conditions")
    least = 2 if form == "all" else 1
    if items is not None and len(items) < least:
        noun = "condition" if least == 1 else "conditions"
        reader.error(parts_node, path, f"expected at least {least} {noun}", got=len(items))
    parts = [_read_part(reader, item, f"{path}[{i}]") for i, item in enumerate(items or ())]
    if within is None or sources is None or reader.count > errors_before:
        return None
    kind = AllWhen if form == "all" else AnyWhen
    return kind(tuple(p for p in parts if p is not None), within, radius, sources)


def _radius(reader: Reader, node: Node) -> float | None:
    value = reader.value(node)
    if is_number(value) and value > 0:
        return float(value)
    reader.error(node, "when.radius", "expected a positive number of metres", got=node)
    return None


def _min_sources(reader: Reader, node: Node) -> int | None:
    value = reader.value(node)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    reader.error(node, "when.min_sources", "expected a positive integer", got=node)
    return None


def _read_part(reader: Reader, node: Node, path: str) -> ConditionConfig | None:
    entries = reader.mapping(node, path, (*MATCH_KEYS, "trusted"))
    if entries is None:
        return None
    condition = read_condition(reader, node, path, entries)
    if "trusted" not in entries:
        return condition
    trusted_node = entries["trusted"][1]
    trusted = reader.value(trusted_node)
    if not isinstance(trusted, bool):
        reader.error(
            trusted_node,
            join(path, "trusted"),
            "expected true or false",
            got=trusted_node,
        )
        return None
    if condition is None:
        return None
    return ConditionConfig(condition.type, condition.matchers, trusted)


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
    condition = read_condition(reader, inner, path, inner_entries)
    for_ = reader.duration(inner_entries["for"][1], "when.absent.for") if "for" in inner_entries else None
    if condition is None or for_ is None or reader.count > errors_before:
        return None
    return AbsentWhen(condition, for_)
