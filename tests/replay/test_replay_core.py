"""replay(): simulated time, the alarm book, and that the result depends only on the events."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairwatch.model import Event
from fairwatch.replay import Activation, Replayer, diff, replay
from fairwatch.replay.comparison import DiffEntry, Side
from fairwatch.rules import load_rules
from tests.replay.helpers import T0, ev, rules

RIVERSIDE = load_rules(Path(__file__).parents[2] / "examples" / "rules" / "riverside.yaml")

HELD = """
rules:
  - id: crush
    alarm: crowd_safety.crush_risk
    severity: critical
    when: {type: crowd.density, value: {gt: 4.0}, for: 60s}
    group_by: [zone]
    clear: {value: {lt: 3.0}}
  - id: silent
    alarm: technical.device_offline
    severity: low
    when: {absent: {type: heartbeat, for: 5m}}
    group_by: [source]
  - id: panic
    alarm: violence.panic_alarm
    severity: high
    when: {type: panic.pressed}
    group_by: [source]
    clear: {type: panic.reset}
"""


def brief(alarms: tuple[Activation, ...]) -> list[tuple[str, float, float | None]]:
    """(key, raised, cleared) with times relative to T0."""
    return [(a.key, a.raised_at - T0, None if a.cleared_at is None else a.cleared_at - T0) for a in alarms]


# (id, events, replay until (relative), expected activations)
TIMING = [
    (
        "held-raises-on-the-first-whole-second-tick-after-for",
        [ev(0.5, "crowd.density", value=4.5, zone="main")],
        100.0,
        [("crush|zone=main", 61.0, None)],
    ),
    (
        "held-raises-at-an-event-arriving-exactly-when-due",
        [ev(0, "crowd.density", value=4.5, zone="main"), ev(60, "crowd.density", value=4.6, zone="main")],
        None,
        [("crush|zone=main", 60.0, None)],
    ),
    (
        "without-until-the-replay-ends-with-the-last-event",
        [ev(0.5, "crowd.density", value=4.5, zone="main"), ev(30, "crowd.density", value=4.6, zone="main")],
        None,
        [],
    ),
    (
        "absence-fires-between-events-and-clears-on-return",
        [ev(0, "heartbeat", "cam-1"), ev(1000, "heartbeat", "cam-1")],
        None,
        [("silent|source=cam-1", 300.0, 1000.0)],
    ),
    (
        "clear-then-raise-again-is-a-second-activation-of-one-alarm",
        [ev(0, "panic.pressed", "p"), ev(5, "panic.reset", "p"), ev(9, "panic.pressed", "p")],
        None,
        [("panic|source=p", 0.0, 5.0), ("panic|source=p", 9.0, None)],
    ),
    (
        "an-event-arriving-out-of-order-is-evaluated-at-the-current-time",
        [ev(10, "panic.pressed", "p"), ev(3, "panic.pressed", "q", received=4)],
        None,
        [("panic|source=p", 10.0, None), ("panic|source=q", 10.0, None)],
    ),
]


@pytest.mark.parametrize(("events", "until", "expected"), [c[1:] for c in TIMING], ids=[c[0] for c in TIMING])
def test_simulated_time(
    events: list[Event], until: float | None, expected: list[tuple[str, float, float | None]]
) -> None:
    result = replay(rules(HELD), events, until=None if until is None else T0 + until)
    assert brief(result.alarms) == expected


@pytest.mark.parametrize(
    ("tick_at_events", "raised"), [(False, 61.0), (True, 60.7)], ids=["whole-seconds", "at-events"]
)
def test_other_groups_timers_fire_on_whole_seconds_unless_ticking_at_events(
    tick_at_events: bool, raised: float
) -> None:
    replayer = Replayer(rules(HELD), tick_at_events=tick_at_events)
    replayer.feed(
        [ev(0.5, "crowd.density", value=4.5, zone="main"), ev(60.7, "crowd.density", value=1, zone="east")]
    )
    replayer.advance(T0 + 62)
    [(key, at, cleared)] = brief(replayer.result().alarms)
    assert (key, round(at, 6), cleared) == ("crush|zone=main", raised, None)


def test_the_book_keeps_one_alarm_per_key_with_count_and_active_flag() -> None:
    events = [ev(0, "panic.pressed", "p"), ev(1, "panic.pressed", "p"), ev(2, "panic.reset", "p")]
    result = replay(rules(HELD), events)
    [alarm] = result.open.values()
    assert (alarm.key, alarm.count, alarm.active, alarm.first_seen, alarm.last_seen) == (
        "panic|source=p",
        2,
        False,
        T0,
        T0 + 1,
    )
    assert (result.events, result.start, result.end) == (3, T0, T0 + 2)


OLD = """
rules:
  - id: crush
    alarm: crowd_safety.crush_risk
    severity: critical
    when: {type: crowd.density, value: {gt: 4.0}, for: 60s}
    group_by: [zone]
  - id: lightning
    alarm: weather.lightning_nearby
    severity: high
    when: {type: weather.lightning, value: {lte: 10}}
    group_by: [site]
