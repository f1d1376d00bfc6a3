"""The engine, one table per rule kind, driven by a fake clock: plain floats for `now`."""

from __future__ import annotations

import pytest

from fairwatch.model import Decision, DecisionKind, Reason, Severity
from tests.rules.helpers import At, Step, Tick, brief, engine_for, ev, run

R, C = "raise", "clear"
HELD, THRESHOLD, COUNT, CORRELATED = "held", "threshold", "count", "correlated"
ABSENT, CLEARED, RETURNED = "absent", "cleared", "returned"


def rule(when: str, *extra: str, group_by: str = "[zone]") -> str:
    """A file with one rule 'r' (alarm x.y, severity high) grouped by `group_by`."""
    lines = [f"when: {when}", f"group_by: {group_by}", *extra]
    return "rules:\n  - id: r\n    alarm: x.y\n    severity: high\n" + "".join(
        f"    {line}\n" for line in lines
    )


Case = tuple[str, str, list[Step], list[tuple[float, str, str, str]]]
MAIN = "r|zone=main"

DENSITY = rule("{type: crowd.density, value: {gt: 4.0}, for: 60s}")
DENSITY_CLEAR = rule(
    "{type: crowd.density, value: {gt: 4.0}, for: 60s}", "clear: {value: {lt: 3.0}, for: 120s}"
)
DENSITY_CLEAR_NOW = rule("{type: crowd.density, value: {gt: 4.0}, for: 60s}", "clear: {value: {lt: 3.0}}")
SMOKE_HELD = rule("{type: smoke.detected, for: 30s}", "clear: {type: smoke.cleared}")
PINNED = rule("{type: crowd.density, zone: main, value: {gt: 4.0}, for: 60s}", group_by="[]")


def d(time: float, zone: str = "main", value: float = 4.6, now: float | None = None) -> At:
    """A crowd.density sample evaluated at its own time (or at `now`)."""
    return At(ev(time, "crowd.density", value, zone=zone), now)


