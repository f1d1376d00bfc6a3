"""Reading the modifiers of a simple condition (`count`, `rate`, `enter`/`exit`/`dwell`) and the derived
forms `occupancy:` and `density:`."""

from __future__ import annotations

from fairwatch.rules._nodes import Node, Reader
from fairwatch.rules.duration import Duration
from fairwatch.rules.matchers import check_zone, is_number, read_region
from fairwatch.rules.spec import (
    DENSITY,
    OCCUPANCY,
    OF_CAPACITY,
    ConditionConfig,
    CountConfig,
    MatcherConfig,
    RateConfig,
    TrackConfig,
)
from fairwatch.yamlfile import join, one_of

COUNT_OPERATORS = ("gt", "gte")
RATE_OPERATORS = ("gt", "gte", "lt", "lte")
TRACK_MODES = ("enter", "exit", "dwell")
DERIVED_FORMS = {"occupancy": OCCUPANCY, "density": DENSITY}


def read_count(reader: Reader, node: Node) -> CountConfig | None:
    """`count: {gte: N, within: D}` (or `gt`)."""
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
        reader.error(entries[ops[1]][0], path, f"expected exactly {one_of(COUNT_OPERATORS)} (got both)")
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
    reader.error(node, path, f"expected {what}", got=node)
    return None


def read_rate(reader: Reader, node: Node, path: str) -> RateConfig | None:
    """`rate: {per: D, gt: X, window: D}`: exactly one of gt, gte, lt, lte."""
    entries = reader.mapping(node, path, ("per", *RATE_OPERATORS, "window"))
    if entries is None:
        return None
    errors_before = reader.count
    reader.require(node, path, entries, ("per", "window"))
    per = reader.duration(entries["per"][1], join(path, "per")) if "per" in entries else None
    window = reader.duration(entries["window"][1], join(path, "window")) if "window" in entries else None
    ops = [op for op in RATE_OPERATORS if op in entries]
    if not ops:
        reader.error(node, path, f"missing a threshold ({one_of(RATE_OPERATORS)})")
    elif len(ops) > 1:
        got = ", ".join(ops)
        reader.error(entries[ops[1]][0], path, f"expected exactly {one_of(RATE_OPERATORS)} (got {got})")
    threshold = number(reader, entries[ops[0]][1], join(path, ops[0])) if len(ops) == 1 else None
    if per is None or window is None or threshold is None or reader.count > errors_before:
        return None
    return RateConfig(ops[0], threshold, per, window)


def number(reader: Reader, node: Node, path: str) -> float | None:
    """A finite number as written (an int stays an int, for explanations), or None after reporting."""
    value = reader.value(node)
    if is_number(value):
        return value  # type: ignore[no-any-return]
    reader.error(node, path, "expected a number", got=node)
    return None


def read_track(reader: Reader, mode: str, node: Node) -> TrackConfig | None:
    """`enter: R`, `exit: R` or `dwell: {zone: R, for: D}` where R is a zone id or a polygon."""
    path = f"when.{mode}"
    if mode != "dwell":
        region = read_region(reader, node, path)
        return None if region is None else TrackConfig(mode, region)
    entries = reader.mapping(node, path, ("zone", "for"))
    if entries is None:
        return None
    errors_before = reader.count
    reader.require(node, path, entries, ("zone", "for"))
    region = read_region(reader, entries["zone"][1], join(path, "zone")) if "zone" in entries else None
    for_ = reader.duration(entries["for"][1], join(path, "for")) if "for" in entries else None
    if region is None or for_ is None or reader.count > errors_before:
        return None
    return TrackConfig(mode, region, for_)


Derived = tuple[ConditionConfig, Duration | None, RateConfig | None]


def read_derived(reader: Reader, form: str, node: Node, path: str, *, with_rate: bool) -> Derived | None:
    """`occupancy: {zone, <op>: X, of: capacity, for, rate}` or `density: {zone, <op>: X, for, rate}`."""
    keys = ["zone", *RATE_OPERATORS, *(("of",) if form == "occupancy" else ()), "for"]
    entries = reader.mapping(node, path, keys + (["rate"] if with_rate else []))
    if entries is None:
        return None
    errors_before = reader.count
    if form == "density" and reader.site is None:
        reader.error(node, path, "needs a site (zone areas come from the site file)")
    zone = _zone(reader, entries, path)
    of = _of(reader, entries, path) if "of" in entries else False
    ops = [(op, number(reader, entries[op][1], join(path, op))) for op in RATE_OPERATORS if op in entries]
    for_ = reader.duration(entries["for"][1], join(path, "for")) if "for" in entries else None
    rate = read_rate(reader, entries["rate"][1], join(path, "rate")) if "rate" in entries else None
    if not ops and "rate" not in entries:
        reader.error(node, path, f"missing a threshold ({one_of(RATE_OPERATORS)})")
    if "for" in entries and "rate" in entries:
        reader.error(entries["rate"][0], path, "'for' and 'rate' cannot be combined")
    if reader.count > errors_before:
        return None
    matchers = [] if zone is None else [MatcherConfig("zone", (("eq", zone),))]
    if ops:
        matchers.append(
            MatcherConfig(OF_CAPACITY if of else "value", tuple((op, x) for op, x in ops if x is not None))
        )
    return ConditionConfig(DERIVED_FORMS[form], tuple(matchers)), for_, rate


def _zone(reader: Reader, entries: dict[str, tuple[Node, Node]], path: str) -> str | None:
    if "zone" not in entries:
        return None
    node = entries["zone"][1]
    zone = reader.string(node, join(path, "zone"))
    if zone is not None:
        reader.guard(node, join(path, "zone"), zone)
        check_zone(reader, node, join(path, "zone"), zone)
    return zone


def _of(reader: Reader, entries: dict[str, tuple[Node, Node]], path: str) -> bool:
    node = entries["of"][1]
    if reader.value(node) != "capacity":
        reader.error(node, join(path, "of"), "expected 'capacity'", got=node)
    elif reader.site is None:
        reader.error(node, join(path, "of"), "needs a site (zone capacities come from the site file)")
    return True
