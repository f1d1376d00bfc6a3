"""The event-type index: with 10,000 rules an unrelated event reaches no rule, a related one only its own."""

from __future__ import annotations

import pytest

from fairwatch.rules import Engine, parse_rules
from tests.rules.helpers import ev

N = 10_000


@pytest.fixture(scope="module")
def by_type() -> Engine:
    """10,000 `for` rules, each on its own event type."""
    lines = [
        f"  - {{id: r{i}, alarm: x.y, severity: low, when: {{type: t{i}, value: {{gt: 1}}, for: 1m}}}}"
        for i in range(N)
    ]
    return Engine(parse_rules("rules:\n" + "\n".join(lines) + "\n"))


@pytest.fixture(scope="module")
def by_zone() -> Engine:
    """10,000 threshold rules on one type, one per zone, between two rules that look at every zone."""
    lines = [
        f"  - {{id: z{i}, alarm: x.y, severity: low, when: {{type: crowd.density, zone: z{i}}}}}"
        for i in range(N)
    ]
    every = "  - {{id: {}, alarm: x.y, severity: low, when: {{type: crowd.density}}}}"
    text = "rules:\n" + "\n".join([every.format("any-first"), *lines, every.format("any-last")]) + "\n"
    return Engine(parse_rules(text))


def test_unrelated_event_reaches_no_rule_and_changes_nothing(by_type: Engine) -> None:
    state = by_type.new_state()
    event = ev(0, "no.such.type", 5.0)
    assert by_type.rules_for(event) == ()
    assert by_type.evaluate(state, event, 0) == []
    assert state.groups == {}
    assert by_type.tick(state, 1000) == []


def test_related_event_reaches_only_its_rule(by_type: Engine) -> None:
    state = by_type.new_state()
    event = ev(0, "t5000", 5.0)
    assert [r.id for r in by_type.rules_for(event)] == ["r5000"]
    assert by_type.evaluate(state, event, 0) == []
    assert list(state.groups) == [5000]
    assert [d.rule for d in by_type.tick(state, 60)] == ["r5000"]


def test_zone_buckets_reach_only_that_zone_plus_rules_for_every_zone(by_zone: Engine) -> None:
    event = ev(0, "crowd.density", 5.0, zone="z7")
    assert [r.id for r in by_zone.rules_for(event)] == ["any-first", "z7", "any-last"]
    assert [d.rule for d in by_zone.evaluate(by_zone.new_state(), event, 0)] == [
        "any-first",
        "z7",
        "any-last",
    ]


def test_zone_no_rule_pins_reaches_only_the_rules_for_every_zone(by_zone: Engine) -> None:
    event = ev(0, "crowd.density", 5.0, zone="elsewhere")
    assert [r.id for r in by_zone.rules_for(event)] == ["any-first", "any-last"]


def test_event_without_zone_skips_the_zone_buckets(by_zone: Engine) -> None:
    assert [r.id for r in by_zone.rules_for(ev(0, "crowd.density", 5.0, zone=None))] == [
        "any-first",
        "any-last",
    ]


# (case id, `when` and extra keys of rule 'r', event fields, whether rule 'r' looks at the event)
BUCKET_CASES = [
    ("source-pinned-match", "when: {type: t, source: cam-1}", {"source": "cam-1"}, True),
    ("source-pinned-other", "when: {type: t, source: cam-1}", {"source": "cam-2"}, False),
    ("site-pinned-match", "when: {type: t, site: east}", {"site": "east"}, True),
    ("site-pinned-other", "when: {type: t, site: east}", {"site": "west"}, False),
    ("in-is-not-pinned", "when: {type: t, zone: {in: [a]}}", {"zone": "b"}, True),
    ("ne-is-not-pinned", "when: {type: t, zone: {ne: a}}", {"zone": "a"}, True),
    # The clear condition listens on another zone, so the rule must see both zones' events.
    ("clear-elsewhere-not-pinned", "when: {type: t, zone: a}\n    clear: {zone: b}", {"zone": "b"}, True),
    ("clear-inherits-pin", "when: {type: t, zone: a}\n    clear: {value: {lt: 1}}", {"zone": "b"}, False),
    ("all-parts-share-pin", "when: {all: [{type: t, zone: a}, {type: t, zone: a, value: 1}], within: 1m}",
     {"zone": "b"}, False),
    ("all-parts-differ", "when: {all: [{type: t, zone: a}, {type: t, zone: b}], within: 1m}",
     {"zone": "b"}, True),
    ("clear-type-pinned-separately", "when: {type: t, zone: a}\n    clear: {type: u, zone: a}",
     {"zone": "b"}, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "fields", "sees"), [c[1:] for c in BUCKET_CASES], ids=[c[0] for c in BUCKET_CASES]
)
def test_bucketed_rules_see_exactly_the_events_they_could_match(
    body: str, fields: dict[str, str], sees: bool
) -> None:
    engine = Engine(parse_rules(f"rules:\n  - id: r\n    alarm: x.y\n    severity: low\n    {body}\n"))
    zone, source, site = fields.get("zone", "a"), fields.get("source", "cam-1"), fields.get("site", "east")
    event = ev(0, "t", 1.0, zone=zone, source=source, site=site)
    assert [r.id for r in engine.rules_for(event)] == (["r"] if sees else [])


