"""`rate`: the least-squares slope of matching events' values over a window, compared with a threshold."""

from __future__ import annotations

import pytest

from fairwatch.rules.rate import slope
from tests.rules.helpers import SITE, At, Step, Tick, brief, engine_for, ev, rule, run

R, C = "raise", "clear"
THRESHOLD, CLEARED = "threshold", "cleared"
MAIN = "r|zone=main"

# (case id, times, values, slope per second or None)
SLOPE_CASES = [
    ("none", [], [], None),
    ("one-reading", [0.0], [1.0], None),
    ("two-readings", [0.0, 60.0], [1.0, 1.6], 0.01),
    ("collinear", [0.0, 30.0, 60.0], [1.0, 1.5, 2.0], 1 / 60),
    ("least-squares-through-noise", [0.0, 10.0, 20.0], [0.0, 2.0, 1.0], 0.05),
    ("falling", [0.0, 10.0], [5.0, 3.0], -0.2),
    ("same-time-only", [5.0, 5.0], [1.0, 2.0], None),
    ("same-time-pair-and-one-more", [0.0, 0.0, 10.0], [1.0, 3.0, 4.0], 0.2),
    ("epoch-times", [1_780_000_000.0, 1_780_000_060.0], [1.0, 2.2], 0.02),
]


@pytest.mark.parametrize(
    ("times", "values", "expected"), [c[1:] for c in SLOPE_CASES], ids=[c[0] for c in SLOPE_CASES]
)
def test_slope(times: list[float], values: list[float], expected: float | None) -> None:
    got = slope(times, values)
    assert got == expected if expected is None or got is None else got == pytest.approx(expected, abs=1e-12)


RISING = rule("{type: crowd.density, rate: {per: 1m, gt: 0.5, window: 2m}}")
RISING_GTE = rule("{type: crowd.density, rate: {per: 1m, gte: 0.5, window: 2m}}")
FALLING = rule("{type: crowd.density, value: {gte: 1}, rate: {per: 1m, lt: -1, window: 2m}}")
DENSITY_RATE = rule("{density: {zone: field, rate: {per: 1m, gt: 0.5, window: 2m}}}")


def d(t: float, value: float | None, now: float | None = None, zone: str = "main") -> At:
    """A crowd.density reading."""
    return At(ev(t, "crowd.density", value, zone=zone, id=f"d{t:g}"), now)


Case = tuple[str, str, list[Step], list[tuple[float, str, str, str]]]