HELD_CASES: list[Case] = [
    ("raises-exactly-at-for", DENSITY, [d(0), d(30), d(60)], [(60, R, HELD, MAIN)]),
    ("not-before-for", DENSITY, [d(0), d(59.9)], []),
    ("tick-raises-exactly-at-for", DENSITY, [d(0), Tick(59.9), Tick(60)], [(60, R, HELD, MAIN)]),
    ("value-equal-to-gt-is-false", DENSITY, [d(0, value=4.0), d(60, value=4.0), Tick(100)], []),
    (
        "false-sample-resets",
        DENSITY,
        [d(0), d(30, value=3.9), d(60), Tick(119), Tick(120)],
        [(120, R, HELD, MAIN)],
    ),
    (
        "repeat-on-each-true-sample",
        DENSITY,
        [d(0), d(60), d(70), d(80)],
        [(60, R, HELD, MAIN), (70, R, HELD, MAIN), (80, R, HELD, MAIN)],
    ),
    ("tick-raises-once", DENSITY, [d(0), Tick(60), Tick(61), Tick(500)], [(60, R, HELD, MAIN)]),
    (
        "false-sample-clears-without-clear",
        DENSITY,
        [d(0), d(60), d(61, value=3.0), Tick(500)],
        [(60, R, HELD, MAIN), (61, C, CLEARED, MAIN)],
    ),
    (
        "raises-again-after-clear",
        DENSITY,
        [d(0), d(60), d(61, value=3.0), d(62), Tick(121), Tick(122)],
        [(60, R, HELD, MAIN), (61, C, CLEARED, MAIN), (122, R, HELD, MAIN)],
    ),
    (
        "groups-are-independent",
        DENSITY,
        [d(0, "a"), d(30, "b"), d(60, "a"), d(60, "b"), Tick(90)],
        [(60, R, HELD, "r|zone=a"), (90, R, HELD, "r|zone=b")],
    ),
    ("false-sample-in-unknown-group-is-nothing", DENSITY, [d(0, value=1.0), Tick(1000)], []),
    # An older sample arriving after a newer one says nothing about the present: ignored.
    (
        "stale-false-sample-ignored",
        DENSITY,
        [d(0), d(50), d(40, value=3.0, now=55), d(60)],
        [(60, R, HELD, MAIN)],
    ),
    ("stale-true-sample-ignored", DENSITY, [d(0, value=1.0), d(50, value=1.0), d(40, now=55), Tick(200)], []),
    # `for` is a timer on `now`: one late sample does not prove the condition held for a minute.
    (
        "late-sample-starts-timer-at-now",
        DENSITY,
        [d(0, now=1000), Tick(1059), Tick(1060)],
        [(1060, R, HELD, MAIN)],
    ),
    (
        "clear-for-held-exactly",
        DENSITY_CLEAR,
        [d(0), d(60), d(70, value=2.0), d(189, value=2.0), Tick(189.9), Tick(190)],
        [(60, R, HELD, MAIN), (190, C, CLEARED, MAIN)],
    ),
    (
        "clear-reset-by-in-between-sample",
        DENSITY_CLEAR,
        [d(0), d(60), d(70, value=2.0), d(100, value=3.5), d(130, value=2.0), Tick(249), Tick(250)],
        [(60, R, HELD, MAIN), (250, C, CLEARED, MAIN)],
    ),
    (
        "true-sample-resets-clear-and-repeats",
        DENSITY_CLEAR,
        [d(0), d(60), d(70, value=2.0), d(100), Tick(190), d(110, value=2.0), Tick(229), Tick(230)],
        [(60, R, HELD, MAIN), (100, R, HELD, MAIN), (230, C, CLEARED, MAIN)],
    ),
    (
        "false-sample-does-not-clear-when-clear-given",
        DENSITY_CLEAR,
        [d(0), d(60), d(61, value=3.5), Tick(1000)],
        [(60, R, HELD, MAIN)],
    ),
    (
        "clear-samples-before-firing-do-nothing",
        DENSITY_CLEAR,
        [d(0, value=2.0), Tick(500), d(600, value=2.0)],
        [],
    ),
    (
        "clear-without-for-is-immediate",
        DENSITY_CLEAR_NOW,
        [d(0), d(60), d(61, value=2.9)],
        [(60, R, HELD, MAIN), (61, C, CLEARED, MAIN)],
    ),
    (
        "clear-on-another-type",
        SMOKE_HELD,
        [At(ev(0, "smoke.detected")), Tick(30), At(ev(40, "smoke.cleared")), Tick(1000)],
        [(30, R, HELD, MAIN), (40, C, CLEARED, MAIN)],
    ),
    # Timers that came due between ticks fire before the event is applied, so decisions do not depend on
    # how often the caller ticks.
    (
        "due-raise-fires-before-a-false-sample",
        DENSITY,
        [d(0), d(70, value=3.0)],
        [(70, R, HELD, MAIN), (70, C, CLEARED, MAIN)],
    ),
    (
        "event-outside-scope-is-not-a-sample",
        PINNED,
        [d(0), d(30, "other", value=1.0), Tick(60)],
        [(60, R, HELD, "r|")],
    ),
]

PANIC = rule("{type: panic.pressed}", "clear: {type: panic.reset}", group_by="[source]")
HOT = rule("{type: temperature, value: {gt: 55}}", group_by="[]")
HOT_CLEAR = rule("{type: temperature, value: {gt: 55}}", "clear: {value: {lt: 40}, for: 60s}")
SRC = "r|source=sensor-1"


def t(time: float, value: float, now: float | None = None) -> At:
    """A temperature sample."""
    return At(ev(time, "temperature", value), now)


