"""Pure parts of the run of show: the schedule decisions and the preview of what a switch changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fairwatch.phases import Phase, RunOfShow, diff_rules, due_phase, initial_phase, next_phase, rule_summary
from fairwatch.rules import parse_rules

EMPTY = parse_rules("rules: []\n")


def phase(phase_id: str, starts: float | None = None) -> Phase:
    return Phase(phase_id, f"{phase_id}.yaml", Path(f"/{phase_id}.yaml"), EMPTY, "0" * 64, starts, None)


# a and c are switched to by hand; b starts at 100, d at 200
PLAN = RunOfShow((phase("a"), phase("b", 100.0), phase("c"), phase("d", 200.0)))


@pytest.mark.parametrize(
    ("now", "expected"),
    [(50.0, ("a", False)), (100.0, ("b", True)), (150.0, ("b", True)), (250.0, ("d", True))],
    ids=["before-any-start-first-phase", "at-a-start", "between-starts", "after-the-last-start"],
)
def test_initial_phase(now: float, expected: tuple[str, bool]) -> None:
    found, scheduled = initial_phase(PLAN, now)
    assert (found.id, scheduled) == expected


@pytest.mark.parametrize(
    ("since", "now", "expected"),
    [
        (0.0, 99.999, None),
        (0.0, 100.0, "b"),
        (99.5, 100.0, "b"),
        (0.0, 250.0, "d"),
        (100.0, 150.0, None),
        (120.0, 199.0, None),
        (150.0, 200.0, "d"),
        (200.0, 10_000.0, None),
    ],
    ids=[
        "just-before-start",
        "exactly-at-start",
        "crossed-since-last-switch",
        "two-crossed-latest-wins",
        "switched-at-the-start-itself",
        "hand-switch-after-a-start-overrides-it",
        "next-start",
        "nothing-after-the-last",
    ],
)
def test_due_phase(since: float, now: float, expected: str | None) -> None:
    found = due_phase(PLAN, since, now)
    assert (found.id if found else None) == expected


@pytest.mark.parametrize(
    ("current", "now", "expected"),
    [("a", 50.0, "b"), ("b", 50.0, "d"), ("a", 100.0, "d"), ("d", 150.0, None), ("a", 250.0, None)],
    ids=[
        "first-start",
        "own-start-is-no-switch",
        "a-start-at-now-is-past",
        "only-own-start-left",
        "all-past",
    ],
)
def test_next_phase(current: str, now: float, expected: str | None) -> None:
    found = next_phase(PLAN, current, now)
    assert (found.id if found else None) == expected


OLD = parse_rules(
    """rules:
  - id: hot
    alarm: fire.high_temperature
    severity: high
    when: {type: temperature, value: {gt: 55}}
    group_by: [zone]
  - id: busy
    alarm: crowd_safety.high_density
    severity: medium
    when: {type: crowd.flow, zone: gate-1, value: {gte: 100}, count: {gte: 3, within: 5m}}
    group_by: [zone]
  - id: gone
    alarm: technical.device_offline
    severity: low
    when: {absent: {type: heartbeat, for: 5m}}
    group_by: [source]
"""
)
NEW = parse_rules(
    """rules:
  - id: busy
    alarm: crowd_safety.high_density
    severity: high
    when: {type: crowd.flow, zone: gate-1, value: {gte: 80}, count: {gte: 3, within: 10m}}
    group_by: [zone]
  - id: hot
    alarm: fire.high_temperature
    severity: high
    when: {type: temperature, value: {gt: 55}}
    group_by: [zone]
  - id: crush
    alarm: crowd_safety.crush_risk
    severity: critical
    when: {type: crowd.density, value: {gt: 4.5}, for: 60s}
    group_by: [zone]
    clear: {value: {lt: 3}}
"""
)


def test_preview_names_added_removed_and_changed_rules() -> None:
    diff = diff_rules(OLD, NEW)
    assert [r["id"] for r in diff["added"]] == ["crush"]
    assert [r["id"] for r in diff["removed"]] == ["gone"]
    assert diff["unchanged"] == ["hot"]  # moving a rule in the file is no change
    assert diff["changed"] == [
        {
            "id": "busy",
            "changes": [
                {"field": "severity", "old": "medium", "new": "high"},
                {
                    "field": "condition",
                    "old": "crowd.flow: zone = gate-1, value >= 100",
                    "new": "crowd.flow: zone = gate-1, value >= 80",
                },
                {"field": "thresholds.within", "old": "5m", "new": "10m"},
            ],
        }
    ]


@pytest.mark.parametrize(
    ("rule_id", "expected"),
    [
        (
            "crush",
            {
                "id": "crush",
                "alarm": "crowd_safety.crush_risk",
                "severity": "critical",
                "kind": "held",
                "condition": "crowd.density: value > 4.5",
                "thresholds": {"for": "60s", "clear": "crowd.density: value < 3"},
                "group_by": ["zone"],
                "description": "",
            },
        ),
        (
            "busy",
            {
                "id": "busy",
                "alarm": "crowd_safety.high_density",
                "severity": "high",
                "kind": "count",
                "condition": "crowd.flow: zone = gate-1, value >= 80",
                "thresholds": {"within": "10m", "count": ">= 3"},
                "group_by": ["zone"],
                "description": "",
            },
        ),
    ],
    ids=["held-with-clear", "count"],
)
def test_rule_summary(rule_id: str, expected: dict[str, Any]) -> None:
    rule = NEW.get(rule_id)
    assert rule is not None
    assert rule_summary(rule) == expected
