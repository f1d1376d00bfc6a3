"""Rule files with geofences, tracks, rates, occupancy, density and corroboration: exact errors, compilation."""

from __future__ import annotations

import pytest

from fairwatch.errors import ConfigError
from fairwatch.rules import Engine, Kind, parse_rules
from fairwatch.rules.geofence import Region
from fairwatch.site import Site
from tests.rules.helpers import SITE

DURATION = "expected a number with a unit ms, s, m, h or d, e.g. 30s"
REGION = "expected a zone id or a list of at least 3 points [x, y]"
TRI = "[[0, 0], [10, 0], [10, 10]]"
RATE = "{per: 1m, gt: 1, window: 2m}"
OCC_KEYS = "zone, gt, gte, lt, lte, of, for"


def one_rule(when: str, *extra: str) -> str:
    """A file with one rule 'r' whose `when` is on line 5 and each extra line from line 6 on."""
    head = "rules:\n  - id: r\n    alarm: x.y\n    severity: high\n"
    return head + f"    when: {when}\n" + "".join(f"    {line}\n" for line in extra)


def errors_of(text: str, site: Site | None) -> list[str]:
    """The messages of the ConfigError that parsing `text` (with `site`) must raise."""
    with pytest.raises(ConfigError) as info:
        parse_rules(text, "rules.yaml", site=site)
    return info.value.messages