THRESHOLD_CASES: list[Case] = [
    (
        "every-match-raises",
        HOT,
        [t(0, 56), t(1, 55), t(2, 70), t(3, 20)],
        [(0, R, THRESHOLD, "r|"), (2, R, THRESHOLD, "r|")],
    ),
    ("never-clears-without-clear", HOT, [t(0, 60), t(1, 20), Tick(10_000)], [(0, R, THRESHOLD, "r|")]),
    ("late-events-still-raise", HOT, [t(0, 60, now=5000)], [(5000, R, THRESHOLD, "r|")]),
    (
        "clear-by-reset-event",
        PANIC,
        [
            At(ev(0, "panic.pressed")),
            At(ev(5, "panic.pressed")),
            At(ev(9, "panic.reset")),
            At(ev(10, "panic.reset")),
        ],
        [(0, R, THRESHOLD, SRC), (5, R, THRESHOLD, SRC), (9, C, CLEARED, SRC)],
    ),
    ("reset-without-press-is-nothing", PANIC, [At(ev(0, "panic.reset")), Tick(100)], []),
    (
        "reset-from-another-source-does-not-clear",
        PANIC,
        [At(ev(0, "panic.pressed")), At(ev(1, "panic.reset", source="other"))],
        [(0, R, THRESHOLD, SRC)],
    ),
    (
        "clear-held-for",
        HOT_CLEAR,
        [t(0, 60), t(10, 30), Tick(69), Tick(70)],
        [(0, R, THRESHOLD, MAIN), (70, C, CLEARED, MAIN)],
    ),
    (
        "match-resets-clear-timer",
        HOT_CLEAR,
        [t(0, 60), t(10, 30), t(40, 60), t(50, 30), Tick(70), Tick(110)],
        [(0, R, THRESHOLD, MAIN), (40, R, THRESHOLD, MAIN), (110, C, CLEARED, MAIN)],
    ),
    (
        "due-clear-fires-before-a-new-match",
        HOT_CLEAR,
        [t(0, 60), t(10, 30), t(80, 60)],
        [(0, R, THRESHOLD, MAIN), (80, C, CLEARED, MAIN), (80, R, THRESHOLD, MAIN)],
    ),
    (
        "stale-clear-sample-ignored",
        HOT_CLEAR,
        [t(0, 60), t(20, 50), t(10, 30, now=21), Tick(200)],
        [(0, R, THRESHOLD, MAIN)],
    ),
]

MEDICAL = rule("{type: report.medical, count: {gte: 3, within: 10m}}")
MEDICAL_GT = rule("{type: report.medical, count: {gt: 3, within: 10m}}")


def m(time: float, now: float | None = None, zone: str = "main") -> At:
    """A medical report."""
    return At(ev(time, "report.medical", zone=zone, id=f"m{time:g}"), now)


COUNT_CASES: list[Case] = [
    ("exactly-at-threshold", MEDICAL, [m(0), m(1), m(2)], [(2, R, COUNT, MAIN)]),
    ("below-threshold", MEDICAL, [m(0), m(1), Tick(5)], []),
    ("window-edge-is-inside", MEDICAL, [m(0), m(300), m(600)], [(600, R, COUNT, MAIN)]),
    ("just-outside-window", MEDICAL, [m(0), m(300), m(600.5)], []),
    ("repeat-while-reached", MEDICAL, [m(0), m(1), m(2), m(3)], [(2, R, COUNT, MAIN), (3, R, COUNT, MAIN)]),
    (
        "tick-clears-when-window-drops",
        MEDICAL,
        [m(0), m(1), m(2), Tick(600), Tick(600.5), Tick(700)],
        [(2, R, COUNT, MAIN), (600.5, C, CLEARED, MAIN)],
    ),
    (
        "new-event-clears-when-window-dropped",
        MEDICAL,
        [m(0), m(1), m(2), m(700)],
        [(2, R, COUNT, MAIN), (700, C, CLEARED, MAIN)],
    ),
    ("no-clear-if-never-fired", MEDICAL, [m(0), m(1), Tick(10_000)], []),
    ("late-event-ignored", MEDICAL, [m(500), m(550), m(0, now=610), m(620)], [(620, R, COUNT, MAIN)]),
    ("late-event-does-not-complete-count", MEDICAL, [m(500), m(550), m(0, now=610)], []),
    (
        "out-of-order-within-window-counts",
        MEDICAL,
        [m(100), m(200), m(150, now=250)],
        [(250, R, COUNT, MAIN)],
    ),
    ("gt-needs-one-more", MEDICAL_GT, [m(0), m(1), m(2), m(3)], [(3, R, COUNT, MAIN)]),
    ("zones-count-separately", MEDICAL, [m(0, zone="a"), m(1, zone="b"), m(2, zone="a")], []),
    (
        "raises-again-after-clear",
        MEDICAL,
        [m(0), m(1), m(2), Tick(1000), m(1001), m(1002), m(1003)],
        [(2, R, COUNT, MAIN), (1000, C, CLEARED, MAIN), (1003, R, COUNT, MAIN)],
    ),
]