"""
NEW = """
rules:
  - id: crush
    alarm: crowd_safety.crush_risk
    severity: critical
    when: {type: crowd.density, value: {gt: 3.5}, for: 30s}
    group_by: [zone]
  - id: heat
    alarm: weather.extreme_heat
    severity: medium
    when: {type: temperature, value: {gte: 35}}
    group_by: [zone]
"""


def test_diff_between_two_rule_sets_by_key() -> None:
    events = [
        ev(0, "crowd.density", value=3.8, zone="north"),
        ev(0, "crowd.density", value=4.5, zone="main"),
        ev(40, "crowd.density", value=3.8, zone="north"),
        ev(40, "crowd.density", value=4.5, zone="main"),
        ev(70, "crowd.density", value=4.5, zone="main"),
        ev(80, "weather.lightning", value=9),
        ev(90, "temperature", value=36, zone="camping"),
    ]
    new, old = replay(rules(NEW), events), replay(rules(OLD), events)
    result = diff(new, old)
    crush, heat = "crowd_safety.crush_risk", "weather.extreme_heat"
    assert result.only_new == (
        DiffEntry("crush|zone=north", "crush", crush, {"zone": "north"}, Side(1, T0 + 30), None),
        DiffEntry("heat|zone=camping", "heat", heat, {"zone": "camping"}, Side(1, T0 + 90), None),
    )
    assert result.only_old == (
        DiffEntry(
            "lightning|site=riverside",
            "lightning",
            "weather.lightning_nearby",
            {"site": "riverside"},
            None,
            Side(1, T0 + 80),
        ),
    )
    assert result.both == (
        DiffEntry("crush|zone=main", "crush", crush, {"zone": "main"}, Side(1, T0 + 30), Side(1, T0 + 60)),
    )


TYPES = ["crowd.density", "heartbeat", "panic.pressed", "panic.reset", "temperature", "report.medical"]


@st.composite
def streams(draw: st.DrawFn) -> list[Event]:
    """Events with non-decreasing arrival, some claiming an older time, over a few zones and sources."""
    out: list[Event] = []
    now = 0.0
    for i in range(draw(st.integers(0, 50))):
        now += draw(st.sampled_from([0.0, 0.25, 1.0, 7.5, 30.0, 61.0, 200.0, 700.0]))
        lag = draw(st.sampled_from([0.0, 0.0, 3.0, 400.0]))
        event = ev(
            now - lag,
            draw(st.sampled_from(TYPES)),
            draw(st.sampled_from(["a", "b"])),
            value=draw(st.sampled_from([None, 2.0, 3.6, 4.5, 36.0, 60.0])),
            zone=draw(st.sampled_from(["main-stage", "camping"])),
            received=now,
            id=f"e{i}",
        )
        out.append(event)
    return out


@settings(max_examples=150, deadline=None)
@given(events=streams(), cuts=st.lists(st.integers(0, 50), max_size=6))
def test_replay_is_deterministic_and_independent_of_batching(events: list[Event], cuts: list[int]) -> None:
    once = replay(RIVERSIDE, events)
    assert replay(RIVERSIDE, list(events)) == once
    replayer = Replayer(RIVERSIDE)
    bounds = [0, *sorted(c for c in cuts if c <= len(events)), len(events)]
    for lo, hi in itertools.pairwise(bounds):
        replayer.feed(iter(events[lo:hi]))
    assert replayer.result() == once
