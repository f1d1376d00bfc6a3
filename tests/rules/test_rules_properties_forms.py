"""Properties of the geofence, occupancy, rate and corroboration rules over random event streams:
evaluation is deterministic, warm_up matches a live run, and corroboration does not depend on the order
of events with one timestamp."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fairwatch.rules import Engine, parse_rules
from tests.rules.helpers import SITE, At, Step, Tick, ev, run

RULES = parse_rules(
    """
rules:
  - {id: enter, alarm: x.y, severity: low, when: {type: v, enter: square}, group_by: [source]}
  - {id: exit, alarm: x.y, severity: low, when: {type: v, exit: tent}}
  - {id: dwell, alarm: x.y, severity: low, when: {type: v, dwell: {zone: square, for: 30s}}, group_by: [source]}
  - id: dwell-clear
    alarm: x.y
    severity: low
    when: {type: v, dwell: {zone: field, for: 1m}}
    clear: {type: v.reset, for: 10s}
  - {id: inside-held, alarm: x.y, severity: low, when: {type: v, inside: field, for: 1m}, group_by: [source]}
  - id: occupancy
    alarm: x.y
    severity: low
    when: {occupancy: {zone: field, gte: 0.5, of: capacity, for: 1m}}
  - id: density
    alarm: x.y
    severity: low
    when: {density: {gt: 2.0}}
    group_by: [zone]
    clear: {density: {lt: 0.5, for: 30s}}
  - id: rate
    alarm: x.y
    severity: low
    when: {type: crowd.density, rate: {per: 1m, gt: 0.5, window: 2m}}
    group_by: [zone]
  - {id: density-rate, alarm: x.y, severity: low,
     when: {density: {zone: square, rate: {per: 1m, gt: 0.5, window: 2m}}}}
  - id: any
    alarm: x.y
    severity: low
    when: {any: [{type: smoke.detected}, {type: report.fire, trusted: true}], within: 2m, min_sources: 2}
  - id: all-near
    alarm: x.y
    severity: low
    when: {all: [{type: smoke.detected}, {type: crowd.density, value: {gt: 3}}], within: 2m, radius: 15}
    clear: {type: fire.out}
""",
    site=SITE,
)
TYPES = [
    "v",
    "v",
    "v.reset",
    "gate.entry",
    "gate.exit",
    "crowd.count",
    "crowd.density",
    "smoke.detected",
    "report.fire",
    "fire.out",
    "unrelated",
]
POINTS = [(5.0, 5.0), (10.0, 5.0), (3.0, 3.0), (30.0, 30.0), (70.0, 70.0), None]


@st.composite
def events(draw: st.DrawFn, time: float, index: int) -> At:
    """One event at `time` with a random type, place, source and value."""
    type_ = draw(st.sampled_from(TYPES))
    value = draw(st.one_of(st.none(), st.integers(0, 5000).map(float), st.floats(0, 6, allow_nan=False)))
    event = ev(
        time,
        type_,
        value,
        zone=draw(st.sampled_from(["square", "field", "tent", None])),
        source=draw(st.sampled_from(["a", "b", "c"])),
        id=f"e{index}",
        at=draw(st.sampled_from(POINTS)),
    )
    return At(event)


@st.composite
def streams(draw: st.DrawFn, late: bool = True) -> list[Step]:
    """Events and ticks with non-decreasing `now`; with `late`, some events claim an older time."""
    steps: list[Step] = []
    now = 0.0
    for index in range(draw(st.integers(0, 60))):
        now += draw(st.sampled_from([0.0, 0.5, 1.0, 10.0, 30.0, 60.0, 120.0, 601.0]))
        if draw(st.booleans()):
            steps.append(Tick(now))
            continue
        lag = draw(st.sampled_from([0.0, 0.0, 5.0, 200.0, 1000.0])) if late else 0.0
        step = draw(events(now - lag, index))
        steps.append(At(step.event, now))
    return steps


@settings(max_examples=200, deadline=None)
@given(streams())
def test_same_input_gives_same_decisions(steps: list[Step]) -> None:
    assert run(Engine(RULES), steps) == run(Engine(RULES), steps)


@settings(max_examples=200, deadline=None)
@given(streams(late=False), st.sampled_from([1.0, 13.0, 97.0]))
def test_warm_up_then_continue_equals_running_live(steps: list[Step], tick_every: float) -> None:
    engine = Engine(RULES)
    replayed = [s.event for s in steps if isinstance(s, At)]
    end = max((s.event.time for s in steps if isinstance(s, At)), default=0.0)
    running = engine.new_state()
    next_tick = 0.0
    for event in replayed:
        while next_tick <= event.time:
            engine.tick(running, next_tick)
            next_tick += tick_every
        engine.evaluate(running, event, event.time)
    restarted = engine.new_state()
    engine.warm_up(restarted, replayed)
    engine.tick(running, end)
    engine.tick(restarted, end)
    assert restarted == running
    later = [Tick(end + 1), Tick(end + 61), Tick(end + 400), Tick(end + 1300)]
    assert run(engine, later, restarted) == run(engine, later, running)


REPORTS = st.lists(
    st.tuples(st.sampled_from(["smoke.detected", "report.fire"]), st.sampled_from(["a", "b", "c", "d"])),
    min_size=1,
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(REPORTS, st.randoms(use_true_random=False))
def test_corroboration_of_events_at_one_time_does_not_depend_on_their_order(
    reports: list[tuple[str, str]], rnd: object
) -> None:
    events = [At(ev(50.0, type_, source=source, id=f"e{i}")) for i, (type_, source) in enumerate(reports)]
    shuffled = list(events)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    first, second = run(Engine(RULES), events), run(Engine(RULES), shuffled)
    sources = sorted({source for _, source in reports})
    if len(sources) < 2:
        assert first == second == []
        return
    # Every event at one time is still in the window, so the last one confirms with every source.
    assert (first[-1].sources, first[-1].certainty) == (second[-1].sources, second[-1].certainty)
    assert list(first[-1].sources) == sources