FIRE = rule("{all: [{type: smoke.detected}, {type: temperature, value: {gt: 55}}], within: 2m}")
FIRE_CLEAR = rule(
    "{all: [{type: smoke.detected}, {type: temperature, value: {gt: 55}}], within: 2m}",
    "clear: {type: smoke.cleared}",
)


def s(time: float, now: float | None = None, zone: str = "main") -> At:
    """A smoke detection."""
    return At(ev(time, "smoke.detected", zone=zone), now)


def hot(time: float, value: float = 61.0, now: float | None = None, zone: str = "main") -> At:
    """A temperature sample."""
    return At(ev(time, "temperature", value, zone=zone), now)


ALL_CASES: list[Case] = [
    ("both-at-window-edge", FIRE, [s(0), hot(120)], [(120, R, CORRELATED, MAIN)]),
    ("too-far-apart", FIRE, [s(0), hot(120.5)], []),
    ("order-does-not-matter", FIRE, [hot(0), s(100)], [(100, R, CORRELATED, MAIN)]),
    ("part-matchers-apply", FIRE, [s(0), hot(50, value=40)], []),
    (
        "repeat-while-satisfied",
        FIRE,
        [s(0), hot(10), hot(20)],
        [(10, R, CORRELATED, MAIN), (20, R, CORRELATED, MAIN)],
    ),
    ("zones-separate", FIRE, [s(0, zone="a"), hot(10, zone="b")], []),
    ("late-part-ignored", FIRE, [s(100), hot(0, now=150)], []),
    # The newer smoke (250) stays the part's event; the stale one (100) must not replace it.
    (
        "stale-part-does-not-move-back",
        FIRE,
        [s(250), s(100, now=260), hot(300)],
        [(300, R, CORRELATED, MAIN)],
    ),
    ("part-older-than-window-at-now-does-not-count", FIRE, [s(0), hot(100, now=130)], []),
    ("no-clear-without-clear", FIRE, [s(0), hot(10), Tick(10_000)], [(10, R, CORRELATED, MAIN)]),
    (
        "clear-event",
        FIRE_CLEAR,
        [s(0), hot(10), At(ev(20, "smoke.cleared")), At(ev(21, "smoke.cleared"))],
        [(10, R, CORRELATED, MAIN), (20, C, CLEARED, MAIN)],
    ),
    ("clear-before-raise-is-nothing", FIRE_CLEAR, [At(ev(0, "smoke.cleared")), s(1)], []),
]

SILENT = rule("{absent: {type: heartbeat, for: 5m}}", group_by="[source]")
SILENT_OK = rule("{absent: {type: heartbeat, data.status: ok, for: 5m}}", group_by="[source]")
CAM = "r|source=cam-1"


def hb(time: float, now: float | None = None, source: str = "cam-1", status: str | None = None) -> At:
    """A heartbeat, with `data.status` if given."""
    return At(ev(time, "heartbeat", source=source, data={"status": status} if status else None), now)


ABSENT_CASES: list[Case] = [
    ("raises-exactly-at-for", SILENT, [hb(0), Tick(299.9), Tick(300)], [(300, R, ABSENT, CAM)]),
    ("raises-once", SILENT, [hb(0), Tick(300), Tick(400), Tick(5000)], [(300, R, ABSENT, CAM)]),
    ("return-clears", SILENT, [hb(0), Tick(300), hb(310)], [(300, R, ABSENT, CAM), (310, C, RETURNED, CAM)]),
    (
        "heartbeat-restarts-timer",
        SILENT,
        [hb(0), hb(200), Tick(300), Tick(499), Tick(500)],
        [(500, R, ABSENT, CAM)],
    ),
    ("unseen-groups-never-raise", SILENT, [Tick(0), Tick(10_000)], []),
    (
        "each-source-separately",
        SILENT,
        [hb(0), hb(100, source="cam-2"), Tick(300), Tick(400)],
        [(300, R, ABSENT, CAM), (400, R, ABSENT, "r|source=cam-2")],
    ),
    (
        "due-absence-fires-before-a-late-return",
        SILENT,
        [hb(0), hb(320)],
        [(320, R, ABSENT, CAM), (320, C, RETURNED, CAM)],
    ),
    (
        "stale-heartbeat-does-not-move-back",
        SILENT,
        [hb(200), hb(0, now=201), Tick(300), Tick(500)],
        [(500, R, ABSENT, CAM)],
    ),
    ("stale-return-does-not-clear", SILENT, [hb(100), Tick(400), hb(50, now=410)], [(400, R, ABSENT, CAM)]),
    (
        "old-but-newer-return-still-absent",
        SILENT,
        [hb(0), Tick(300), hb(5, now=320)],
        [(300, R, ABSENT, CAM)],
    ),
    (
        "raises-again-after-return",
        SILENT,
        [hb(0), Tick(300), hb(310), Tick(610)],
        [(300, R, ABSENT, CAM), (310, C, RETURNED, CAM), (610, R, ABSENT, CAM)],
    ),
    (
        "matchers-filter-heartbeats",
        SILENT_OK,
        [
            hb(0, status="ok"),
            hb(100, status="error"),
            Tick(300),
            hb(310, status="error"),
            hb(320, status="ok"),
        ],
        [(300, R, ABSENT, CAM), (320, C, RETURNED, CAM)],
    ),
]

