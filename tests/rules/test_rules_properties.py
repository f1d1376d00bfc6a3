"""Properties over random event streams: evaluation is deterministic, and warm_up matches a live run."""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from fairwatch.rules import Engine, RuleSet, load_rules
from tests.rules.helpers import At, Step, Tick, ev, run

RIVERSIDE = load_rules(Path(__file__).resolve().parents[2] / "examples" / "rules" / "riverside.yaml")
TYPES = [
    "crowd.density",
    "smoke.detected",
    "smoke.cleared",
    "temperature",
    "report.medical",
    "heartbeat",
    "panic.pressed",
    "panic.reset",
    "gate.status",
    "weather.wind",
    "unrelated",
]


@st.composite
def events(draw: st.DrawFn, time: float, index: int) -> At:
    """One event at `time` with a random type, place, source, value and gate state."""
    event = ev(
        time,
        draw(st.sampled_from(TYPES)),
        draw(st.one_of(st.none(), st.floats(0, 80, allow_nan=False))),
        zone=draw(st.sampled_from(["main", "north", None])),
        source=draw(st.sampled_from(["cam-1", "cam-2"])),
        id=f"e{index}",
        data={"state": draw(st.sampled_from(["blocked", "open"]))},
    )
    return At(event)


@st.composite
def streams(draw: st.DrawFn, late: bool = True) -> list[Step]:
    """Events and ticks with non-decreasing `now`; with `late`, some events claim an older time."""
    steps: list[Step] = []
    now = 0.0
    for index in range(draw(st.integers(0, 60))):
        now += draw(st.sampled_from([0.0, 0.5, 1.0, 10.0, 30.0, 60.0, 120.0, 301.0]))
        if draw(st.booleans()):
            steps.append(Tick(now))
            continue
        lag = draw(st.sampled_from([0.0, 0.0, 5.0, 200.0, 1000.0])) if late else 0.0
        step = draw(events(now - lag, index))
        steps.append(At(step.event, now))
    return steps


def decisions_twice(ruleset: RuleSet, steps: list[Step]) -> tuple[object, object]:
    """The decisions of two independent engines fed the same steps."""
    return run(Engine(ruleset), steps), run(Engine(ruleset), steps)


@settings(max_examples=200, deadline=None)
@given(streams())
def test_same_input_gives_same_decisions(steps: list[Step]) -> None:
    first, second = decisions_twice(RIVERSIDE, steps)
    assert first == second


# A group that a tick forgets must be forgotten by an event at the same moment too (found by Hypothesis).
IDLE_FOR_THE_HORIZON = [
    At(ev(0.0, "crowd.density", 5.0, id="e0"), 0.0),
    At(ev(0.5, "crowd.density", None, id="e1"), 0.5),
    Tick(60.5),
    At(ev(180.5, "crowd.density", None, id="e3"), 180.5),
]


@settings(max_examples=200, deadline=None)
@given(streams(late=False), st.sampled_from([1.0, 13.0, 97.0]))
@example(IDLE_FOR_THE_HORIZON, 1.0)
def test_warm_up_then_continue_equals_running_live(steps: list[Step], tick_every: float) -> None:
    engine = Engine(RIVERSIDE)
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
