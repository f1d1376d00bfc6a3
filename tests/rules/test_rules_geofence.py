"""Geofences: placing located events in zones, `inside`/`outside` matchers, and `enter`/`exit`/`dwell` tracks.

The test site (helpers.SITE): `square` is [0, 10] x [0, 10], `tent` is [2, 4] x [2, 4] inside it, `field`
is [20, 60] x [0, 50]. Times are plain floats.
"""

from __future__ import annotations

import pytest

from fairwatch.model import Decision, DecisionKind, Event, Location, Reason, Severity
from fairwatch.rules import Engine, parse_rules
from fairwatch.rules.geofence import place_event
from fairwatch.site import Site
from tests.rules.helpers import SITE, At, Step, Tick, brief, engine_for, ev, rule, run

R, C = "raise", "clear"
THRESHOLD, HELD, CLEARED = "threshold", "held", "cleared"
TRUCK = "r|source=truck"


def p(t: float, x: float, y: float, source: str = "truck", now: float | None = None) -> At:
    """A position of `source` at plan point (x, y), with no zone, evaluated at `now` (default: `t`)."""
    return At(ev(t, "v", zone=None, source=source, at=(x, y), id=f"v{t:g}/{source}"), now)


def latlon(t: float) -> Event:
    """A position known only by WGS84 coordinates."""
    return Event(f"g{t:g}", "truck", "v", t, t, location=Location(lat=51.5, lon=-0.12))


# (case id, zone the event names, plan point or None, whether a site is given, zone after placing)
PLACE_CASES = [
    ("in-square", None, (5.0, 8.0), True, "square"),
    ("in-tent-inside-square-goes-to-the-smaller", None, (3.0, 3.0), True, "tent"),
    ("tent-border-is-tent", None, (4.0, 3.0), True, "tent"),
    ("square-border-is-square", None, (10.0, 5.0), True, "square"),
    ("square-corner-is-square", None, (0.0, 0.0), True, "square"),
    ("just-outside-every-zone", None, (10.001, 5.0), True, None),
    ("own-zone-is-kept", "field", (5.0, 5.0), True, "field"),
    ("no-location", None, None, True, None),
    ("no-site", None, (5.0, 5.0), False, None),
]


@pytest.mark.parametrize(
    ("zone", "at", "with_site", "placed"), [c[1:] for c in PLACE_CASES], ids=[c[0] for c in PLACE_CASES]
)
def test_place_event(
    zone: str | None, at: tuple[float, float] | None, with_site: bool, placed: str | None
) -> None:
    event = ev(0, "v", zone=zone, at=at)
    assert place_event(event, SITE if with_site else None).zone == placed


def test_place_leaves_events_it_cannot_place_untouched() -> None:
    engine = Engine(parse_rules("rules: []\n"), SITE)
    for event in (
        ev(0, "v", zone="x", at=(5, 5)),
        ev(0, "v", zone=None),
        latlon(0),
        ev(0, zone=None, at=(90, 90)),
    ):
        assert engine.place(event) is event
    placed = engine.place(ev(0, "v", zone=None, at=(3, 3), id="e1"))
    assert (placed.id, placed.zone, placed.location) == ("e1", "tent", Location(x=3, y=3))


def test_place_ties_go_to_the_first_zone_in_the_file() -> None:
    twin = Site("twin", "Twin", "UTC", SITE.plan, (SITE.zones[2], SITE.zones[1], SITE.zones[1]))
    assert place_event(ev(0, zone=None, at=(3, 3)), twin).zone == "tent"


def test_placed_events_reach_zone_rules() -> None:
    engine = engine_for(rule("{type: v, zone: tent}", group_by="[zone]"), SITE)
    event = engine.place(ev(0, "v", zone=None, at=(3, 3)))
    assert brief(run(engine, [At(event)])) == [(0, R, THRESHOLD, "r|zone=tent")]


INSIDE = rule("{type: v, inside: square}", group_by="[]")
OUTSIDE = rule("{type: v, outside: square}", group_by="[]")
TRIANGLE = rule("{type: v, inside: [[0, 0], [10, 0], [10, 10]]}", group_by="[]")