TRI = "[[0, 0], [10, 0], [10, 10]]"
FORMS = [
    "{{type: t{i}, enter: " + TRI + "}}",
    "{{type: t{i}, rate: {{per: 1m, gt: 1, window: 2m}}}}",
    "{{any: [{{type: t{i}}}, {{type: u{i}}}], within: 1m, min_sources: 2}}",
    "{{type: t{i}, dwell: {{zone: " + TRI + ", for: 30s}}}}",
    "{{type: t{i}, inside: " + TRI + ", for: 1m}}",
]


@pytest.fixture(scope="module")
def new_forms() -> Engine:
    """10,000 rules of the geofence, rate and corroboration forms, each on its own event type."""
    lines = [
        f"  - {{id: r{i}, alarm: x.y, severity: low, when: {FORMS[i % len(FORMS)].format(i=i)}}}"
        for i in range(N)
    ]
    return Engine(parse_rules("rules:\n" + "\n".join(lines) + "\n"))


@pytest.fixture(scope="module")
def per_zone_occupancy() -> Engine:
    """10,000 occupancy rules, one per zone."""
    lines = [
        f"  - {{id: o{i}, alarm: x.y, severity: low, when: {{occupancy: {{zone: z{i}, gte: 100}}}}}}"
        for i in range(N)
    ]
    return Engine(parse_rules("rules:\n" + "\n".join(lines) + "\n"))


def test_unrelated_event_reaches_none_of_the_new_forms(new_forms: Engine) -> None:
    state = new_forms.new_state()
    event = ev(0, "no.such.type", 5.0, zone=None)
    assert new_forms.rules_for(event) == ()
    assert new_forms.evaluate(state, event, 0) == []
    assert state == new_forms.new_state()
    assert new_forms.tick(state, 1000) == []


@pytest.mark.parametrize("i", [0, 1, 2, 3, 4], ids=["enter", "rate", "any", "dwell", "inside-held"])
def test_related_event_reaches_only_its_new_form_rule(new_forms: Engine, i: int) -> None:
    event = ev(0, f"t{5000 + i}", 5.0)
    assert [r.id for r in new_forms.rules_for(event)] == [f"r{5000 + i}"]


def test_counter_event_reaches_only_its_zone_occupancy_rule(per_zone_occupancy: Engine) -> None:
    state = per_zone_occupancy.new_state()
    event = ev(0, "gate.entry", 100.0, zone="z7")
    assert [r.id for r in per_zone_occupancy.rules_for(event)] == ["o7"]
    assert [d.rule for d in per_zone_occupancy.evaluate(state, event, 0)] == ["o7"]
    assert list(state.zones) == ["z7"]


def test_counter_event_of_a_zone_no_rule_reads_is_not_counted(per_zone_occupancy: Engine) -> None:
    state = per_zone_occupancy.new_state()
    event = ev(0, "gate.entry", 10.0, zone="elsewhere")
    assert per_zone_occupancy.rules_for(event) == ()
    assert per_zone_occupancy.evaluate(state, event, 0) == []
    assert state == per_zone_occupancy.new_state()


def test_unrelated_event_with_occupancy_rules_changes_nothing(per_zone_occupancy: Engine) -> None:
    state = per_zone_occupancy.new_state()
    assert per_zone_occupancy.evaluate(state, ev(0, "crowd.density", 5.0, zone="z7"), 0) == []
    assert state == per_zone_occupancy.new_state()
