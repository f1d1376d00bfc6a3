"""Restart: `horizon` says how much history to replay, `warm_up` rebuilds the state from it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from fairwatch.model import Event
from fairwatch.rules import Engine, EngineState, load_rules, parse_rules
from tests.rules.helpers import At, Step, Tick, brief, ev, run

RIVERSIDE = Path(__file__).resolve().parents[2] / "examples" / "rules" / "riverside.yaml"

# (case id, rule body, horizon in seconds)
HORIZONS = [
    ("threshold", "when: {type: t}", 0.0),
    ("threshold-clear", "when: {type: t}\n    clear: {type: u, for: 30s}", 30.0),
    ("held", "when: {type: t, for: 1m}", 60.0),
    ("held-clear", "when: {type: t, for: 1m}\n    clear: {for: 2m}", 180.0),
    ("count", "when: {type: t, count: {gte: 2, within: 10m}}", 600.0),
    ("all", "when: {all: [{type: t}, {type: u}], within: 2m}", 120.0),
    ("all-clear", "when: {all: [{type: t}, {type: u}], within: 2m}\n    clear: {type: v, for: 1m}", 180.0),
    ("absent-twice-for", "when: {absent: {type: hb, for: 5m}}", 600.0),
]


@pytest.mark.parametrize(("body", "seconds"), [c[1:] for c in HORIZONS], ids=[c[0] for c in HORIZONS])
def test_horizon_per_kind(body: str, seconds: float) -> None:
    engine = Engine(parse_rules(f"rules:\n  - id: r\n    alarm: x.y\n    severity: low\n    {body}\n"))
    assert engine.horizon() == seconds


def test_horizon_of_a_rule_set_is_its_longest() -> None:
    text = "rules:\n" + "".join(
        f"  - {{id: r{i}, alarm: x.y, severity: low, when: {when}}}\n"
        for i, when in enumerate(
            [
                "{type: t, for: 10m}",
                "{absent: {type: hb, for: 5m}}",
                "{type: t, count: {gte: 2, within: 11m}}",
                "{type: t}",
            ]
        )
    )
    assert Engine(parse_rules(text)).horizon() == 660.0
    assert Engine(parse_rules("rules: []\n")).horizon() == 0.0


def festival_events() -> list[Event]:
    """Twenty minutes of a small festival, in event-time order."""
    events: list[Event] = []
    for i in range(120):
        t = i * 10.0
        events.append(ev(t, "crowd.density", 2.0 + (i % 40) / 8, zone="main", id=f"d{i}"))
        if i < 50:
            events.append(ev(t + 1, "heartbeat", source="cam-1", zone="gate", id=f"h{i}"))
        if i % 15 == 0:
            events.append(ev(t + 2, "report.medical", zone="north", id=f"m{i}"))
    events += [
        ev(300, "smoke.detected", zone="food", id="s1"),
        ev(350, "temperature", 61.0, zone="food", id="t1"),
        ev(400, "panic.pressed", source="staff-3", id="p1"),
        ev(900, "weather.wind", 22.0, source="station", id="w1"),
        ev(1000, "weather.wind", 23.0, source="station", id="w2"),
    ]
    return sorted(events, key=lambda e: e.time)


def live(engine: Engine, events: list[Event], tick_every: float) -> EngineState:
    """Run as the pipeline would: each event at its own time, ticks every `tick_every` seconds."""
    state = engine.new_state()
    next_tick = 0.0
    for event in events:
        while next_tick <= event.time:
            engine.tick(state, next_tick)
            next_tick += tick_every
        engine.evaluate(state, event, event.time)
    return state


def continuation(end: float) -> list[Step]:
    """What happens after the restart: time passes, devices report."""
    return [
        Tick(end + 1),
        At(ev(end + 5, "crowd.density", 4.9, zone="main", id="after-1")),
        At(ev(end + 6, "heartbeat", source="cam-1", zone="gate", id="after-2")),
        At(ev(end + 7, "report.medical", zone="north", id="after-3")),
        Tick(end + 70),
        At(ev(end + 80, "panic.reset", source="staff-3", id="after-4")),
        Tick(end + 400),
        Tick(end + 2000),
    ]


@pytest.mark.parametrize("tick_every", [1.0, 7.0, 60.0], ids=["tick-1s", "tick-7s", "tick-60s"])
def test_warm_up_rebuilds_the_state_a_live_run_reaches(tick_every: float) -> None:
    engine = Engine(load_rules(RIVERSIDE))
    events = festival_events()
    end = events[-1].time
    running = live(engine, events, tick_every)
    restarted = engine.new_state()
    engine.warm_up(restarted, events)
    engine.tick(running, end)
    engine.tick(restarted, end)
    assert restarted == running
    after_live = run(engine, continuation(end), running)
    after_restart = run(engine, continuation(end), restarted)
    assert brief(after_restart) == brief(after_live)
    assert after_restart == after_live
    assert after_live, "the continuation should decide something, or this test proves little"


def test_warm_up_replays_in_event_time_order_whatever_the_input_order() -> None:
    engine = Engine(load_rules(RIVERSIDE))
    events = festival_events()
    shuffled = events[:]
    random.Random(7).shuffle(shuffled)
    in_order, out_of_order = engine.new_state(), engine.new_state()
    engine.warm_up(in_order, events)
    engine.warm_up(out_of_order, shuffled)
    assert out_of_order == in_order


def test_warm_up_state_is_firing_where_the_live_run_was() -> None:
    engine = Engine(load_rules(RIVERSIDE))
    state = engine.new_state()
    engine.warm_up(state, [ev(0, "panic.pressed", source="staff-3"), ev(1, "heartbeat", source="cam-1")])
    # The panic alarm is open, so a reset clears it; the camera is silent, so absence is raised once.
    assert brief(engine.evaluate(state, ev(5, "panic.reset", source="staff-3"), 5)) == [
        (5, "clear", "cleared", "panic-button|source=staff-3")
    ]
    assert brief(engine.tick(state, 301)) == [(301, "raise", "absent", "device-silent|source=cam-1")]
