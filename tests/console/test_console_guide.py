"""What the alarm page tells an operator to do: the rule's description, the type's description and the action
card of the alarm's type (console/guide.py, pure); and who may act on several alarms at once (console/auth.py)."""

from __future__ import annotations

from typing import Any

import pytest

from fairwatch.console import auth, guide
from fairwatch.incidents.cards import parse_cards
from fairwatch.model import Alarm, AlarmState, Role, Severity
from fairwatch.rules.loader import parse_rules
from fairwatch.taxonomy import Taxonomy

RULES = parse_rules("""
rules:
  - id: crush
    alarm: crowd_safety.crush_risk
    severity: critical
    description: Density above 4 persons/m²; hold inflow.
    when: {type: crowd.density, value: {gt: 4.0}}
  - id: fire
    alarm: fire.suspected
    severity: critical
    when: {type: smoke.detected}
""")
CARDS = parse_cards("""
cards:
  - type: crowd_safety.crush_risk
    tasks: [Hold inflow at the gates, Open relief exits]
""")
TAXONOMY = Taxonomy.builtin()


def alarm(rule: str, kind: str) -> Alarm:
    return Alarm(1, "k", rule, kind, Severity.CRITICAL, AlarmState.OPEN, True, None, None, {}, 1, 0.0, 0.0)


# (case id, rule, type, what the page gets)
CASES: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "rule-and-card",
        "crush",
        "crowd_safety.crush_risk",
        {
            "rule": {"id": "crush", "description": "Density above 4 persons/m²; hold inflow."},
            "card": ["Hold inflow at the gates", "Open relief exits"],
        },
    ),
    (
        "rule-without-description-no-card",
        "fire",
        "fire.suspected",
        {"rule": {"id": "fire", "description": None}, "card": []},
    ),
    ("rule-no-longer-in-force", "gone", "fire.suspected", {"rule": None, "card": []}),
]


@pytest.mark.parametrize(("rule", "kind", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_guide_of_an_alarm(rule: str, kind: str, expected: dict[str, Any]) -> None:
    found = guide.guide(alarm(rule, kind), RULES, TAXONOMY, CARDS)
    assert {k: found[k] for k in ("rule", "card")} == expected
    described = TAXONOMY.get(kind)
    assert described is not None
    assert found["type"] == {"id": kind, "name": described.name(), "description": described.description}


def test_an_unknown_type_has_no_name_or_description() -> None:
    found = guide.guide(alarm("fire", "fire.not_in_the_catalogue"), RULES, TAXONOMY, CARDS)
    assert found["type"] == {"id": "fire.not_in_the_catalogue", "name": None, "description": None}


def test_type_names_cover_the_catalogue() -> None:
    names = guide.type_names(TAXONOMY)
    assert names["violence.panic_alarm"] == TAXONOMY.get("violence.panic_alarm").name()  # type: ignore[union-attr]
    assert len(names) == len(TAXONOMY.all())


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.VIEWER, []),
        (Role.OPERATOR, ["ack", "incident"]),  # operators acknowledge several alarms at once
        (Role.SUPERVISOR, ["ack", "incident", "resolve"]),
        (Role.ADMIN, ["ack", "incident", "resolve"]),
    ],
    ids=["viewer", "operator", "supervisor", "admin"],
)
def test_bulk_actions_by_role(role: Role, expected: list[str]) -> None:
    assert auth.bulk_for(role) == expected


def test_bulk_actions_need_no_more_than_the_api_admits_for_one() -> None:
    """A batch is the single action repeated: its role is at least the API's for one alarm (or one incident)."""
    assert auth.BULK_ROLES["ack"].allows(auth.ACTION_ROLES["ack"])
    assert auth.BULK_ROLES["resolve"].allows(auth.ACTION_ROLES["resolve"])
