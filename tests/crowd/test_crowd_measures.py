"""The pure crowd measures: flow from cumulative line counts, level of service, time to capacity."""

from __future__ import annotations

import math

import pytest

from fairwatch.crowd import STANDING, WALKWAY, LineCount, Reading, band, flows, rank, time_to_capacity
from fairwatch.crowd.flow import counterflow


def feed(readings: list[tuple[float, float, float]]) -> LineCount:
    count = LineCount()
    for t, f, b in readings:
        count.add(Reading(t, f, b))
    return count


FLOWS = [
    # (readings (time, forward, backward), now, expected (forward, backward) per minute or None)
    ("one reading is a baseline", [(0, 500, 20)], 0, None),
    ("steady cumulative", [(0, 0, 0), (30, 60, 3), (60, 120, 6)], 60, (120.0, 6.0)),
    ("only the last minute", [(0, 0, 0), (60, 600, 0), (120, 660, 0)], 120, (60.0, 0.0)),
    ("partial coverage at start", [(0, 0, 0), (20, 40, 0)], 20, (120.0, 0.0)),
    # the counter restarted between 60 and 90: 30 forward since the restart, never a negative flow
    ("restart from zero", [(0, 0, 0), (60, 1000, 50), (90, 30, 1), (120, 60, 2)], 120, (60.0, 2.0)),
    ("restart in one direction only", [(0, 0, 0), (60, 1000, 50), (120, 1060, 0)], 120, (1060.0, 0.0)),
    # 600 people over a 10-minute gap: 60 per minute, not a surge of 600 in the last minute
    ("gap spreads the count", [(0, 0, 0), (600, 600, 0)], 600, (60.0, 0.0)),
    ("older reading ignored", [(0, 0, 0), (60, 60, 0), (30, 10, 0)], 60, (60.0, 0.0)),
    ("same time ignored", [(0, 0, 0), (60, 60, 0), (60, 9999, 0)], 60, (60.0, 0.0)),
    ("nothing recent", [(0, 0, 0), (60, 60, 0)], 200, None),
]


@pytest.mark.parametrize(("name", "readings", "now", "expected"), FLOWS, ids=[f[0] for f in FLOWS])
def test_flow_over_the_last_minute(
    name: str, readings: list[tuple[float, float, float]], now: float, expected: tuple[float, float] | None
) -> None:
    got = flows(feed(readings), now)
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected)


def test_restarts_are_counted() -> None:
    count = feed([(0, 0, 0), (60, 100, 0), (90, 5, 0), (120, 10, 0)])
    assert count.restarts == 1


def test_a_copy_is_independent() -> None:
    count = feed([(0, 0, 0), (60, 100, 0)])
    copy = count.copy()
    count.add(Reading(120, 200, 0))
    assert len(copy.increments) == 1 and copy.last == Reading(60, 100, 0)


@pytest.mark.parametrize(
    ("forward", "backward", "share"),
    [(0, 0, 0.0), (30, 10, 0.25), (10, 30, 0.25), (20, 20, 0.5), (5, 0, 0.0)],
)
def test_counterflow_is_the_minority_share(forward: float, backward: float, share: float) -> None:
    assert counterflow(forward, backward) == share


@pytest.mark.parametrize(
    ("flow", "letter"),
    [(0, "A"), (22.9, "A"), (23, "A"), (23.1, "B"), (33, "B"), (40, "C"), (60, "D"), (82, "E"), (82.1, "F")],
)
def test_walkway_level_of_service(flow: float, letter: str) -> None:
    assert band(flow, WALKWAY) == letter


@pytest.mark.parametrize(
    ("density", "letter"), [(1.0, "A"), (2.5, "B"), (3.8, "C"), (4.5, "D"), (6.0, "E"), (7.5, "F")]
)
def test_standing_level_of_service(density: float, letter: str) -> None:
    assert band(density, STANDING) == letter


def test_rank_orders_the_letters() -> None:
    assert [rank(x) for x in "ABCDEF"] == [0, 1, 2, 3, 4, 5]


def test_linear_time_to_capacity() -> None:
    # 10 people a minute, 800 now, capacity 1000: 20 minutes
    times = [0.0, 60.0, 120.0]
    got = time_to_capacity(times, [780.0, 790.0, 800.0], 1000, "linear")
    assert got is not None and got.seconds == pytest.approx(1200.0)


def test_smoothed_time_to_capacity_follows_a_steady_rise() -> None:
    times = [float(t) for t in range(0, 601, 60)]
    values = [500.0 + t / 6 for t in times]  # 10 per minute
    got = time_to_capacity(times, values, 1000, "smoothed")
    assert got is not None and got.seconds == pytest.approx(2400.0, rel=0.05)


@pytest.mark.parametrize("method", ["linear", "smoothed"])
def test_falling_or_full_occupancy(method: str) -> None:
    falling = time_to_capacity([0.0, 60.0], [800.0, 700.0], 1000, method)
    assert falling is not None and math.isinf(falling.seconds)
    full = time_to_capacity([0.0, 60.0], [990.0, 1005.0], 1000, method)
    assert full is not None and full.seconds == 0.0
    assert time_to_capacity([0.0], [1.0], 1000, method) is None
