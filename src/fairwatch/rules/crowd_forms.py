"""Reading the crowd forms of `when`: `flow`, `counterflow`, `los` and `time_to_capacity` (docs/crowd.md).

Each becomes a condition on a derived reading (`@flow` per link, `@capacity` per zone) held for its `for`
(0 s when not given: raised on the first true reading, cleared by the first false one).
"""

from __future__ import annotations

from fairwatch.crowd import capacity, los
from fairwatch.rules._nodes import Node, Reader
from fairwatch.rules.duration import Duration
from fairwatch.rules.forms import RATE_OPERATORS, number
from fairwatch.rules.matchers import check_zone
from fairwatch.rules.spec import CAPACITY, FLOW, ConditionConfig, MatcherConfig, SimpleWhen
from fairwatch.yamlfile import join, one_of

CROWD_FORMS = ("flow", "counterflow", "los", "time_to_capacity", "queue", "stale")
QUEUE = "counter.queue"  # a queue counter: value = people queueing, data.wait_s = estimated wait
DIRECTIONS = ("forward", "backward", "total")
NOW = Duration(0.0, "0s")  # a crowd condition without `for` holds from its first true reading
Entries = dict[str, tuple[Node, Node]]


def read_crowd_when(reader: Reader, node: Node, form: str) -> SimpleWhen | None:
    """`when: {<form>: {...}}` for one of CROWD_FORMS."""
    entries = reader.mapping(node, "when", (form,))
    if entries is None:
        return None
    path = f"when.{form}"
    inner = entries[form][1]
    errors_before = reader.count
    keys, required = _KEYS[form]
    inner_entries = reader.mapping(inner, path, (*keys, "for"), required)
    if inner_entries is None or not reader.require(inner, path, inner_entries, required):
        return None
    matchers = _READERS[form](reader, inner, inner_entries, path)
    if form == "stale" or "for" not in inner_entries:
        for_: Duration | None = NOW  # stale's `for` is how long the totals stood still, in the reading
    else:
        for_ = reader.duration(inner_entries["for"][1], join(path, "for"))
    if matchers is None or for_ is None or reader.count > errors_before:
        return None
    kind = {"time_to_capacity": CAPACITY, "queue": QUEUE}.get(form, FLOW)
    return SimpleWhen(ConditionConfig(kind, tuple(matchers)), for_, derived=form)


def _link(reader: Reader, entries: Entries, path: str) -> list[MatcherConfig]:
    """`link: <id>` (optional: without it the rule reads every link, usually with group_by: [data.link])."""
    if "link" not in entries:
        return []
    node = entries["link"][1]
    link = reader.string(node, join(path, "link"))
    if link is None:
        return []
    site = reader.site  # without one, link ids are not checked (as zone ids): nothing is measured either
    if site is not None and link not in site.link_ids:
        reader.error(node, join(path, "link"), f"unknown link {link!r} in site {site.id!r}")
    return [MatcherConfig("data.link", (("eq", link),))]


def _threshold(reader: Reader, node: Node, entries: Entries, path: str, field: str) -> MatcherConfig | None:
    ops = [op for op in RATE_OPERATORS if op in entries]
    if not ops:
        reader.error(node, path, f"missing a threshold ({one_of(RATE_OPERATORS)})")
        return None
    pairs = [(op, number(reader, entries[op][1], join(path, op))) for op in ops]
    good = tuple((op, x) for op, x in pairs if x is not None)
    return MatcherConfig(field, good) if len(good) == len(pairs) else None


def _flow(reader: Reader, node: Node, entries: Entries, path: str) -> list[MatcherConfig] | None:
    direction = "total"
    if "direction" in entries:
        dnode = entries["direction"][1]
        value = reader.value(dnode)
        if value in DIRECTIONS:
            direction = value
        else:
            reader.error(dnode, join(path, "direction"), f"expected {one_of(DIRECTIONS)}", got=dnode)
    matchers = _link(reader, entries, path)
    test = _threshold(reader, node, entries, path, f"data.{direction}")
    return None if test is None else [*matchers, test]


def _counterflow(reader: Reader, node: Node, entries: Entries, path: str) -> list[MatcherConfig] | None:
    matchers = _link(reader, entries, path)
    test = _threshold(reader, node, entries, path, "data.counterflow")
    if test is None:
        return None
    matchers.append(test)
    if "min_flow" in entries:
        least = number(reader, entries["min_flow"][1], join(path, "min_flow"))
        if least is None:
            return None
        matchers.append(MatcherConfig("data.total", (("gte", least),)))
    return matchers


