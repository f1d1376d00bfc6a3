"""Occupancy and density: zone counts from counter events, and rules on the readings derived from them.

Test site (helpers.SITE): `field` has capacity 4000 and 1000 m² (4.0 people/m² at 4000 people), `square`
capacity 100 on 100 m². Times are plain floats.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairwatch.model import Event
from fairwatch.rules import occupancy
from fairwatch.rules.occupancy import ZoneCount
from tests.rules.helpers import SITE, At, Step, Tick, brief, engine_for, ev, rule, run

R, C = "raise", "clear"
HELD, THRESHOLD, CLEARED = "held", "threshold", "cleared"
FIELD = "r|zone=field"
ENTRY, EXIT, COUNT = "gate.entry", "gate.exit", "crowd.count"


def g(
    t: float, type: str, value: float | None = None, zone: str | None = "field", source: str = "gate-1"
) -> Event:
    """A counter event."""
    return ev(t, type, value, zone=zone, source=source, id=f"{type}@{t:g}/{zone}/{source}/{value}")


def c(t: float, type: str, value: float | None = None, now: float | None = None, zone: str = "field") -> At:
    """A counter event evaluated at `now` (default: its own time)."""
    return At(g(t, type, value, zone), now)


# (case id, [(event, now)], occupancy of `field` afterwards, which events took effect)
COUNT_CASES = [
    ("entries-add", [(g(0, ENTRY, 10), 0), (g(1, ENTRY, 5), 1)], 15, [True, True]),
    ("entry-without-value-is-one", [(g(0, ENTRY), 0)], 1, [True]),
    ("exits-subtract", [(g(0, ENTRY, 10), 0), (g(1, EXIT, 3), 1)], 7, [True, True]),
    ("never-below-zero", [(g(0, EXIT, 5), 0)], 0, [True]),
    # Exits of people counted in before counting began stay owed until entries make up for them.
    ("negative-sum-stays-owed", [(g(0, EXIT, 5), 0), (g(1, ENTRY, 3), 1), (g(2, ENTRY, 3), 2)], 1, [True] * 3),
    ("count-sets-baseline", [(g(10, COUNT, 100), 10), (g(20, ENTRY, 5), 20)], 105, [True, True]),
    ("movement-at-count-time-is-in-the-count", [(g(10, COUNT, 100), 10), (g(10, ENTRY, 5), 10)], 100,
     [True, False]),
    ("movement-at-count-time-first-then-count", [(g(10, ENTRY, 5), 10), (g(10, COUNT, 100), 10)], 100,
     [True, True]),
    ("late-movement-before-count-ignored", [(g(10, COUNT, 100), 10), (g(5, ENTRY, 5), 11)], 100, [True, False]),
    ("late-count-keeps-later-movements", [(g(5, ENTRY, 5), 5), (g(15, ENTRY, 7), 15), (g(10, COUNT, 100), 16)],
     107, [True, True, True]),
    ("older-count-ignored", [(g(10, COUNT, 100), 10), (g(5, COUNT, 50), 11)], 100, [True, False]),
    ("same-time-counts-larger-wins", [(g(10, COUNT, 50), 10), (g(10, COUNT, 100), 10)], 100, [True, True]),
    ("same-time-counts-larger-wins-reversed", [(g(10, COUNT, 100), 10), (g(10, COUNT, 50), 10)], 100,
     [True, False]),
    ("exactly-10m-late-counts", [(g(0, ENTRY, 5), 600)], 5, [True]),
    ("more-than-10m-late-ignored", [(g(0, ENTRY, 5), 600.5)], 0, [False]),
    ("count-without-value-ignored", [(g(0, COUNT), 0)], 0, [False]),
    ("negative-value-ignored", [(g(0, ENTRY, -1), 0)], 0, [False]),
    ("fractional-value-ignored", [(g(0, ENTRY, 1.5), 0)], 0, [False]),
    ("nan-value-ignored", [(g(0, ENTRY, float("nan")), 0)], 0, [False]),
    ("no-zone-ignored", [(g(0, ENTRY, 5, zone=None), 0)], 0, [False]),
    # Movements older than 10 minutes are folded into the baseline: a count that old no longer applies.
    ("folded-movements-stay", [(g(0, ENTRY, 5), 0), (g(700, ENTRY, 3), 700)], 8, [True, True]),
    ("count-older-than-10m-ignored", [(g(0, ENTRY, 5), 0), (g(700, ENTRY, 3), 700), (g(50, COUNT, 1), 700)], 8,
     [True, True, False]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("steps", "people", "took"), [c[1:] for c in COUNT_CASES], ids=[c[0] for c in COUNT_CASES]
)
def test_zone_counts(steps: list[tuple[Event, float]], people: float, took: list[bool]) -> None:
    zones: dict[str, ZoneCount] = {}
    assert [occupancy.apply(zones, event, now) is not None for event, now in steps] == took
    assert (zones["field"].occupancy() if "field" in zones else 0.0) == people


def test_folding_keeps_the_sum_and_moves_the_baseline() -> None:
    zones: dict[str, ZoneCount] = {}
    for event, now in [(g(0, ENTRY, 5), 0), (g(100, EXIT, 2), 100), (g(700, ENTRY, 3), 700)]:
        occupancy.apply(zones, event, now)
    assert zones["field"] == ZoneCount(
        base=5.0, base_time=0.0, latest=700.0, moves=[(100, -2), (700, 3)], pending=1.0
    )


OCC = rule("{occupancy: {zone: field, gte: 0.9, of: capacity, for: 2m}}")
OCC_CLEAR = rule(
    "{occupancy: {zone: field, gte: 0.9, of: capacity}}",
    "clear: {occupancy: {lt: 0.8, of: capacity, for: 1m}}",
)
DENSITY = rule("{density: {gt: 4.0}}")
HALL = rule("{occupancy: {zone: hall, gte: 100}}")

Case = tuple[str, str, list[Step], list[tuple[float, str, str, str]]]

RULE_CASES: list[Case] = [
    ("held-raises-exactly-at-for", OCC, [c(0, COUNT, 3600), Tick(119.9), Tick(120)], [(120, R, HELD, FIELD)]),
    ("just-below-capacity-fraction", OCC, [c(0, COUNT, 3599), Tick(200)], []),
    ("entry-reaches-the-threshold", OCC, [c(0, COUNT, 3500), c(10, ENTRY, 100), Tick(129.9), Tick(130)],
     [(130, R, HELD, FIELD)]),
    ("exit-starts-the-wait-over", OCC, [c(0, COUNT, 3600), c(60, EXIT, 1), c(70, ENTRY, 1), Tick(189.9), Tick(190)],
     [(190, R, HELD, FIELD)]),
    ("exit-after-raise-clears", OCC, [c(0, COUNT, 3600), Tick(120), c(130, EXIT, 1)],
     [(120, R, HELD, FIELD), (130, C, CLEARED, FIELD)]),
    ("movement-before-the-count-is-in-it", OCC, [c(10, COUNT, 3599), c(5, ENTRY, 1, now=11), Tick(200)], []),
    # A late movement corrects the occupancy now: its reading is as of the zone's newest counter event.
    ("late-movement-after-the-count-counts", OCC,
     [c(10, COUNT, 3599), c(20, EXIT, 0), c(15, ENTRY, 1, now=25), Tick(144.9), Tick(145)],
     [(145, R, HELD, FIELD)]),
    ("counter-older-than-10m-ignored", OCC, [c(0, COUNT, 3600, now=601), Tick(1000)], []),
    ("other-zone-does-not-count", OCC, [c(0, COUNT, 3600, zone="square"), Tick(200)], []),
    ("density-exactly-at-gt-is-false", DENSITY, [c(0, COUNT, 4000)], []),
    ("density-above", DENSITY, [c(0, COUNT, 4000), c(1, ENTRY)], [(1, R, THRESHOLD, FIELD)]),
    ("density-each-zone", DENSITY, [c(0, COUNT, 4001), c(1, COUNT, 401, zone="square")],
     [(0, R, THRESHOLD, FIELD), (1, R, THRESHOLD, "r|zone=square")]),
    ("density-zone-unknown-to-site", DENSITY, [c(0, COUNT, 9000, zone="elsewhere")], []),
    ("clear-by-occupancy", OCC_CLEAR,
     [c(0, COUNT, 3600), c(10, EXIT, 100), c(20, EXIT, 400), Tick(79.9), Tick(80)],
     [(0, R, THRESHOLD, FIELD), (80, C, CLEARED, FIELD)]),
    ("clear-reset-by-occupancy-above", OCC_CLEAR,
     [c(0, COUNT, 3600), c(20, EXIT, 500), c(50, ENTRY, 200), c(60, EXIT, 200), Tick(119.9), Tick(120)],
     [(0, R, THRESHOLD, FIELD), (120, C, CLEARED, FIELD)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rules", "steps", "expected"), [c[1:] for c in RULE_CASES], ids=[c[0] for c in RULE_CASES]
)
def test_occupancy_rules(rules: str, steps: list[Step], expected: list[tuple[float, str, str, str]]) -> None:
    assert brief(run(engine_for(rules, SITE), steps)) == expected


def test_absolute_occupancy_needs_no_site() -> None:
    decisions = run(engine_for(HALL), [c(0, COUNT, 99, zone="hall"), c(1, ENTRY, zone="hall")])
    assert [(x.time, x.key, x.explanation) for x in decisions] == [
        (1, "r|zone=hall", "occupancy of hall 100 >= 100 in zone=hall")
    ]


EXPLANATIONS = [
    ("occupancy", OCC, [c(0, COUNT, 3600), Tick(120)],
     "occupancy of field 3600 = 0.9 of capacity 4000 >= 0.9 held for 2m in zone=field"),
    ("occupancy-cleared", OCC, [c(0, COUNT, 3600), Tick(120), c(130, EXIT)],
     "cleared: occupancy of field 3599 = 0.89975 of capacity 4000 no longer >= 0.9 in zone=field"),
    ("occupancy-clear", OCC_CLEAR, [c(0, COUNT, 3600), c(20, EXIT, 500), Tick(80)],
     "cleared: occupancy of field 3100 = 0.775 of capacity 4000 < 0.8 held for 1m in zone=field"),
    ("density", DENSITY, [c(0, COUNT, 4321)], "density of field 4.321/m² (4321 people on 1000 m²) > 4.0 in zone=field"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rules", "steps", "text"), [c[1:] for c in EXPLANATIONS], ids=[c[0] for c in EXPLANATIONS]
)
def test_explanations(rules: str, steps: list[Step], text: str) -> None:
    assert run(engine_for(rules, SITE), steps)[-1].explanation == text


def test_decisions_name_the_counter_event_and_the_zone() -> None:
    (decision,) = run(engine_for(DENSITY, SITE), [c(0, COUNT, 4001)])
    assert (decision.event_ids, decision.zone, decision.site, decision.value) == (
        ("crowd.count@0/field/gate-1/4001",),
        "field",
        "riverside",
        4.001,
    )


TWO_RULES = (
    "rules:\n"
    "  - {id: a-occupancy, alarm: x.y, severity: low, when: {occupancy: {zone: field, gte: 2000}}}\n"
    "  - {id: b-entry, alarm: x.y, severity: low, when: {type: gate.entry}}\n"
    "  - {id: c-density, alarm: x.y, severity: low, when: {density: {zone: field, gt: 2}}}\n"
    "  - {id: d-other-zone, alarm: x.y, severity: low, when: {occupancy: {zone: square, gte: 50}}}\n"
)


def test_a_counter_event_and_its_readings_decide_in_rule_order() -> None:
    engine = engine_for(TWO_RULES, SITE)
    assert [x.rule for x in run(engine, [c(0, ENTRY, 2500)])] == ["a-occupancy", "b-entry", "c-density"]


def test_rules_for_a_counter_event_include_the_rules_on_its_readings() -> None:
    engine = engine_for(TWO_RULES, SITE)
    assert [r.id for r in engine.rules_for(g(0, ENTRY))] == ["a-occupancy", "b-entry", "c-density"]
    assert [r.id for r in engine.rules_for(g(0, COUNT))] == ["a-occupancy", "c-density"]


def test_without_occupancy_rules_counter_events_keep_no_count() -> None:
    engine = engine_for(rule("{type: gate.entry}"), SITE)
    state = engine.new_state()
    run(engine, [c(0, ENTRY, 5)], state)
    assert state.zones == {}


COUNTERS = st.builds(
    g,
    st.just(100.0),
    st.sampled_from([ENTRY, EXIT, COUNT]),
    st.one_of(st.none(), st.integers(0, 5000).map(float)),
    zone=st.sampled_from(["field", "square"]),
    source=st.sampled_from(["gate-1", "gate-2", "gate-3"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(COUNTERS, max_size=30), st.randoms(use_true_random=False))
def test_occupancy_of_events_at_one_time_does_not_depend_on_their_order(
    events: list[Event], rnd: object
) -> None:
    engine = engine_for(DENSITY, SITE)
    shuffled = list(events)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    first, second = engine.new_state(), engine.new_state()
    run(engine, [At(e) for e in events], first)
    run(engine, [At(e) for e in shuffled], second)
    assert first.zones == second.zones


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([ENTRY, EXIT, COUNT]), st.floats(0, 500), st.integers(0, 5000)), max_size=30
    ),
    st.randoms(use_true_random=False),
)
def test_occupancy_at_one_now_does_not_depend_on_arrival_order(
    moves: list[tuple[str, float, int]], rnd: object
) -> None:
    events = [g(t, type_, float(n)) for type_, t, n in moves]
    shuffled = list(events)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    first: dict[str, ZoneCount] = {}
    second: dict[str, ZoneCount] = {}
    for event in events:
        occupancy.apply(first, event, 500.0)
    for event in shuffled:
        occupancy.apply(second, event, 500.0)
    assert first == second
