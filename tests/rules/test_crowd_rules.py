"""The crowd conditions (flow, counterflow, los, time_to_capacity) on a fake clock: counter totals in,
decisions out. Counter resets and gaps never raise a false surge."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from fairwatch.errors import ConfigError
from fairwatch.model import Decision, Event
from fairwatch.rules import Engine, parse_rules
from fairwatch.site import Site, parse_site
from tests.rules.helpers import At, Step, Tick, brief, ev, run

SITE_YAML = """
site: {id: test, name: Test, timezone: UTC, plan: {width: 100, height: 100}}
zones:
  - {id: arena, name: Arena, polygon: [[0, 0], [50, 0], [50, 50], [0, 50]], capacity: 1000}
  - {id: plaza, name: Plaza, polygon: [[50, 0], [100, 0], [100, 50], [50, 50]], capacity: 5000}
links:
  - {id: gate-n, from: arena, to: outside, width_m: 5.0, kind: gate}
  - {id: gate-s, from: arena, to: plaza, width_m: 2.0, kind: corridor, planned_flow: 60}
devices:
  - {id: cnt-gate-n, kind: line_counter, link: gate-n}
  - {id: cnt-gate-s, kind: line_counter, link: gate-s, direction: reverse}
  - {id: cnt-arena, kind: crowd_counter, zone: arena}
