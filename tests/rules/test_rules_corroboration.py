"""Corroboration: `any`/`all` across sources and types within a window and radius, with CAP certainty."""

from __future__ import annotations

import pytest

from fairwatch.model import Decision, DecisionKind, Reason, Severity
from fairwatch.rules.corroboration import certainty
from tests.rules.helpers import At, Step, Tick, brief, engine_for, ev, rule, run

R, C = "raise", "clear"
CORRELATED, CLEARED = "correlated", "cleared"
KEY = "r|"


def s(t: float, source: str, at: tuple[float, float] | None = None, now: float | None = None) -> At:
    """A smoke detection by `source`."""
    return At(ev(t, "smoke.detected", source=source, at=at, id=f"s{t:g}/{source}"), now)


def f(t: float, source: str, at: tuple[float, float] | None = None) -> At:
    """A fire report by a person (`source` is the reporter)."""
    return At(ev(t, "report.fire", source=source, at=at, id=f"f{t:g}/{source}"))


def hot(t: float, source: str, at: tuple[float, float] | None = None, value: float = 60.0) -> At:
    """A temperature reading."""
    return At(ev(t, "temperature", value, source=source, at=at, id=f"t{t:g}/{source}"))


PARTS = "[{type: smoke.detected}, {type: report.fire, trusted: true}]"
ANY2 = rule(f"{{any: {PARTS}, within: 2m, min_sources: 2}}", group_by="[]")
ANY1 = rule(f"{{any: {PARTS}, within: 2m}}", group_by="[]")
ANY_CLEAR = rule(f"{{any: {PARTS}, within: 2m}}", "clear: {type: fire.out}", group_by="[]")
NEAR = rule("{any: [{type: smoke.detected}], within: 2m, radius: 10, min_sources: 2}", group_by="[]")
FIRE = "[{type: smoke.detected}, {type: temperature, value: {gt: 55}}]"
FIRE_NEAR = rule(f"{{all: {FIRE}, within: 2m, radius: 5, min_sources: 2}}", group_by="[]")
FIRE_ZONE = rule(f"{{all: {FIRE}, within: 2m}}")

Case = tuple[str, str, list[Step], list[tuple[float, str, str, str]]]

CASES: list[Case] = [
    ("one-source-is-not-enough", ANY2, [s(0, "a"), s(10, "a")], []),
    ("two-sources", ANY2, [s(0, "a"), s(10, "b")], [(10, R, CORRELATED, KEY)]),
    ("two-types-two-sources", ANY2, [s(0, "a"), f(10, "steward")], [(10, R, CORRELATED, KEY)]),
    ("window-edge-is-inside", ANY2, [s(0, "a"), s(120, "b")], [(120, R, CORRELATED, KEY)]),
    ("just-outside-the-window", ANY2, [s(0, "a"), s(120.5, "b")], []),
    # min_sources counts sources; a trusted report raises certainty, not the count.
    ("trusted-report-alone-is-one-source", ANY2, [f(0, "steward")], []),
    ("trusted-report-alone-min-one", ANY1, [f(0, "steward")], [(0, R, CORRELATED, KEY)]),
    ("late-event-beyond-window-ignored", ANY2, [s(100, "a"), s(0, "b", now=130)], []),
    ("late-event-within-window-counts", ANY2, [s(100, "a"), s(50, "b", now=130)], [(130, R, CORRELATED, KEY)]),
    ("repeat-for-each-confirmation", ANY2, [s(0, "a"), s(10, "b"), s(20, "c")],
     [(10, R, CORRELATED, KEY), (20, R, CORRELATED, KEY)]),
    ("expired-sources-no-longer-confirm", ANY2, [s(0, "a"), s(10, "b"), s(200, "c"), s(210, "a")],
     [(10, R, CORRELATED, KEY), (210, R, CORRELATED, KEY)]),
    ("an-older-event-of-a-known-source-adds-nothing", ANY2, [s(10, "a"), s(5, "a", now=11)], []),
    ("clear", ANY_CLEAR, [s(0, "a"), At(ev(5, "fire.out", source="a")), Tick(100)],
     [(0, R, CORRELATED, KEY), (5, C, CLEARED, KEY)]),
    ("radius-exactly", NEAR, [s(0, "a", (0, 0)), s(10, "b", (6, 8))], [(10, R, CORRELATED, KEY)]),
    ("beyond-radius", NEAR, [s(0, "a", (0, 0)), s(10, "b", (6, 8.01))], []),
    ("radius-needs-a-location", NEAR, [s(0, "a"), s(10, "b", (0, 0))], []),
    ("radius-deciding-event-without-location", NEAR, [s(0, "a", (0, 0)), s(10, "b")], []),
    ("radius-around-the-deciding-event", NEAR, [s(0, "a", (0, 0)), s(5, "b", (20, 0)), s(10, "c", (10, 0))],
     [(10, R, CORRELATED, KEY)]),
    ("all-two-sources-near", FIRE_NEAR, [s(0, "a", (0, 0)), hot(10, "b", (3, 4))], [(10, R, CORRELATED, KEY)]),
    ("all-one-source-is-not-enough", FIRE_NEAR, [s(0, "a", (0, 0)), hot(10, "a", (0, 0))], []),
    ("all-far-apart", FIRE_NEAR, [s(0, "a", (0, 0)), hot(10, "b", (30, 0))], []),
    ("all-part-matchers-apply", FIRE_NEAR, [s(0, "a", (0, 0)), hot(10, "b", (3, 4), value=50)], []),
]  # fmt: skip