ALL_KINDS = [
    *[(f"held-{c[0]}", *c[1:]) for c in HELD_CASES],
    *[(f"threshold-{c[0]}", *c[1:]) for c in THRESHOLD_CASES],
    *[(f"count-{c[0]}", *c[1:]) for c in COUNT_CASES],
    *[(f"all-{c[0]}", *c[1:]) for c in ALL_CASES],
    *[(f"absent-{c[0]}", *c[1:]) for c in ABSENT_CASES],
]


@pytest.mark.parametrize(
    ("rules", "steps", "expected"), [c[1:] for c in ALL_KINDS], ids=[c[0] for c in ALL_KINDS]
)
def test_rule_kinds(rules: str, steps: list[Step], expected: list[tuple[float, str, str, str]]) -> None:
    assert brief(run(engine_for(rules), steps)) == expected


# (case id, matcher text inside `when`, event data, whether a temperature event with these fields raises)
MATCHER_CASES = [
    ("eq-scalar", "zone: main", {}, True),
    ("eq-scalar-miss", "zone: north", {}, False),
    ("ne", "zone: {ne: north}", {}, True),
    ("ne-same", "zone: {ne: main}", {}, False),
    ("in", "zone: {in: [north, main]}", {}, True),
    ("in-miss", "zone: {in: [north, south]}", {}, False),
    ("gte-equal", "value: {gte: 50}", {}, True),
    ("gt-equal", "value: {gt: 50}", {}, False),
    ("lte-equal", "value: {lte: 50}", {}, True),
    ("lt-equal", "value: {lt: 50}", {}, False),
    ("range-inside", "value: {gt: 40, lt: 60}", {}, True),
    ("range-outside", "value: {gt: 40, lt: 45}", {}, False),
    ("value-eq-int-float", "value: 50", {}, True),
    ("value-in", "value: {in: [10, 50]}", {}, True),
    ("source", "source: sensor-1", {}, True),
    ("site", "site: {in: [riverside]}", {}, True),
    ("data-eq", "data.level: high", {"level": "high"}, True),
    ("data-eq-miss", "data.level: high", {"level": "low"}, False),
    ("data-missing", "data.level: high", {}, False),
    ("data-ne-missing-never-matches", "data.level: {ne: high}", {}, False),
    ("data-number", "data.count: {gte: 3}", {"count": 3}, True),
    ("data-number-as-text", "data.count: {gte: 3}", {"count": "3"}, False),
    ("data-bool", "data.armed: true", {"armed": True}, True),
    ("data-bool-is-not-one", "data.armed: true", {"armed": 1}, False),
    ("data-one-is-not-bool", "data.count: 1", {"count": True}, False),
    ("data-in-mixed", "data.code: {in: [a, 7]}", {"code": 7}, True),
    ("data-in-unhashable", "data.code: {in: [a, b]}", {"code": ["a"]}, False),
    ("data-gt-on-bool", "data.count: {gt: 0}", {"count": True}, False),
]


@pytest.mark.parametrize(
    ("matcher", "data", "raises"), [c[1:] for c in MATCHER_CASES], ids=[c[0] for c in MATCHER_CASES]
)
def test_matchers(matcher: str, data: dict[str, object], raises: bool) -> None:
    engine = engine_for(rule(f"{{type: temperature, {matcher}}}", group_by="[]"))
    event = ev(0, "temperature", 50.0, data=data)
    assert len(run(engine, [At(event)])) == (1 if raises else 0)