RATE_CASES: list[Case] = [
    ("above", RISING, [d(0, 1.0), d(60, 1.6)], [(60, R, THRESHOLD, MAIN)]),
    ("exactly-at-gt-is-false", RISING, [d(0, 1.0), d(60, 1.5)], []),
    ("exactly-at-gte-is-true", RISING_GTE, [d(0, 1.0), d(60, 1.5)], [(60, R, THRESHOLD, MAIN)]),
    ("one-reading-is-no-rate", RISING, [d(0, 9.0)], []),
    ("repeat-while-above", RISING, [d(0, 1.0), d(60, 1.6), d(90, 2.0)], [(60, R, THRESHOLD, MAIN), (90, R, THRESHOLD, MAIN)]),
    ("levelling-off-clears", RISING, [d(0, 1.0), d(60, 1.6), d(120, 1.6)],
     [(60, R, THRESHOLD, MAIN), (120, C, CLEARED, MAIN)]),
    ("window-edge-is-inside", RISING, [d(0, 1.0), d(120, 2.1)], [(120, R, THRESHOLD, MAIN)]),
    ("just-outside-the-window", RISING, [d(0, 1.0), d(120.5, 2.1)], []),
    ("tick-clears-when-the-window-empties", RISING, [d(0, 1.0), d(60, 1.6), Tick(120), Tick(120.5)],
     [(60, R, THRESHOLD, MAIN), (120.5, C, CLEARED, MAIN)]),
    ("tick-keeps-a-rate-that-still-holds", RISING, [d(0, 1.0), d(60, 1.6), d(90, 2.0), Tick(120.5), Tick(150)],
     [(60, R, THRESHOLD, MAIN), (90, R, THRESHOLD, MAIN)]),
    ("late-reading-beyond-window-ignored", RISING, [d(100, 1.0), d(0, 0.0, now=130)], []),
    ("out-of-order-within-window-counts", RISING, [d(0, 1.0), d(60, 1.2), d(30, 1.1, now=61), d(90, 2.5)],
     [(90, R, THRESHOLD, MAIN)]),
    ("reading-without-value-ignored", RISING, [d(0, 1.0), d(30, None), d(60, 1.6)], [(60, R, THRESHOLD, MAIN)]),
    ("falling-below-negative-threshold", FALLING, [d(0, 5.0), d(60, 3.9)], [(60, R, THRESHOLD, MAIN)]),
    ("falling-exactly-at-lt-is-false", FALLING, [d(0, 5.0), d(60, 4.0)], []),
    ("matchers-filter-readings", FALLING, [d(0, 5.0), d(30, 0.5), d(60, 3.9)], [(60, R, THRESHOLD, MAIN)]),
    ("groups-separate", RISING, [d(0, 1.0, zone="a"), d(60, 9.0, zone="b"), d(61, 1.1, zone="a")], []),
    ("derived-density", DENSITY_RATE,
     [At(ev(0, "crowd.count", 1000, zone="field")), At(ev(60, "crowd.count", 1600, zone="field"))],
     [(60, R, THRESHOLD, "r|zone=field")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rules", "steps", "expected"), [c[1:] for c in RATE_CASES], ids=[c[0] for c in RATE_CASES]
)
def test_rate(rules: str, steps: list[Step], expected: list[tuple[float, str, str, str]]) -> None:
    assert brief(run(engine_for(rules, SITE), steps)) == expected


EXPLANATIONS = [
    ("rising", RISING, [d(0, 1.0), d(60, 1.6), d(120, 2.4)],
     "crowd.density rate +0.7 per 1m > 0.5 (3 readings within 2m: 1 to 2.4) in zone=main"),
    ("levelled-off", RISING, [d(0, 1.0), d(60, 1.6), d(120, 1.6)],
     "crowd.density rate +0.3 per 1m no longer > 0.5 (3 readings within 2m: 1 to 1.6) in zone=main"),
    ("window-emptied", RISING, [d(0, 1.0), d(60, 1.6), Tick(120.5)],
     "crowd.density rate unknown per 1m no longer > 0.5 (1 reading within 2m: 1.6 to 1.6) in zone=main"),
    ("falling", FALLING, [d(0, 5.0), d(60, 3.9)],
     "crowd.density rate -1.1 per 1m < -1 (2 readings within 2m: 5 to 3.9) in zone=main"),
    ("density", DENSITY_RATE,
     [At(ev(0, "crowd.count", 1000, zone="field")), At(ev(60, "crowd.count", 1600, zone="field"))],
     "density of field rate +0.6 per 1m > 0.5 (2 readings within 2m: 1 to 1.6) in zone=field"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rules", "steps", "text"), [c[1:] for c in EXPLANATIONS], ids=[c[0] for c in EXPLANATIONS]
)
def test_explanations(rules: str, steps: list[Step], text: str) -> None:
    assert run(engine_for(rules, SITE), steps)[-1].explanation == text


def test_decisions_carry_the_readings_in_the_window() -> None:
    decisions = run(engine_for(RISING), [d(0, 1.0), d(60, 1.6), d(30, 1.2, now=61), Tick(150), Tick(200)])
    assert [(x.kind.value, x.event_ids, x.value) for x in decisions] == [
        ("raise", ("d0", "d60"), 1.6),
        ("raise", ("d0", "d30", "d60"), 1.2),
        ("clear", ("d60",), 1.6),
    ]


def test_state_forgets_an_empty_window() -> None:
    engine = engine_for(RISING)
    state = engine.new_state()
    run(engine, [d(0, 1.0), d(60, 1.6), Tick(200)], state)
    assert state.groups == {}
