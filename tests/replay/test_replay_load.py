"""The alarm-load report: rates, peak, floods, chattering and standing alarms, time to acknowledge."""

from __future__ import annotations

import pytest

from fairwatch.model import Event
from fairwatch.replay import AckStats, Activation, Chatter, Interval, Standing, load_report, replay
from fairwatch.replay.load import ack_stats
from tests.replay.helpers import T0, ev, rules

RULES = """
rules:
  - id: intrusion
    alarm: intrusion.restricted_area
    severity: high
    when: {type: door.forced}
    group_by: [source]
    clear: {type: door.closed}
  - id: panic-button
    alarm: violence.panic_alarm
    severity: high
    when: {type: panic.pressed}
    group_by: [source]
    clear: {type: panic.reset}
"""
HOUR, DAY = 3600.0, 86_400.0
END = 2 * HOUR + 25 * HOUR + 60 + HOUR  # the last event, relative to T0


def day_of_alarms() -> list[Event]:
    """A flood, a chattering button, one that is not quite chattering, and two standing alarms."""
    events: list[Event] = []
    for i in range(12):  # flood: 12 doors forced within 6 minutes, each closed 5 s later
        events += [ev(30 * i, "door.forced", f"door-{i}"), ev(30 * i + 5, "door.closed", f"door-{i}")]
    for t in (0, 120, 240):  # chattering: pressed and reset three times within 10 minutes
        events += [ev(HOUR + t, "panic.pressed", "panic-1"), ev(HOUR + t + 60, "panic.reset", "panic-1")]
    events += [ev(2 * HOUR, "panic.pressed", "panic-2")]  # standing: reset after 25 hours
    for t in (0, 300, 600):  # three presses spanning exactly 10 minutes: not chattering
        events += [
            ev(4 * HOUR + t, "panic.pressed", "panic-4"),
            ev(4 * HOUR + t + 10, "panic.reset", "panic-4"),
        ]
    events += [ev(2 * HOUR + 25 * HOUR, "panic.reset", "panic-2")]
    events += [ev(2 * HOUR + 25 * HOUR + 60, "panic.pressed", "panic-3")]  # standing: still active at the end
    events += [ev(END, "heartbeat", "mast")]
    return events


def test_load_report_of_a_hand_built_day() -> None:
    result = replay(rules(RULES), day_of_alarms())
    report = load_report(result.alarms, result.start, result.end)
    assert (report.start, report.end, report.alarms) == (T0, T0 + END, 20)
    assert report.per_hour == pytest.approx(20 / (END / HOUR))
    hour_start = T0 - 30 * 60  # T0 is half past an hour
    assert report.busiest_hour == Interval(hour_start, hour_start + HOUR, 12)
    assert report.peak_10min == Interval(T0, T0 + 600, 12)
    assert report.floods == (Interval(T0, T0 + 600, 12),)
    assert report.flood_share == pytest.approx(1 / (END // 600 + 1))
    assert report.chattering == (
        Chatter("panic-button|source=panic-1", "panic-button", {"source": "panic-1"}, 3, 3, T0 + HOUR),
    )
    assert report.standing == (
        Standing(
            "panic-button|source=panic-2",
            "panic-button",
            {"source": "panic-2"},
            T0 + 2 * HOUR,
            T0 + 27 * HOUR,
            25 * HOUR,
        ),
        Standing(
            "panic-button|source=panic-3",
            "panic-button",
            {"source": "panic-3"},
            T0 + 27 * HOUR + 60,
            None,
            HOUR,
        ),
    )
    assert report.by_rule == {"intrusion": 12, "panic-button": 8}
    assert report.ack is None


def act(raised: float, cleared: float | None = None, key: str = "k") -> Activation:
    return Activation(
        key, "r", "other_safety.test", {}, T0 + raised, None if cleared is None else T0 + cleared
    )


# (id, activations, end (relative), expected (floods, chattering keys, standing keys))
BOUNDARIES = [
    (
        "ten-alarms-in-ten-minutes-is-no-flood",
        [act(i, i + 1, f"k{i}") for i in range(10)],
        600.0,
        (0, [], []),
    ),
    ("eleven-is-a-flood", [act(i * 50, i * 50 + 1, f"k{i}") for i in range(11)], 600.0, (1, [], [])),
    (
        "eleven-across-two-intervals-is-none",
        [act(590 + i, 600 + i, f"k{i}") for i in range(11)],
        700.0,
        (0, [], []),
    ),
    ("three-raises-within-9m59s-chatter", [act(0, 1), act(300, 301), act(599, 600)], 700.0, (0, ["k"], [])),
    ("three-raises-spanning-10m-do-not", [act(0, 1), act(300, 301), act(600, 601)], 700.0, (0, [], [])),
    ("active-exactly-24h-is-not-standing", [act(0, DAY)], DAY + 10, (0, [], [])),
    ("active-24h-and-a-second-is-standing", [act(0, DAY + 1)], DAY + 10, (0, [], ["k"])),
    ("still-active-at-the-end-is-standing", [act(0)], 10.0, (0, [], ["k"])),
]


@pytest.mark.parametrize(
    ("alarms", "end", "expected"), [b[1:] for b in BOUNDARIES], ids=[b[0] for b in BOUNDARIES]
)
def test_thresholds_at_their_boundaries(
    alarms: list[Activation], end: float, expected: tuple[int, list[str], list[str]]
) -> None:
    report = load_report(alarms, T0, T0 + end)
    got = (len(report.floods), [c.key for c in report.chattering], [s.key for s in report.standing])
    assert got == expected


def test_an_empty_replay_has_no_rates() -> None:
    report = load_report([], None, None)
    assert (report.alarms, report.per_hour, report.peak_10min, report.flood_share) == (0, None, None, None)


# (id, (raised, acknowledged) pairs, expected)
ACKS = [
    ("none-raised", [], AckStats(0, 0, None, None, None)),
    ("none-acknowledged", [(0.0, None)], AckStats(1, 0, None, None, None)),
    (
        "median-nearest-rank-p90-and-max-over-acknowledged-only",
        [(0.0, 30.0), (0.0, 60.0), (5.0, None), (10.0, 100.0)],
        AckStats(4, 3, 60.0, 90.0, 90.0),
    ),
    (
        "p90-of-ten",
        [(0.0, float(s)) for s in range(10, 110, 10)],
        AckStats(10, 10, 55.0, 90.0, 100.0),
    ),
]


@pytest.mark.parametrize(("acks", "expected"), [a[1:] for a in ACKS], ids=[a[0] for a in ACKS])
def test_time_to_acknowledge(acks: list[tuple[float, float | None]], expected: AckStats) -> None:
    assert ack_stats(acks) == expected