def test_value_matcher_on_event_without_value_never_matches() -> None:
    engine = engine_for(rule("{type: temperature, value: {ne: 3}}", group_by="[]"))
    assert run(engine, [At(ev(0, "temperature", None))]) == []


# Full decisions: every field the alarm service and the console rely on.
def test_held_decision_in_full() -> None:
    engine = engine_for(DENSITY)
    decisions = run(engine, [At(ev(0, value=4.6, id="a")), At(ev(60, value=4.7, id="b"))])
    assert decisions == [
        Decision(
            kind=DecisionKind.RAISE,
            reason=Reason.HELD,
            rule="r",
            alarm_type="x.y",
            severity=Severity.HIGH,
            key="r|zone=main",
            group={"zone": "main"},
            time=60,
            event_ids=("b",),
            zone="main",
            site="riverside",
            value=4.7,
            explanation="crowd.density value 4.7 > 4.0 held for 60s in zone=main",
        )
    ]


def test_held_tick_decision_names_the_newest_true_sample() -> None:
    decisions = run(
        engine_for(DENSITY), [At(ev(0, value=4.6, id="a")), At(ev(30, value=5.2, id="b")), Tick(60)]
    )
    assert [(d.event_ids, d.value, d.time, d.explanation) for d in decisions] == [
        (("b",), 5.2, 60, "crowd.density value 5.2 > 4.0 held for 60s in zone=main")
    ]


EXPLANATIONS = [
    (
        "held-cleared-by-clear",
        DENSITY_CLEAR,
        [d(0), d(60), d(70, value=2.5), Tick(190)],
        "cleared: crowd.density value 2.5 < 3.0 held for 120s in zone=main",
    ),
    (
        "held-cleared-without-clear",
        DENSITY,
        [d(0), d(60), d(61, value=3.9)],
        "cleared: crowd.density value 3.9 no longer > 4.0 in zone=main",
    ),
    ("threshold", HOT, [t(0, 61)], "temperature value 61 > 55"),
    (
        "threshold-cleared-now",
        PANIC,
        [At(ev(0, "panic.pressed")), At(ev(1, "panic.reset"))],
        "cleared: panic.reset in source=sensor-1",
    ),
    ("count", MEDICAL, [m(0), m(1), m(2)], "report.medical count 3 >= 3 within 10m in zone=main"),
    (
        "count-cleared",
        MEDICAL,
        [m(0), m(1), m(2), Tick(601)],
        "report.medical count 2 no longer >= 3 within 10m in zone=main",
    ),
    (
        "all",
        FIRE,
        [s(0), hot(10, 61.5)],
        "all of smoke.detected, temperature value 61.5 > 55 within 2m in zone=main; 1 source (sensor-1): Possible",
    ),
    ("absent", SILENT, [hb(0), Tick(300)], "no heartbeat for 5m in source=cam-1"),
    ("returned", SILENT, [hb(0), Tick(300), hb(301)], "heartbeat seen again in source=cam-1"),
]


@pytest.mark.parametrize(
    ("rules", "steps", "text"), [c[1:] for c in EXPLANATIONS], ids=[c[0] for c in EXPLANATIONS]
)
def test_explanations(rules: str, steps: list[Step], text: str) -> None:
    assert run(engine_for(rules), steps)[-1].explanation == text


def test_count_decision_carries_window_event_ids_capped_at_20() -> None:
    steps: list[Step] = [m(float(i)) for i in range(25)]
    last = run(engine_for(MEDICAL), steps)[-1]
    assert last.event_ids == tuple(f"m{i}" for i in range(5, 25))
    assert (last.value, last.zone, last.site) == (None, "main", "riverside")


def test_count_decision_ids_are_in_event_time_order() -> None:
    decisions = run(engine_for(MEDICAL), [m(100), m(300), m(200, now=310)])
    assert decisions[-1].event_ids == ("m100", "m200", "m300")


def test_all_decision_names_one_event_per_part() -> None:
    decisions = run(
        engine_for(FIRE), [At(ev(0, "smoke.detected", id="s1")), At(ev(5, "temperature", 60, id="t1"))]
    )
    assert [(x.event_ids, x.value) for x in decisions] == [(("s1", "t1"), 60)]


