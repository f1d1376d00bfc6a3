"""The live crowd board: occupancy from counters or density, flow per link, time to capacity, histories."""

from __future__ import annotations

import pytest

from fairwatch.measures import STEP_S, Board
from fairwatch.measures.history import POINTS, History
from fairwatch.model import Event
from fairwatch.site import parse_site

SITE = """
site: {id: s, name: S, timezone: UTC, plan: {width: 100, height: 100}}
zones:
  - {id: arena, name: Arena, polygon: [[0, 0], [50, 0], [50, 50], [0, 50]], area_m2: 1000, capacity: 2000}
  - {id: yard, name: Yard, polygon: [[50, 0], [100, 0], [100, 50], [50, 50]], area_m2: 500, capacity: 600}
links:
  - {id: gate-n, from: arena, to: outside, width_m: 5.0, kind: gate}
  - {id: walk, from: yard, to: arena, width_m: 2.0, kind: corridor}
devices:
  - {id: cnt-gate-n, kind: line_counter, link: gate-n}
  - {id: cnt-walk, kind: line_counter, link: walk}
  - {id: arena-counter, kind: crowd_counter, zone: arena}
  - {id: yard-counter, kind: crowd_counter, zone: yard}
"""
T0 = 1_800_000_000.0


@pytest.fixture
def board() -> Board:
    return Board(parse_site(SITE, "site.yaml"))


def ev(source: str, type_: str, t: float, zone: str | None = None, value: float | None = None,
       **data: float) -> Event:  # fmt: skip
    return Event(f"{source}-{t}", source, type_, T0 + t, T0 + t, "s", zone, value, None, dict(data))


def test_untouched_board_knows_every_zone_link_and_device_without_values(board: Board) -> None:
    snap = board.snapshot(T0)
    assert [z.id for z in snap.zones] == ["arena", "yard"]
    assert all(z.occupancy is None and z.los is None and z.full_in_s is None for z in snap.zones)
    assert [link.id for link in snap.links] == ["gate-n", "walk"]
    assert all(link.total is None for link in snap.links)
    assert snap.last_seen == dict.fromkeys(["cnt-gate-n", "cnt-walk", "arena-counter", "yard-counter"])


DENSITY_CASES = [
    # (density p/m² in the arena (1000 m²), expected occupancy, standing level of service)
    ("calm", 0.5, 500, "A"),
    ("at the first landmark", 2.0, 2000, "A"),
    ("dense", 3.6, 3600, "C"),
    ("crush risk", 7.5, 7500, "F"),
]


@pytest.mark.parametrize(
    ("name", "density", "occupancy", "los"), DENSITY_CASES, ids=[c[0] for c in DENSITY_CASES]
)
def test_density_gives_occupancy_and_standing_level_of_service(
    board: Board, name: str, density: float, occupancy: float, los: str
) -> None:
    board.add([ev("arena-counter", "crowd.density", 0, "arena", density)], T0)
    z = board.snapshot(T0).zones[0]
    assert z.occupancy == pytest.approx(occupancy)
    assert (z.density, z.los, z.source) == (density, los, "density")


def test_counts_win_over_density_for_occupancy(board: Board) -> None:
    board.add([ev("yard-counter", "crowd.density", 0, "yard", 1.0)], T0)
    board.add([ev("yard-counter", "crowd.count", 1, "yard", 300.0)], T0 + 1)
    board.add([ev("yard-counter", "gate.entry", 2, "yard", 20.0)], T0 + 2)
    z = board.snapshot(T0 + 2).zones[1]
    assert (z.occupancy, z.source, z.density) == (320.0, "count", 1.0)


def test_rising_occupancy_projects_time_to_capacity_from_now(board: Board) -> None:
    # the yard (capacity 600) gains 10 people a minute from 500: full 10 minutes after the last reading
    for k in range(5):
        board.add([ev("yard-counter", "crowd.count", 60 * k, "yard", 460.0 + 10 * k)], T0 + 60 * k)
    assert board.snapshot(T0 + 240).zones[1].full_in_s == pytest.approx(600.0)
    assert board.snapshot(T0 + 300).zones[1].full_in_s == pytest.approx(
        540.0
    )  # a minute later, a minute less
    assert board.snapshot(T0 + 240).zones[1].trend_per_min == pytest.approx(10.0)
    assert board.snapshot(T0 + 240 + 301).zones[1].full_in_s is None  # too old to project