# (case id, rules, event location: plan point, "latlon" or None, whether it matches)
GEOFENCE_CASES = [
    ("inside", INSIDE, (5, 5), True),
    ("inside-on-border", INSIDE, (10, 5), True),
    ("inside-on-corner", INSIDE, (10, 10), True),
    ("inside-just-outside", INSIDE, (10.001, 5), False),
    ("inside-no-location", INSIDE, None, False),
    ("inside-latlon-only", INSIDE, "latlon", False),
    ("outside-inside", OUTSIDE, (5, 5), False),
    ("outside-on-border", OUTSIDE, (10, 5), False),
    ("outside", OUTSIDE, (11, 5), True),
    ("outside-no-location-never-matches", OUTSIDE, None, False),
    ("outside-latlon-only-never-matches", OUTSIDE, "latlon", False),
    ("polygon-inside", TRIANGLE, (8, 2), True),
    ("polygon-on-diagonal-border", TRIANGLE, (5, 5), True),
    ("polygon-outside", TRIANGLE, (1, 9), False),
]


@pytest.mark.parametrize(
    ("rules", "where", "hit"), [c[1:] for c in GEOFENCE_CASES], ids=[c[0] for c in GEOFENCE_CASES]
)
def test_geofence_matchers(rules: str, where: object, hit: bool) -> None:
    if where == "latlon":
        event = latlon(0)
    else:
        assert where is None or isinstance(where, tuple)
        event = ev(0, "v", at=where)
    assert len(run(engine_for(rules, SITE), [At(event)])) == (1 if hit else 0)


def test_inside_held_for_resets_on_a_position_outside() -> None:
    engine = engine_for(rule("{type: v, inside: square, for: 30s}", group_by="[source]"), SITE)
    steps: list[Step] = [p(0, 5, 5), p(20, 20, 5), p(25, 5, 5), Tick(54.9), Tick(55)]
    assert brief(run(engine, steps)) == [(55, R, HELD, TRUCK)]


ENTER = rule("{type: v, enter: square}", group_by="[source]")
ENTER_ALL = rule("{type: v, enter: square}", group_by="[]")
EXIT = rule("{type: v, exit: square}", group_by="[source]")
DWELL = rule("{type: v, dwell: {zone: square, for: 30s}}", group_by="[source]")
DWELL_ALL = rule("{type: v, dwell: {zone: square, for: 30s}}", group_by="[]")
DWELL_CLEAR = rule(
    "{type: v, dwell: {zone: square, for: 30s}}", "clear: {type: v.reset}", group_by="[source]"
)
TRUCKS = rule("{type: v, data.kind: truck, enter: square}", group_by="[source]")

Case = tuple[str, str, list[Step], list[tuple[float, str, str, str]]]