def test_absent_decisions_carry_the_last_event() -> None:
    decisions = run(
        engine_for(SILENT), [At(ev(0, "heartbeat", source="cam-1", zone="gate", id="h1")), Tick(300)]
    )
    assert [(x.event_ids, x.value, x.zone, x.group) for x in decisions] == [
        (("h1",), None, "gate", {"source": "cam-1"})
    ]


GROUP_CASES = [
    ("zone-from-group", "[zone]", {"zone": "north"}, "r|zone=north", {"zone": "north"}, "north"),
    ("zone-from-event", "[source]", {"zone": "north"}, "r|source=sensor-1", {"source": "sensor-1"}, "north"),
    ("missing-group-value", "[zone]", {"zone": None}, "r|zone=", {"zone": ""}, None),
    (
        "two-keys-in-order",
        "[zone, source]",
        {"zone": "n"},
        "r|zone=n,source=sensor-1",
        {"zone": "n", "source": "sensor-1"},
        "n",
    ),
    ("data-key", "[data.gate]", {"gate": 3}, "r|data.gate=3", {"data.gate": "3"}, "main"),
    ("type-key", "[type]", {}, "r|type=temperature", {"type": "temperature"}, "main"),
    ("ungrouped", "[]", {}, "r|", {}, "main"),
]


@pytest.mark.parametrize(
    ("group_by", "fields", "key", "group", "zone"),
    [c[1:] for c in GROUP_CASES],
    ids=[c[0] for c in GROUP_CASES],
)
def test_grouping(
    group_by: str, fields: dict[str, object], key: str, group: dict[str, str], zone: str | None
) -> None:
    engine = engine_for(rule("{type: temperature}", group_by=group_by))
    zone_value = fields.get("zone", "main")
    assert zone_value is None or isinstance(zone_value, str)
    data = {k: v for k, v in fields.items() if k != "zone"}
    (decision,) = run(engine, [At(ev(0, "temperature", 1.0, zone=zone_value, data=data))])
    assert (decision.key, decision.group, decision.zone) == (key, group, zone)


def test_site_comes_from_group_when_grouped_by_site() -> None:
    engine = engine_for(rule("{type: temperature}", group_by="[site]"))
    (decision,) = run(engine, [At(ev(0, "temperature", site="east"))])
    assert (decision.key, decision.site, decision.zone) == ("r|site=east", "east", "main")


def test_decisions_of_one_event_follow_rule_order() -> None:
    text = (
        "rules:\n"
        "  - {id: b-second, alarm: x.y, severity: low, when: {type: t}}\n"
        "  - {id: a-first, alarm: x.y, severity: low, when: {type: t, zone: main}}\n"
        "  - {id: c-third, alarm: x.y, severity: low, when: {type: t}}\n"
    )
    assert [x.rule for x in run(engine_for(text), [At(ev(0, "t"))])] == ["b-second", "a-first", "c-third"]


def test_tick_decisions_follow_rule_order_then_key() -> None:
    silent = "alarm: x.y, severity: low, when: {absent: {type: hb, for: 1s}}, group_by: [source]"
    text = f"rules:\n  - {{id: z-last, {silent}}}\n  - {{id: a-first, {silent}}}\n"
    steps: list[Step] = [At(ev(0, "hb", source=s)) for s in ("c", "a", "b")] + [Tick(5)]
    assert [(x.rule, x.key) for x in run(engine_for(text), steps)] == [
        ("z-last", "z-last|source=a"),
        ("z-last", "z-last|source=b"),
        ("z-last", "z-last|source=c"),
        ("a-first", "a-first|source=a"),
        ("a-first", "a-first|source=b"),
        ("a-first", "a-first|source=c"),
    ]


def test_state_forgets_groups_with_nothing_to_remember() -> None:
    engine = engine_for(
        DENSITY
        + rule("{type: report.medical, count: {gte: 3, within: 10m}}")[len("rules:\n") :].replace(
            "id: r", "id: m"
        )
    )
    state = engine.new_state()
    run(engine, [d(0), d(10, value=1.0), m(20), Tick(1000)], state)
    assert state.groups == {}