def test_falling_occupancy_has_no_time_to_capacity(board: Board) -> None:
    for k in range(3):
        board.add([ev("yard-counter", "crowd.count", 60 * k, "yard", 500.0 - 10 * k)], T0 + 60 * k)
    assert board.snapshot(T0 + 120).zones[1].full_in_s is None


def test_line_counter_gives_specific_flow_each_way_and_walkway_level_of_service(board: Board) -> None:
    # gate-n is 5 m wide: 3000 forward and 300 backward in a minute are 600 and 60 p/m/min
    board.add([ev("cnt-gate-n", "counter.line", 0, forward=0, backward=0)], T0)
    board.add([ev("cnt-gate-n", "counter.line", 60, forward=3000, backward=300)], T0 + 60)
    link = board.snapshot(T0 + 60).links[0]
    assert (link.forward, link.backward, link.total, link.los) == (600.0, 60.0, 660.0, "F")
    assert link.counterflow == pytest.approx(60 / 660, abs=1e-6)


def test_a_counter_restart_is_not_a_negative_flow(board: Board) -> None:
    for t, f in ((0, 0), (60, 500), (120, 10)):
        board.add([ev("cnt-gate-n", "counter.line", t, forward=f, backward=0)], T0 + t)
    link = board.snapshot(T0 + 120).links[0]
    assert link.forward == pytest.approx(2.0) and link.los == "A"  # 10 people through 5 m in a minute


def test_zone_flow_history_is_net_people_per_minute_into_the_zone(board: Board) -> None:
    # walk (2 m) runs yard -> arena: 120 forward, 20 backward a minute = +100/min into the arena, -100 the yard
    board.add([ev("cnt-walk", "counter.line", 0, forward=0, backward=0)], T0)
    board.add([ev("cnt-walk", "counter.line", 60, forward=120, backward=20)], T0 + 60)
    snap = board.snapshot(T0 + 60)
    arena, yard = snap.zones
    assert arena.flow_history[-1][1] == pytest.approx(100.0)
    assert yard.flow_history[-1][1] == pytest.approx(-100.0)


def test_last_seen_per_device_and_unknown_sources_ignored(board: Board) -> None:
    board.add([ev("yard-counter", "heartbeat", 30), ev("yard-counter", "heartbeat", 10)], T0 + 30)
    board.add([ev("stranger", "heartbeat", 40)], T0 + 40)
    seen = board.snapshot(T0 + 40).last_seen
    assert seen["yard-counter"] == T0 + 30 and "stranger" not in seen


def test_warm_rebuilds_the_same_board_as_live_events(board: Board) -> None:
    events = [ev("yard-counter", "crowd.count", 60 * k, "yard", 400.0 + 7 * k) for k in range(4)]
    for e in events:
        board.add([e], e.received)
    warmed = Board(board.site)
    assert warmed.warm(events) == 4
    assert warmed.snapshot(T0 + 200) == board.snapshot(T0 + 200)


HISTORY_CASES = [
    # (readings (seconds, value), expected points (bucket seconds, value))
    ("one per bucket", [(0, 1), (30, 2), (60, 3)], [(0, 1), (30, 2), (60, 3)]),
    ("newest in a bucket wins", [(0, 1), (10, 5), (29, 7)], [(0, 7)]),
    ("older than the newest bucket ignored", [(60, 3), (10, 9)], [(60, 3)]),
]


@pytest.mark.parametrize(("name", "readings", "expected"), HISTORY_CASES, ids=[c[0] for c in HISTORY_CASES])
def test_history_keeps_the_newest_value_per_bucket(
    name: str, readings: list[tuple[float, float]], expected: list[tuple[float, float]]
) -> None:
    h = History()
    for t, v in readings:
        h.add(T0 + t, v)
    assert h.since(T0 - 1) == [(T0 + t, v) for t, v in expected]


def test_history_is_bounded() -> None:
    h = History()
    for k in range(POINTS * 3):
        h.add(T0 + k * STEP_S, k)
    assert len(h.points) == POINTS and h.points[-1][1] == POINTS * 3 - 1


def test_density_estimates_are_never_projected_to_capacity(board: Board) -> None:
    # rising density in the arena: an estimate (density x area) is shown, but only counts are projected
    for k in range(4):
        board.add([ev("arena-counter", "crowd.density", 60 * k, "arena", 1.0 + 0.2 * k)], T0 + 60 * k)
    z = board.snapshot(T0 + 180).zones[0]
    assert z.source == "density" and z.occupancy == pytest.approx(1600.0)
    assert z.full_in_s is None and len(z.occupancy_history) == 4