TRACK_CASES: list[Case] = [
    ("enter-crossing-raises", ENTER, [p(0, 20, 5), p(10, 5, 5)], [(10, R, THRESHOLD, TRUCK)]),
    ("enter-first-position-inside-is-no-entry", ENTER, [p(0, 5, 5), p(10, 6, 6)], []),
    ("enter-onto-the-border-enters", ENTER, [p(0, 20, 5), p(10, 10, 5)], [(10, R, THRESHOLD, TRUCK)]),
    ("enter-staying-inside-raises-once", ENTER, [p(0, 20, 5), p(10, 5, 5), p(20, 6, 6)], [(10, R, THRESHOLD, TRUCK)]),
    ("enter-again-after-leaving", ENTER, [p(0, 20, 5), p(10, 5, 5), p(20, 20, 5), p(30, 5, 5)],
     [(10, R, THRESHOLD, TRUCK), (30, R, THRESHOLD, TRUCK)]),
    # An older position arriving late says nothing about where the source is now.
    ("enter-stale-position-ignored", ENTER, [p(0, 20, 5), p(20, 20, 5), p(10, 5, 5, now=25)], []),
    ("enter-stale-outside-does-not-rearm", ENTER, [p(0, 20, 5), p(20, 5, 5), p(10, 20, 5, now=25), p(30, 6, 6)],
     [(20, R, THRESHOLD, TRUCK)]),
    ("enter-late-but-newest-counts", ENTER, [p(0, 20, 5), p(100, 5, 5, now=500)], [(500, R, THRESHOLD, TRUCK)]),
    ("enter-track-forgotten-after-10m", ENTER, [p(0, 20, 5), p(600, 5, 5)], []),
    ("enter-just-before-forgotten", ENTER, [p(0, 20, 5), p(599.9, 5, 5)], [(599.9, R, THRESHOLD, TRUCK)]),
    ("enter-sources-tracked-separately", ENTER, [p(0, 20, 5, "a"), p(10, 5, 5, "b"), p(20, 5, 5, "a")],
     [(20, R, THRESHOLD, "r|source=a")]),
    ("enter-one-group-tracks-each-source", ENTER_ALL, [p(0, 20, 5, "a"), p(5, 5, 5, "b"), p(10, 5, 5, "a")],
     [(10, R, THRESHOLD, "r|")]),
    ("enter-event-without-location-is-no-position", ENTER,
     [p(0, 20, 5), At(ev(5, "v", source="truck")), p(10, 5, 5)], [(10, R, THRESHOLD, TRUCK)]),
    ("enter-matchers-filter-positions", TRUCKS,
     [At(ev(0, "v", source="truck", at=(20, 5), data={"kind": "truck"})),
      At(ev(5, "v", source="truck", at=(5, 5), data={"kind": "car"})),
      At(ev(10, "v", source="truck", at=(6, 6), data={"kind": "truck"}))],
     [(10, R, THRESHOLD, TRUCK)]),
    ("exit-leaving-raises", EXIT, [p(0, 5, 5), p(10, 20, 5)], [(10, R, THRESHOLD, TRUCK)]),
    ("exit-onto-the-border-is-still-inside", EXIT, [p(0, 5, 5), p(10, 10, 5)], []),
    ("exit-first-position-outside-is-no-exit", EXIT, [p(0, 20, 5), p(10, 30, 5)], []),
    ("dwell-raises-exactly-at-for", DWELL, [p(0, 5, 5), Tick(29.9), Tick(30)], [(30, R, HELD, TRUCK)]),
    ("dwell-position-at-for-raises", DWELL, [p(0, 5, 5), p(30, 6, 6)], [(30, R, HELD, TRUCK)]),
    ("dwell-border-is-inside", DWELL, [p(0, 10, 5), Tick(30)], [(30, R, HELD, TRUCK)]),
    ("dwell-leaving-before-for-starts-over", DWELL, [p(0, 5, 5), p(20, 20, 5), p(25, 5, 5), Tick(54.9), Tick(55)],
     [(55, R, HELD, TRUCK)]),
    ("dwell-repeats-on-inside-positions", DWELL, [p(0, 5, 5), Tick(30), p(40, 6, 6)],
     [(30, R, HELD, TRUCK), (40, R, HELD, TRUCK)]),
    ("dwell-leaving-clears", DWELL, [p(0, 5, 5), Tick(30), p(40, 20, 5), Tick(100)],
     [(30, R, HELD, TRUCK), (40, C, CLEARED, TRUCK)]),
    ("dwell-due-raise-before-leaving", DWELL, [p(0, 5, 5), p(40, 20, 5)],
     [(40, R, HELD, TRUCK), (40, C, CLEARED, TRUCK)]),
    ("dwell-stale-outside-ignored", DWELL, [p(0, 5, 5), p(20, 6, 6), p(10, 20, 5, now=25), Tick(30)],
     [(30, R, HELD, TRUCK)]),
    # `for` runs on now: a late position does not prove the source was inside for 30 s.
    ("dwell-late-position-starts-at-now", DWELL, [p(0, 5, 5, now=100), Tick(129), Tick(130)], [(130, R, HELD, TRUCK)]),
    ("dwell-lost-track-clears", DWELL, [p(0, 5, 5), Tick(30), Tick(599.9), Tick(600)],
     [(30, R, HELD, TRUCK), (600, C, CLEARED, TRUCK)]),
    ("dwell-group-ends-when-the-last-source-leaves", DWELL_ALL,
     [p(0, 5, 5, "a"), p(10, 5, 5, "b"), Tick(30), Tick(40), p(50, 20, 5, "a"), p(60, 20, 5, "b")],
     [(30, R, HELD, "r|"), (40, R, HELD, "r|"), (60, C, CLEARED, "r|")]),
    ("dwell-with-clear-ends-only-by-clear", DWELL_CLEAR,
     [p(0, 5, 5), Tick(30), p(40, 20, 5), At(ev(50, "v.reset", source="truck")), Tick(100)],
     [(30, R, HELD, TRUCK), (50, C, CLEARED, TRUCK)]),
    ("dwell-after-clear-needs-for-again", DWELL_CLEAR,
     [p(0, 5, 5), Tick(30), At(ev(35, "v.reset", source="truck")), p(40, 6, 6), Tick(69.9), Tick(70)],
     [(30, R, HELD, TRUCK), (35, C, CLEARED, TRUCK), (70, R, HELD, TRUCK)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rules", "steps", "expected"), [c[1:] for c in TRACK_CASES], ids=[c[0] for c in TRACK_CASES]
)
def test_tracks(rules: str, steps: list[Step], expected: list[tuple[float, str, str, str]]) -> None:
    assert brief(run(engine_for(rules, SITE), steps)) == expected


EXPLANATIONS = [
    ("inside", INSIDE, [At(ev(0, "v", at=(5, 5)))], "v location (5, 5) inside square"),
    ("outside", OUTSIDE, [At(ev(0, "v", at=(12.5, 5)))], "v location (12.5, 5) outside square"),
    ("enter", ENTER, [p(0, 20, 5), p(10, 5, 5)], "v from truck entered square at (5, 5) in source=truck"),
    ("enter-with-matcher", TRUCKS,
     [At(ev(0, "v", source="truck", at=(20, 5), data={"kind": "truck"})),
      At(ev(9, "v", source="truck", at=(5, 5), data={"kind": "truck"}))],
     "v data.kind truck = truck from truck entered square at (5, 5) in source=truck"),
    ("exit", EXIT, [p(0, 5, 5), p(10, 20, 5)], "v from truck left square at (20, 5) in source=truck"),
    ("dwell", DWELL, [p(0, 5, 5), Tick(30)], "v from truck inside square for 30s at (5, 5) in source=truck"),
    ("dwell-left", DWELL, [p(0, 5, 5), Tick(30), p(40, 20, 5)], "cleared: truck left square at (20, 5) in source=truck"),
    ("dwell-lost", DWELL, [p(0, 5, 5), Tick(30), Tick(600)], "cleared: no position from truck for 10m in source=truck"),
    ("polygon", TRIANGLE, [At(ev(0, "v", at=(8, 2)))], "v location (8, 2) inside [[0, 0], [10, 0], [10, 10]]"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rules", "steps", "text"), [c[1:] for c in EXPLANATIONS], ids=[c[0] for c in EXPLANATIONS]
)
def test_explanations(rules: str, steps: list[Step], text: str) -> None:
    assert run(engine_for(rules, SITE), steps)[-1].explanation == text


def test_enter_decision_in_full() -> None:
    decisions = run(engine_for(ENTER, SITE), [p(0, 20, 5), p(10, 5, 5)])
    assert decisions == [
        Decision(
            kind=DecisionKind.RAISE,
            reason=Reason.THRESHOLD,
            rule="r",
            alarm_type="x.y",
            severity=Severity.HIGH,
            key=TRUCK,
            group={"source": "truck"},
            time=10,
            event_ids=("v10/truck",),
            zone=None,
            site="riverside",
            value=None,
            explanation="v from truck entered square at (5, 5) in source=truck",
        )
    ]


def test_tracks_are_forgotten_once_silent_for_10_minutes() -> None:
    engine = engine_for(ENTER, SITE)
    state = engine.new_state()
    run(engine, [p(0, 20, 5), p(10, 5, 5)], state)
    assert state.groups != {}
    engine.tick(state, 609.9)
    assert state.groups != {}
    engine.tick(state, 610)
    assert state.groups == {}