def _los(reader: Reader, node: Node, entries: Entries, path: str) -> list[MatcherConfig] | None:
    matchers = _link(reader, entries, path)
    bnode = entries["worse_than"][1]
    letter = reader.value(bnode)
    if letter not in los.LETTERS[:-1]:
        reader.error(bnode, join(path, "worse_than"), f"expected {one_of(los.LETTERS[:-1])}", got=bnode)
        return None
    return [*matchers, MatcherConfig("data.los_rank", (("gt", los.rank(letter)),))]


def _time_to_capacity(reader: Reader, node: Node, entries: Entries, path: str) -> list[MatcherConfig] | None:
    znode = entries["zone"][1]
    zone = reader.string(znode, join(path, "zone"))
    if zone is not None:
        reader.guard(znode, join(path, "zone"), zone)
        check_zone(reader, znode, join(path, "zone"), zone)
    within = reader.duration(entries["within"][1], join(path, "within"))
    method = "linear"
    if "method" in entries:
        mnode = entries["method"][1]
        method = reader.value(mnode)
        if method not in capacity.METHODS:
            reader.error(mnode, join(path, "method"), f"expected {one_of(capacity.METHODS)}", got=mnode)
            return None
    if zone is None or within is None:
        return None
    field = "value" if method == "linear" else "data.smoothed"
    return [MatcherConfig("zone", (("eq", zone),)), MatcherConfig(field, (("lte", within.seconds),))]


def _queue(reader: Reader, node: Node, entries: Entries, path: str) -> list[MatcherConfig] | None:
    """`queue: {zone | source, length: {gt: N}, wait: {gt: 10m}}`: at least one of length and wait."""
    matchers: list[MatcherConfig] = []
    for field in ("zone", "source"):
        if field in entries:
            fnode = entries[field][1]
            value = reader.string(fnode, join(path, field))
            if value is None:
                return None
            reader.guard(fnode, join(path, field), value)
            if field == "zone":
                check_zone(reader, fnode, join(path, field), value)
            matchers.append(MatcherConfig(field, (("eq", value),)))
    if "length" not in entries and "wait" not in entries:
        reader.error(node, path, "missing 'length' or 'wait'")
        return None
    if "length" in entries:
        lnode = entries["length"][1]
        lentries = reader.mapping(lnode, join(path, "length"), RATE_OPERATORS)
        test = (
            None if lentries is None else _threshold(reader, lnode, lentries, join(path, "length"), "value")
        )
        if test is None:
            return None
        matchers.append(test)
    if "wait" in entries:
        wnode = entries["wait"][1]
        wpath = join(path, "wait")
        wentries = reader.mapping(wnode, wpath, RATE_OPERATORS)
        if wentries is None:
            return None
        ops = [
            (op, reader.duration(wentries[op][1], join(wpath, op))) for op in RATE_OPERATORS if op in wentries
        ]
        if not ops:
            reader.error(wnode, wpath, f"missing a threshold ({one_of(RATE_OPERATORS)})")
            return None
        if any(d is None for _, d in ops):
            return None
        matchers.append(
            MatcherConfig("data.wait_s", tuple((op, d.seconds) for op, d in ops if d is not None))
        )
    return matchers


def _stale(reader: Reader, node: Node, entries: Entries, path: str) -> list[MatcherConfig] | None:
    """`stale: {link, for: 5m}`: the link's counter totals unchanged for `for` while a neighbour's changed."""
    for_ = reader.duration(entries["for"][1], join(path, "for")) if "for" in entries else None
    if for_ is None:
        return None
    return [
        *_link(reader, entries, path),
        MatcherConfig("data.unchanged_s", (("gte", for_.seconds),)),
        MatcherConfig("data.neighbours_counting", (("gte", 1),)),
    ]


_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "stale": (("link",), ("for",)),
    "queue": (("zone", "source", "length", "wait"), ()),
    "flow": (("link", "direction", *RATE_OPERATORS), ()),
    "counterflow": (("link", *RATE_OPERATORS, "min_flow"), ()),
    "los": (("link", "worse_than"), ("worse_than",)),
    "time_to_capacity": (("zone", "within", "method"), ("zone", "within")),
}
_READERS = {
    "stale": _stale,
    "queue": _queue,
    "flow": _flow,
    "counterflow": _counterflow,
    "los": _los,
    "time_to_capacity": _time_to_capacity,
}
