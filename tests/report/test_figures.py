"""The report's pure figures on hand-made facts: edge cases the scripted shift does not reach."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

import pytest

from fairwatch.errors import InvalidInput
from fairwatch.replay import Activation
from fairwatch.report import Facts, IncidentFacts, Period, build, parse_period, plots
from fairwatch.report.figures import NO_ZONE, Distribution, hazard_class
from fairwatch.store import Incident
from fairwatch.taxonomy import Taxonomy

H = 1_783_000_800.0  # 2026-07-02T14:00:00Z
TAXONOMY = Taxonomy.builtin()


def incident(number: str, reported: float, dispatched: float | None) -> IncidentFacts:
    i = Incident(number, "site", "t", "fire.smoke", "high", 2, "open", reported, reported, "op", reported,
                 reported, first_dispatch_at=dispatched)  # fmt: skip
    return IncidentFacts(i, ())


def facts(period: Period, acts: list[Activation], incidents: Sequence[IncidentFacts] = ()) -> Facts:
    return Facts(period, tuple(acts), (), {a.key: None for a in acts}, tuple(incidents))


@pytest.mark.parametrize(
    ("delays", "median", "p90"),
    [
        ([10.0 * k for k in range(1, 11)], 55.0, 90.0),  # nearest rank: a value that occurred
        ([5.0], 5.0, 5.0),
        ([30.0, 10.0, 20.0], 20.0, 30.0),
    ],
    ids=["ten", "one", "unsorted"],
)
def test_distribution_median_and_nearest_rank_p90(delays: list[float], median: float, p90: float) -> None:
    d = Distribution.of(delays)
    assert (d.median_s, d.p90_s, d.max_s) == (median, p90, max(delays))


def test_a_dispatch_recorded_before_the_report_is_left_out_and_counted() -> None:
    period = Period(H, H + 3600)
    report = build(facts(period, [], [incident("a", H + 60, H + 30), incident("b", H + 60, H + 180),
                                      incident("c", H + 60, None)]), TAXONOMY)  # fmt: skip
    assert report.dispatch.delays == (120.0,)
    assert report.dispatch.excluded == 1


def test_every_clock_hour_the_period_touches_is_a_row_and_classes_come_from_the_taxonomy() -> None:
    period = Period(H + 1800, H + 2 * 3600 + 600)  # 14:30 to 16:10
    acts = [
        Activation("alarm:1", "r", "fire.smoke", {}, H + 1900),
        Activation("alarm:2", "r", "site_extra.thing", {}, H + 3 * 3600 - 700),  # a type the catalogue lacks
    ]
    report = build(facts(period, acts), TAXONOMY)
    assert [h.start for h in report.hours] == [H, H + 3600, H + 7200]
    assert [h.by_class for h in report.hours] == [{"fire": 1}, {}, {"site_extra": 1}]
    assert report.classes == ("fire", "site_extra")
    assert report.top_zones == ((NO_ZONE, 2),)
    assert hazard_class(TAXONOMY, "medical.cardiac") == "medical"


def test_a_period_names_each_bad_parameter_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_period("nope", None, "")
    problems = [(p.field, p.value) for p in caught.value.problems]
    assert problems == [("from", "nope"), ("to", None), ("site", "")]


def test_names_in_a_plot_are_escaped_by_matplotlib() -> None:
    drawn = plots.top("zones", [('gate <b> & "c"', 3)], "Top zones")
    root = ET.fromstring(drawn)  # well-formed: the markup characters are escaped
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert 'gate <b> & "c"' in texts
    assert "<b>" not in drawn