"""
SITE: Site = parse_site(SITE_YAML, "site.yaml")


def engine(when: str, group_by: str | None = None) -> Engine:
    text = f"rules:\n  - {{id: r, alarm: crowd.flow, severity: high, when: {when}"
    text += f", group_by: {group_by}}}\n" if group_by else "}\n"
    return Engine(parse_rules(text, site=SITE))


def line(t: float, forward: float, backward: float = 0, source: str = "cnt-gate-n") -> Step:
    data = {"forward": forward, "backward": backward}
    return At(ev(t, "counter.line", None, None, source, data=data))


def steady(
    per_min_fwd: float,
    per_min_bwd: float,
    start: float,
    end: float,
    every: float = 10.0,
    base: tuple[float, float] = (0, 0),
    source: str = "cnt-gate-n",
) -> list[Step]:
    """Readings every `every` s from `start` to `end` of totals growing at the given persons per minute."""
    steps: list[Step] = []
    t = start
    while t <= end:
        elapsed = (t - start) / 60.0
        forward, backward = base[0] + per_min_fwd * elapsed, base[1] + per_min_bwd * elapsed
        steps.append(line(t, round(forward), round(backward), source))  # counters send whole numbers
        t += every
    return steps


def kinds(decisions: Sequence[Decision]) -> list[tuple[float, str]]:
    """(time, kind) of each change per key: a held condition repeats its raise on every true reading."""
    last: dict[str, str] = {}
    out: list[tuple[float, str]] = []
    for t, kind, _, key in brief(decisions):
        if last.get(key) != kind:
            out.append((t, kind))
        last[key] = kind
    return out


FLOW = "{flow: {link: gate-n, direction: forward, gt: 82, for: 60s}}"


def test_flow_above_the_green_guide_maximum_for_a_minute_raises_then_clears() -> None:
    # 5 m gate: 500 p/min forward = 100 p/m/min from t=0 to 300, then 200 p/min = 40 p/m/min
    steps = steady(500, 0, 0, 300) + steady(200, 0, 310, 600, base=(2583, 0))
    got = kinds(run(engine(FLOW), steps))
    # the first flow is known at 10; held 60 s from there; the flow drops below 82 once the last
    # minute holds less than 82*5 = 410 people: at 340 it holds 3/6*500 + 3/6*200 = 350 p -> 70 p/m/min
    assert got[0] == (70.0, "raise")
    assert got[-1][1] == "clear"
    assert 310 < got[-1][0] <= 340


def test_flow_just_below_the_maximum_never_raises() -> None:
    assert run(engine(FLOW), steady(410, 0, 0, 600)) == []


def test_counter_restart_is_no_surge_and_no_negative_flow() -> None:
    steps = [*steady(100, 0, 0, 120), line(130, 5), line(140, 20), *steady(100, 0, 150, 400, base=(35, 0))]
    low = engine("{flow: {link: gate-n, direction: forward, lt: 0}}")
    high = engine("{flow: {link: gate-n, gt: 30}}")
    assert run(low, steps) == []
    assert run(high, steps) == []


def test_gap_spreads_the_count_instead_of_a_surge() -> None:
    # silent for 10 minutes, then the totals show 2000 people more: 200 p/min = 40 p/m/min, not 400
    steps = [*steady(100, 0, 0, 60), line(660, 100 + 2000)]
    assert run(engine("{flow: {link: gate-n, gt: 82}}"), steps) == []
    assert kinds(run(engine("{flow: {link: gate-n, gt: 39}}"), steps)) == [(660.0, "raise")]


def test_counterflow_needs_the_minimum_total() -> None:
    rule = "{counterflow: {link: gate-n, gt: 0.25, min_flow: 20, for: 60s}}"
    # 5 m: 150 + 60 p/min = 30 + 12 p/m/min, minority share 60/210 = 0.29 -> raises after 60 s
    busy = steady(150, 60, 0, 200)
    got = kinds(run(engine(rule), busy))
    assert got == [(70.0, "raise")]
    # the same share at a trickle (total 4.2 p/m/min) is no counterflow
    quiet = steady(15, 6, 0, 200)
    assert run(engine(rule), quiet) == []


def test_counter_mounted_in_reverse_swaps_directions() -> None:
    # cnt-gate-s is mounted reversed: its forward count is the link's backward flow (2 m wide)
    steps = steady(200, 0, 0, 120, source="cnt-gate-s")
    assert kinds(run(engine("{flow: {link: gate-s, direction: backward, gt: 82}}"), steps)) == [
        (10.0, "raise")
    ]
    assert run(engine("{flow: {link: gate-s, direction: forward, gt: 0}}"), steps) == []


def test_los_worse_than_d() -> None:
    rule = "{los: {link: gate-n, worse_than: D, for: 30s}}"
    # 5 m: 350 p/min = 70 p/m/min: E
    assert kinds(run(engine(rule), steady(350, 0, 0, 120))) == [(40.0, "raise")]
    # 300 p/min = 60 p/m/min: D, not worse
    assert run(engine(rule), steady(300, 0, 0, 120)) == []


def test_group_by_link_judges_each_link_alone() -> None:
    eng = engine("{flow: {gt: 82, for: 30s}}", group_by="[data.link]")
    steps = sorted(
        steady(500, 0, 0, 120) + steady(10, 0, 5, 125, source="cnt-gate-s"),
        key=lambda s: s.event.time if isinstance(s, At) else s.now,
    )
    decisions = run(eng, steps)
    assert {d.key for d in decisions} == {"r|data.link=gate-n"}
    assert kinds(decisions) == [(40.0, "raise")]


def test_other_links_do_not_reset_the_for_timer() -> None:
    steps = sorted(
        steady(500, 0, 0, 120) + steady(10, 0, 5, 125, source="cnt-gate-s"),
        key=lambda s: s.event.time if isinstance(s, At) else s.now,
    )
    assert kinds(run(engine(FLOW), steps)) == [(70.0, "raise")]


def count(t: float, n: float) -> Step:
    return At(ev(t, "crowd.count", n, "arena", "cnt-arena"))


def test_time_to_capacity_warns_ten_minutes_ahead() -> None:
    # 10 people more a minute; capacity 1000: 10 minutes ahead is at 900 people
    rule = "{time_to_capacity: {zone: arena, within: 10m}}"
    steps = [count(60.0 * m, 850 + 10 * m) for m in range(0, 12)]
    got = kinds(run(engine(rule, group_by="[zone]"), steps))
    assert got == [(300.0, "raise")]


def test_time_to_capacity_clears_when_occupancy_stops_rising() -> None:
    rule = "{time_to_capacity: {zone: arena, within: 10m, method: smoothed}}"
    rising = [count(60.0 * m, 850 + 10 * m) for m in range(0, 8)]
    falling = [count(480.0 + 60 * m, 910 - 40 * m) for m in range(0, 6)]
    got = kinds(run(engine(rule), rising + falling))
    assert [k for _, k in got] == ["raise", "clear"]


def test_rollback_forgets_counter_totals_and_groups() -> None:
    eng = engine(FLOW)
    state = eng.new_state()
    run(eng, steady(500, 0, 0, 50), state)
    before = (dict(state.crowd), {i: dict(g) for i, g in state.groups.items()})
    snapshot = (state.crowd["line:cnt-gate-n"].copy(), repr(state.groups))
    state.begin()
    run(eng, [line(60, 5000), line(70, 9000)], state)
    state.rollback()
    assert state.crowd.keys() == before[0].keys()
    assert state.crowd["line:cnt-gate-n"] == snapshot[0]
    assert repr(state.groups) == snapshot[1]
    # and the engine goes on as if the rolled-back totals never came
    got = run(eng, steady(500, 0, 60, 200, base=(500, 0)), state)
    assert kinds(got) == [(70.0, "raise")]


def test_rollback_forgets_an_occupancy_trend() -> None:
    eng = engine("{time_to_capacity: {zone: arena, within: 10m}}")
    state = eng.new_state()
    run(eng, [count(0, 850), count(60, 860)], state)
    kept = state.crowd["trend:arena"].copy()
    state.begin()
    run(eng, [count(120, 990)], state)
    state.rollback()
    assert state.crowd["trend:arena"] == kept


def test_flow_reading_carries_what_the_console_needs() -> None:
    eng = engine(FLOW)
    state = eng.new_state()
    run(eng, steady(500, 100, 0, 60), state)
    from fairwatch.rules.crowd import apply_line

    reading = apply_line(
        state.crowd,
        SITE,
        ev(70, "counter.line", None, None, "cnt-gate-n", data={"forward": 583.34, "backward": 116.67}),
    )
    assert reading is None  # not whole numbers: ignored
    reading = apply_line(
        state.crowd,
        SITE,
        ev(70, "counter.line", None, None, "cnt-gate-n", data={"forward": 584, "backward": 117}),
    )
    assert reading is not None
    assert reading.data["link"] == "gate-n" and reading.data["los"] in "ABCDEF"
    assert reading.zone == "arena"


BAD = [
    ("{flow: {link: gate-x, gt: 82}}", "unknown link 'gate-x'"),
    ("{flow: {link: gate-n}}", "missing a threshold"),
    ("{flow: {link: gate-n, direction: up, gt: 1}}", "expected one of forward, backward, total"),
    ("{los: {link: gate-n, worse_than: G}}", "expected one of A, B, C, D, E"),
    ("{los: {link: gate-n}}", "missing required key 'worse_than'"),
    ("{counterflow: {link: gate-n, gt: 0.2, min_flow: lots}}", "expected a number"),
    ("{time_to_capacity: {zone: nowhere, within: 10m}}", "unknown zone 'nowhere'"),
    ("{time_to_capacity: {zone: arena, within: 10m, method: magic}}", "expected one of linear, smoothed"),
    ("{time_to_capacity: {zone: arena}}", "missing required key 'within'"),
    ("{flow: {link: gate-n, gt: 1, speed: 2}}", "speed"),
    ("{queue: {zone: arena}}", "missing 'length' or 'wait'"),
    ("{queue: {zone: arena, wait: {gt: 5}}}", "when.queue.wait.gt: invalid duration 5"),
    ("{queue: {zone: nowhere, length: {gt: 5}}}", "unknown zone 'nowhere'"),
]


@pytest.mark.parametrize(("when", "message"), BAD)
def test_bad_crowd_conditions_are_named(when: str, message: str) -> None:
    text = f"rules:\n  - {{id: r, alarm: crowd.flow, severity: high, when: {when}}}\n"
    with pytest.raises(ConfigError) as caught:
        parse_rules(text, site=SITE)
    assert message in str(caught.value)
    assert "rule 1 ('r')" in str(caught.value)


def test_without_a_site_links_are_unchecked_and_nothing_is_measured() -> None:
    text = "rules:\n  - {id: r, alarm: crowd.flow, severity: high, when: {flow: {link: gate-x, gt: 1}}}\n"
    eng = Engine(parse_rules(text))  # as zone ids in matchers: checked only against a site
    assert run(eng, steady(500, 0, 0, 120)) == []


def test_unused_event(request: pytest.FixtureRequest) -> None:
    # an engine without crowd rules ignores counter.line
    eng = Engine(parse_rules("rules: []\n", site=SITE))
    assert eng.evaluate(eng.new_state(), ev(0, "counter.line", None, None, "cnt-gate-n"), 0) == []
    _ = (Event, Tick)


def test_decisions_explain_the_crowd_reading() -> None:
    steps = steady(500, 0, 0, 300) + steady(200, 0, 310, 600, base=(2583, 0))
    decisions = run(engine(FLOW), steps)
    raised, cleared = decisions[0], decisions[-1]
    assert raised.explanation.startswith(
        "flow through gate-n: forward 100, backward 0, total 100 p/m/min, LoS F"
    )
    assert raised.explanation.endswith("; forward > 82 held for 60s")
    assert "forward no longer > 82" in cleared.explanation
    ttc = run(
        engine("{time_to_capacity: {zone: arena, within: 10m}}"),
        [count(60.0 * m, 850 + 10 * m) for m in range(6)],
    )
    assert ttc[0].explanation.startswith("arena 900 of capacity 1000, full in 10 min; value <= 600")


def test_rules_pinned_to_a_link_are_looked_at_only_for_its_readings() -> None:
    text = "rules:\n" + "".join(
        f"  - {{id: r{i}, alarm: crowd.flow, severity: high, when: {{flow: {{link: {link}, gt: 82}}}}}}\n"
        for i, link in enumerate(["gate-n", "gate-s", "gate-n"])
    )
    eng = Engine(parse_rules(text, site=SITE))
    line_n = ev(0, "counter.line", None, None, "cnt-gate-n", data={"forward": 1, "backward": 0})
    line_s = ev(0, "counter.line", None, None, "cnt-gate-s", data={"forward": 1, "backward": 0})
    assert [r.id for r in eng.rules_for(line_n)] == ["r0", "r2"]
    assert [r.id for r in eng.rules_for(line_s)] == ["r1"]
    # and the readings reach exactly those rules
    decisions = run(eng, steady(500, 0, 0, 20) + steady(200, 0, 0, 20, source="cnt-gate-s"))
    assert {d.rule for d in decisions} == {"r0", "r2", "r1"}
    assert {d.rule for d in run(eng, steady(500, 0, 0, 20))} == {"r0", "r2"}


def test_a_site_s_own_walkway_bands_grade_the_flow() -> None:
    strict = parse_site(SITE_YAML + "los: {walkway: [5, 10, 15, 20, 25]}\n", "site.yaml")
    text = (
        "rules:\n  - {id: r, alarm: crowd.flow, severity: high, when: {los: {link: gate-n, worse_than: E}}}\n"
    )
    steps = steady(150, 0, 0, 60)  # 30 p/m/min: C by default, F with the strict bands
    assert run(Engine(parse_rules(text, site=SITE)), steps) == []
    assert kinds(run(Engine(parse_rules(text, site=strict)), steps)) == [(10.0, "raise")]


def queue(t: float, length: float, wait_s: float | None = None, source: str = "q-gate-n") -> Step:
    data = {} if wait_s is None else {"wait_s": wait_s}
    return At(ev(t, "counter.queue", length, "arena", source, data=data))


QUEUES = [
    # (when, readings (t, length, wait), expected changes)
    (
        "{queue: {zone: arena, length: {gt: 100}, for: 60s}}",
        [(0, 120, None), (30, 130, None), (60, 110, None), (90, 80, None)],
        [(60.0, "raise"), (90.0, "clear")],
    ),
    (
        "{queue: {zone: arena, length: {gt: 100}, for: 60s}}",
        [(0, 120, None), (30, 90, None), (60, 130, None)],
        [],
    ),
    (
        "{queue: {source: q-gate-n, wait: {gte: 10m}}}",
        [(0, 50, 300), (30, 200, 600), (60, 100, 420)],
        [(30.0, "raise"), (60.0, "clear")],
    ),
    (
        "{queue: {zone: arena, wait: {gt: 5m}}}",
        [(0, 50, None), (30, 60, None)],  # no wait estimate: no sample holds
        [],
    ),
]


@pytest.mark.parametrize(("when", "readings", "expected"), QUEUES)
def test_queue_length_or_wait(
    when: str, readings: list[tuple[float, float, float | None]], expected: list[tuple[float, str]]
) -> None:
    steps = [queue(t, n, w) for t, n, w in readings]
    assert kinds(run(engine(when), steps)) == expected


def test_queue_groups_by_source() -> None:
    eng = engine("{queue: {length: {gt: 100}}}", group_by="[source]")
    got = run(eng, [queue(0, 150, source="q-1"), queue(5, 50, source="q-2"), queue(10, 160, source="q-2")])
    assert [(d.key, d.kind.value) for d in got] == [("r|source=q-1", "raise"), ("r|source=q-2", "raise")]


def test_a_counter_stuck_while_its_neighbour_counts_is_stale() -> None:
    eng = engine("{stale: {link: gate-n, for: 2m}}")
    stuck = [line(t, 500, 20) for t in range(0, 400, 10)]  # the same totals from 0 s on
    moving = steady(60, 0, 5, 395, source="cnt-gate-s")
    steps = sorted(stuck + moving, key=lambda s: s.event.time if isinstance(s, At) else s.now)
    got = kinds(run(eng, steps))
    assert got == [(120.0, "raise")]
    # a quiet night: every counter stands still, so none is stale
    quiet = [line(t, 500, 20) for t in range(0, 400, 10)]
    quiet += [line(t + 5, 70, 0, source="cnt-gate-s") for t in range(0, 400, 10)]
    assert run(eng, sorted(quiet, key=lambda s: s.event.time if isinstance(s, At) else s.now)) == []


def test_a_stale_counter_that_counts_again_clears() -> None:
    eng = engine("{stale: {link: gate-n, for: 2m}}")
    stuck = [line(t, 500, 20) for t in range(0, 200, 10)] + [line(200, 510, 20)]
    moving = steady(60, 0, 5, 205, source="cnt-gate-s")
    steps = sorted(stuck + moving, key=lambda s: s.event.time if isinstance(s, At) else s.now)
    assert kinds(run(eng, steps)) == [(120.0, "raise"), (200.0, "clear")]