@pytest.mark.parametrize(("rules", "steps", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_corroboration(rules: str, steps: list[Step], expected: list[tuple[float, str, str, str]]) -> None:
    assert brief(run(engine_for(rules), steps)) == expected


# (case id, independent sources, trusted report among them, CAP certainty)
CERTAINTY = [
    ("one", 1, False, "Possible"),
    ("two", 2, False, "Likely"),
    ("three", 3, False, "Observed"),
    ("many", 12, False, "Observed"),
    ("one-trusted", 1, True, "Observed"),
    ("two-trusted", 2, True, "Observed"),
]


@pytest.mark.parametrize(("n", "trusted", "level"), [c[1:] for c in CERTAINTY], ids=[c[0] for c in CERTAINTY])
def test_certainty(n: int, trusted: bool, level: str) -> None:
    assert certainty(n, trusted) == level


# (case id, rules, steps, (sources, certainty, event ids, explanation) of the last decision)
DECISIONS = [
    ("any-likely", ANY2, [s(0, "a"), s(10, "b")],
     (("a", "b"), "Likely", ("s10/b", "s0/a"),
      "any of smoke.detected, report.fire: smoke.detected within 2m; 2 sources (a, b): Likely")),
    ("any-observed-by-trusted", ANY2, [s(0, "a"), f(20, "steward")],
     (("a", "steward"), "Observed", ("f20/steward", "s0/a"),
      "any of smoke.detected, report.fire: report.fire within 2m; 2 sources (a, steward, trusted report): Observed")),
    ("any-observed-by-three", ANY2, [s(0, "c"), s(1, "a"), s(2, "b")],
     (("a", "b", "c"), "Observed", ("s2/b", "s1/a", "s0/c"),
      "any of smoke.detected, report.fire: smoke.detected within 2m; 3 sources (a, b, c): Observed")),
    ("one-part-radius", NEAR, [s(0, "a", (0, 0)), s(10, "b", (6, 8))],
     (("a", "b"), "Likely", ("s10/b", "s0/a"), "smoke.detected within 2m and 10 m; 2 sources (a, b): Likely")),
    ("all-near", FIRE_NEAR, [s(0, "a", (0, 0)), hot(10, "b", (3, 4))],
     (("a", "b"), "Likely", ("s0/a", "t10/b"),
      "all of smoke.detected, temperature value 60.0 > 55 within 2m and 5 m; 2 sources (a, b): Likely")),
    ("all-names-every-confirming-event", FIRE_ZONE, [s(0, "a"), s(5, "c"), hot(10, "b")],
     (("a", "b", "c"), "Observed", ("s5/c", "t10/b", "s0/a"),
      "all of smoke.detected, temperature value 60.0 > 55 within 2m in zone=main; 3 sources (a, b, c): Observed")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rules", "steps", "want"), [c[1:] for c in DECISIONS], ids=[c[0] for c in DECISIONS]
)
def test_decisions_name_the_confirming_sources(
    rules: str, steps: list[Step], want: tuple[tuple[str, ...], str, tuple[str, ...], str]
) -> None:
    last = run(engine_for(rules), steps)[-1]
    assert (last.sources, last.certainty, last.event_ids, last.explanation) == want


def test_many_sources_are_named_up_to_ten() -> None:
    steps: list[Step] = [s(float(i), f"cam-{i:02d}") for i in range(12)]
    last = run(engine_for(ANY2), steps)[-1]
    assert len(last.sources) == 12
    names = ", ".join(f"cam-{i:02d}" for i in range(10))
    assert last.explanation.endswith(f"; 12 sources ({names}, +2 more): Observed")


def test_any_decision_in_full() -> None:
    assert run(engine_for(ANY2), [s(0, "a"), s(10, "b")]) == [
        Decision(
            kind=DecisionKind.RAISE,
            reason=Reason.CORRELATED,
            rule="r",
            alarm_type="x.y",
            severity=Severity.HIGH,
            key="r|",
            group={},
            time=10,
            event_ids=("s10/b", "s0/a"),
            zone="main",
            site="riverside",
            value=None,
            explanation="any of smoke.detected, report.fire: smoke.detected within 2m; 2 sources (a, b): Likely",
            sources=("a", "b"),
            certainty="Likely",
        )
    ]


def test_state_forgets_events_that_left_the_window() -> None:
    engine = engine_for(ANY2)
    state = engine.new_state()
    run(engine, [s(0, "a"), s(10, "a"), Tick(130.5)], state)
    assert state.groups == {}