# (case id, with the test site?, `when` on line 5, message after "rules.yaml:5: rule 1 ('r'): ")
WHEN_CASES = [
    ("inside-unknown-zone", True, "{type: t, inside: stage}", "when.inside: unknown zone 'stage' in site 'test'"),
    ("inside-zone-without-site", False, "{type: t, inside: square}",
     "when.inside: zone 'square' needs a site to resolve it (or give the polygon as [[x, y], ...])"),
    ("inside-two-points", False, "{type: t, inside: [[0, 0], [1, 1]]}", f"when.inside: {REGION} (got 2 points)"),
    ("inside-empty", False, "{type: t, inside: []}", f"when.inside: {REGION} (got 0 points)"),
    ("inside-bad-point", False, "{type: t, inside: [[0, 0], [1, a], [2, 2]]}",
     "when.inside[1]: expected a point [x, y] of two numbers (got [1, 'a'])"),
    ("inside-three-coordinates", False, "{type: t, inside: [[0, 0, 0], [1, 0], [1, 1]]}",
     "when.inside[0]: expected a point [x, y] of two numbers (got [0, 0, 0])"),
    ("inside-bool-coordinate", False, "{type: t, inside: [[0, true], [1, 0], [1, 1]]}",
     "when.inside[0]: expected a point [x, y] of two numbers (got [0, True])"),
    ("inside-bow-tie", False, "{type: t, inside: [[0, 0], [10, 10], [10, 0], [0, 10]]}",
     "when.inside: not a valid polygon (Self-intersection[5 5])"),
    ("inside-number", False, "{type: t, inside: 3}", f"when.inside: {REGION} (got 3)"),
    ("outside-mapping", False, "{type: t, outside: {zone: a}}", f"when.outside: {REGION} (got a mapping)"),
    ("zone-unknown", True, "{type: t, zone: stage}", "when.zone: unknown zone 'stage' in site 'test'"),
    ("zone-ne-unknown", True, "{type: t, zone: {ne: stage}}", "when.zone.ne: unknown zone 'stage' in site 'test'"),
    ("zone-in-unknown", True, "{type: t, zone: {in: [square, stage]}}",
     "when.zone.in[1]: unknown zone 'stage' in site 'test'"),
    ("enter-and-exit", False, f"{{type: t, enter: {TRI}, exit: {TRI}}}", "when: 'enter' and 'exit' cannot be combined"),
    ("for-and-dwell", True, "{type: t, for: 1m, dwell: {zone: square, for: 1m}}",
     "when: 'for' and 'dwell' cannot be combined"),
    ("enter-unknown-zone", True, "{type: t, enter: stage}", "when.enter: unknown zone 'stage' in site 'test'"),
    ("dwell-no-for", True, "{type: t, dwell: {zone: square}}", "when.dwell: missing required key 'for'"),
    ("dwell-text", True, "{type: t, dwell: square}", "when.dwell: expected a mapping (got 'square')"),
    ("dwell-unknown-key", True, "{type: t, dwell: {zone: square, for: 1m, after: 2}}",
     "when.dwell: unknown key 'after' (expected one of zone, for)"),
    ("dwell-bad-for", True, "{type: t, dwell: {zone: square, for: 30}}",
     f"when.dwell.for: invalid duration 30 ({DURATION})"),
    ("dwell-bad-zone", False, "{type: t, dwell: {zone: [[0, 0]], for: 1m}}", f"when.dwell.zone: {REGION} (got 1 point)"),
    ("rate-no-per", False, "{type: t, rate: {gt: 1, window: 1m}}", "when.rate: missing required key 'per'"),
    ("rate-no-window", False, "{type: t, rate: {gt: 1, per: 1m}}", "when.rate: missing required key 'window'"),
    ("rate-no-threshold", False, "{type: t, rate: {per: 1m, window: 2m}}",
     "when.rate: missing a threshold (one of gt, gte, lt, lte)"),
    ("rate-two-thresholds", False, "{type: t, rate: {per: 1m, gt: 1, lt: 2, window: 2m}}",
     "when.rate: expected exactly one of gt, gte, lt, lte (got gt, lt)"),
    ("rate-text-threshold", False, "{type: t, rate: {per: 1m, gt: fast, window: 2m}}",
     "when.rate.gt: expected a number (got 'fast')"),
    ("rate-bad-window", False, "{type: t, rate: {per: 1m, gt: 1, window: 2}}",
     f"when.rate.window: invalid duration 2 ({DURATION})"),
    ("count-and-rate", False, f"{{type: t, count: {{gte: 2, within: 1m}}, rate: {RATE}}}",
     "when: 'count' and 'rate' cannot be combined"),
    ("occupancy-no-threshold", True, "{occupancy: {zone: field}}",
     "when.occupancy: missing a threshold (one of gt, gte, lt, lte)"),
    ("occupancy-of-area", True, "{occupancy: {zone: field, gte: 0.9, of: area}}",
     "when.occupancy.of: expected 'capacity' (got 'area')"),
    ("occupancy-of-without-site", False, "{occupancy: {zone: field, gte: 0.9, of: capacity}}",
     "when.occupancy.of: needs a site (zone capacities come from the site file)"),
    ("occupancy-unknown-zone", True, "{occupancy: {zone: stage, gte: 100}}",
     "when.occupancy.zone: unknown zone 'stage' in site 'test'"),
    ("occupancy-zone-number", True, "{occupancy: {zone: 7, gte: 100}}",
     "when.occupancy.zone: expected a string (got 7)"),
    ("occupancy-unknown-key", True, "{occupancy: {zone: field, gte: 2000, count: 2}}",
     f"when.occupancy: unknown key 'count' (expected one of {OCC_KEYS}, rate)"),
    ("occupancy-with-type", True, "{occupancy: {zone: field, gte: 2000}, type: t}",
     "when: unknown key 'type' (expected occupancy)"),
    ("occupancy-text", True, "{occupancy: full}", "when.occupancy: expected a mapping (got 'full')"),
    ("occupancy-for-and-rate", True, f"{{occupancy: {{zone: field, for: 1m, rate: {RATE}}}}}",
     "when.occupancy: 'for' and 'rate' cannot be combined"),
    ("occupancy-text-threshold", True, "{occupancy: {zone: field, gte: many}}",
     "when.occupancy.gte: expected a number (got 'many')"),
    ("occupancy-without-zone-or-group", True, "{occupancy: {gte: 2000}}",
     "when.occupancy: no zone given: add group_by: [zone] so that each zone is judged on its own"),
    ("density-without-site", False, "{density: {zone: field, gt: 4}}",
     "when.density: needs a site (zone areas come from the site file)"),
    ("density-of", True, "{density: {zone: field, gt: 4, of: capacity}}",
     "when.density: unknown key 'of' (expected one of zone, gt, gte, lt, lte, for, rate)"),
    ("any-empty", False, "{any: [], within: 1m}", "when.any: expected at least 1 condition (got 0)"),
    ("any-no-within", False, "{any: [{type: a}]}", "when: missing required key 'within'"),
    ("any-and-all", False, "{all: [{type: a}, {type: b}], any: [{type: c}], within: 1m}",
     "when: unknown key 'any' (expected one of all, within, radius, min_sources)"),
    ("radius-zero", False, "{any: [{type: a}], within: 1m, radius: 0}",
     "when.radius: expected a positive number of metres (got 0)"),
    ("radius-text", False, "{any: [{type: a}], within: 1m, radius: near}",
     "when.radius: expected a positive number of metres (got 'near')"),
    ("min-sources-zero", False, "{any: [{type: a}], within: 1m, min_sources: 0}",
     "when.min_sources: expected a positive integer (got 0)"),
    ("min-sources-fraction", False, "{all: [{type: a}, {type: b}], within: 1m, min_sources: 1.5}",
     "when.min_sources: expected a positive integer (got 1.5)"),
    ("trusted-text", False, "{any: [{type: a, trusted: maybe}], within: 1m}",
     "when.any[0].trusted: expected true or false (got 'maybe')"),
    ("part-for", False, "{any: [{type: a, for: 1m}], within: 1m}",
     "when.any[0]: unknown key 'for' (expected one of type, source, site, zone, value, inside, outside, "
     "data.<key>, trusted)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("with_site", "when", "message"), [c[1:] for c in WHEN_CASES], ids=[c[0] for c in WHEN_CASES]
)
def test_when_errors(with_site: bool, when: str, message: str) -> None:
    site = SITE if with_site else None
    assert errors_of(one_rule(when), site) == [f"rules.yaml:5: rule 1 ('r'): {message}"]


# (case id, `when` on line 5, extra line 6, message after "rules.yaml:6: rule 1 ('r'): ")
CLEAR_CASES = [
    ("clear-with-rate", f"{{type: t, rate: {RATE}}}", "clear: {type: t}",
     "clear: not allowed with rate (the rule clears when the rate drops)"),
    ("clear-with-occupancy-rate", f"{{occupancy: {{zone: field, rate: {RATE}}}}}", "clear: {for: 1m}",
     "clear: not allowed with rate (the rule clears when the rate drops)"),
    ("clear-any-without-type", "{any: [{type: a}], within: 1m}", "clear: {for: 1m}",
     "clear: missing required key 'type' (needed when 'when' uses any)"),
    ("clear-occupancy-and-for", "{occupancy: {zone: field, gte: 2000}}", "clear: {occupancy: {lt: 5}, for: 1m}",
     "clear: 'for' cannot be combined with 'occupancy'"),
    ("clear-occupancy-rate", "{occupancy: {zone: field, gte: 2000}}", f"clear: {{occupancy: {{lt: 5, rate: {RATE}}}}}",
     f"clear.occupancy: unknown key 'rate' (expected one of {OCC_KEYS})"),
    ("clear-density-no-threshold", "{density: {zone: field, gt: 4}}", "clear: {density: {for: 1m}}",
     "clear.density: missing a threshold (one of gt, gte, lt, lte)"),
    ("clear-inside-unknown", "{type: t}", "clear: {inside: stage}", "clear.inside: unknown zone 'stage' in site 'test'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("when", "extra", "message"), [c[1:] for c in CLEAR_CASES], ids=[c[0] for c in CLEAR_CASES]
)
def test_clear_errors(when: str, extra: str, message: str) -> None:
    assert errors_of(one_rule(when, extra), SITE) == [f"rules.yaml:6: rule 1 ('r'): {message}"]


def test_rate_with_an_unsupported_operator_reports_both_problems() -> None:
    assert errors_of(one_rule("{type: t, rate: {per: 1m, eq: 1, window: 2m}}"), None) == [
        "rules.yaml:5: rule 1 ('r'): when.rate: unknown key 'eq' (expected one of per, gt, gte, lt, lte, window)",
        "rules.yaml:5: rule 1 ('r'): when.rate: missing a threshold (one of gt, gte, lt, lte)",
    ]


def test_occupancy_without_zone_is_fine_when_grouped_by_zone() -> None:
    rule = parse_rules(one_rule("{occupancy: {gte: 2000}}", "group_by: [zone]"), site=SITE).rules[0]
    assert (rule.kind, rule.when[0].type, rule.derived) == (Kind.THRESHOLD, "@occupancy", "occupancy")


def test_every_error_of_the_new_forms_is_reported_together() -> None:
    text = one_rule("{type: t, inside: stage, rate: {per: 1m, window: 2m}}", "clear: {occupancy: {lt: x}}")
    assert errors_of(text, SITE) == [
        "rules.yaml:5: rule 1 ('r'): when.inside: unknown zone 'stage' in site 'test'",
        "rules.yaml:5: rule 1 ('r'): when.rate: missing a threshold (one of gt, gte, lt, lte)",
        "rules.yaml:6: rule 1 ('r'): clear: not allowed with rate (the rule clears when the rate drops)",
    ]


def test_inside_a_zone_compiles_to_the_zone_polygon() -> None:
    rule = parse_rules(one_rule("{type: t, inside: square, outside: tent}"), site=SITE).rules[0]
    ops = [(m.field, m.op, m.operand) for m in rule.when[0].matchers]
    assert ops == [
        ("location", "inside", Region("square", ((0, 0), (10, 0), (10, 10), (0, 10)))),
        ("location", "outside", Region("tent", ((2, 2), (4, 2), (4, 4), (2, 4)))),
    ]


def test_inside_a_polygon_needs_no_site_and_is_named_by_its_points() -> None:
    rule = parse_rules(one_rule(f"{{type: t, inside: {TRI}}}")).rules[0]
    (matcher,) = rule.when[0].matchers
    assert isinstance(matcher.operand, Region)
    assert (str(matcher.operand), matcher.operand.points) == (TRI, ((0, 0), (10, 0), (10, 10)))


# (case id, `when`, extra lines, expected (kind, horizon), and attributes of the compiled rule)
COMPILE_CASES = [
    ("enter", "{type: v, enter: square}", (), (Kind.ENTER, 600.0), {"region": "square"}),
    ("exit-with-clear", f"{{type: v, exit: {TRI}}}", ("clear: {type: reset, for: 1m}",), (Kind.EXIT, 660.0),
     {"region": TRI}),
    ("dwell", "{type: v, dwell: {zone: square, for: 30s}}", (), (Kind.DWELL, 630.0),
     {"region": "square", "for_s": 30.0, "for_text": "30s"}),
    ("rate", "{type: d, rate: {per: 1m, gte: -0.5, window: 2m}}", (), (Kind.RATE, 120.0),
     {"rate_op": "gte", "rate_threshold": -0.5, "rate_per_s": 60.0, "rate_per_text": "1m", "within_s": 120.0}),
    ("occupancy-held", "{occupancy: {zone: field, gte: 0.9, of: capacity, for: 2m}}", (), (Kind.HELD, 3720.0),
     {"derived": "occupancy", "for_s": 120.0}),
    ("density-threshold", "{density: {zone: field, gt: 4}}", (), (Kind.THRESHOLD, 3600.0), {"derived": "density"}),
    ("density-rate", "{density: {zone: field, rate: {per: 1m, gt: 0.5, window: 2m}}}", (), (Kind.RATE, 3720.0),
     {"derived": "density", "rate_threshold": 0.5}),
    ("any", "{any: [{type: a}, {type: b, trusted: true}], within: 2m, radius: 50, min_sources: 2}", (),
     (Kind.ANY, 120.0), {"radius": 50.0, "min_sources": 2}),
    ("all-defaults", "{all: [{type: a}, {type: b}], within: 2m}", (), (Kind.ALL, 120.0),
     {"radius": None, "min_sources": 1}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("when", "extra", "kind", "attrs"), [c[1:] for c in COMPILE_CASES], ids=[c[0] for c in COMPILE_CASES]
)
def test_compiled_forms(
    when: str, extra: tuple[str, ...], kind: tuple[Kind, float], attrs: dict[str, object]
) -> None:
    ruleset = parse_rules(one_rule(when, *extra), site=SITE)
    rule = ruleset.rules[0]
    assert (rule.kind, rule.horizon()) == kind
    assert Engine(ruleset).horizon() == kind[1]
    for name, value in attrs.items():
        got = getattr(rule, name)
        assert (str(got) if isinstance(got, Region) else got) == value, name


def test_derived_forms_compile_to_conditions_on_derived_readings() -> None:
    text = one_rule(
        "{occupancy: {zone: field, gte: 0.9, lt: 2, of: capacity, for: 2m}}",
        "clear: {occupancy: {lt: 0.8, of: capacity, for: 5m}}",
    )
    rule = parse_rules(text, site=SITE).rules[0]
    assert [(m.field, m.op, m.operand) for m in rule.when[0].matchers] == [
        ("zone", "eq", "field"),
        ("data.of_capacity", "gte", 0.9),
        ("data.of_capacity", "lt", 2),
    ]
    assert rule.clear is not None
    # The clear reads the same zone: it inherits the when's scope.
    assert (rule.clear.type, [(m.field, m.op, m.operand) for m in rule.clear.matchers]) == (
        "@occupancy",
        [("data.of_capacity", "lt", 0.8), ("zone", "eq", "field")],
    )
    assert (rule.clear_for_s, rule.clear_for_text) == (300.0, "5m")


def test_trusted_marks_the_part() -> None:
    rule = parse_rules(one_rule("{any: [{type: a}, {type: b, trusted: true}], within: 2m}")).rules[0]
    assert [(c.type, c.trusted) for c in rule.when] == [("a", False), ("b", True)]


def test_engine_uses_the_site_of_the_rule_set_unless_given_one() -> None:
    ruleset = parse_rules(one_rule("{density: {zone: field, gt: 4}}"), site=SITE)
    assert Engine(ruleset).site is SITE
    other = Site("other", "Other", "UTC", SITE.plan, SITE.zones[:1])
    assert Engine(ruleset, other).site is other
    assert Engine(parse_rules("rules: []\n")).site is None


def test_compiling_one_text_twice_with_a_site_gives_equal_rule_sets() -> None:
    text = one_rule("{type: t, inside: square, dwell: {zone: tent, for: 1m}}")
    assert parse_rules(text, site=SITE) == parse_rules(text, site=SITE)
