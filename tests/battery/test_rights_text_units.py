"""RS-13 decision by decision: explanations are a closed template of declared measurements and ids, alarm
groups and changes carry no event text or operator narrative. The end-to-end check is test_rights_text.py."""

from __future__ import annotations

from typing import Any

import pytest

from fairwatch.errors import ConfigError
from fairwatch.model import Event
from fairwatch.notify.jobs import public_details
from fairwatch.rules import Engine, parse_rules
from fairwatch.rules.explain import WITHHELD, public_group, public_id

TEXT = "practitioners spotted, names: Li Wei"


def decide(rules: str, **fields: Any) -> str:
    """The explanation of the first decision `rules` take on one temperature event."""
    try:
        ruleset = parse_rules(rules)
    except ConfigError:
        pytest.skip("the rule compiler no longer accepts this rule (RS-11): nothing to explain")
    base: dict[str, Any] = {
        "id": "e1",
        "source": "temp-1",
        "type": "temperature",
        "time": 100.0,
        "received": 100.0,
    }
    base |= {"zone": "food-court", "value": 61.0, "data": {}}
    event = Event(**(base | fields))
    engine = Engine(ruleset)
    [decision] = engine.evaluate(engine.new_state(), event, 100.0)
    return decision.explanation


RULE = """
rules:
  - id: hot
    alarm: fire.high_temperature
    severity: high
    when: {{type: temperature, value: {{gt: 55}}{extra}}}
    group_by: [{group}]
"""


# (case id, rule matcher, group_by, event fields, expected explanation)
CASES = [
    ("declared-measurement", "", "zone", {}, "temperature value 61.0 > 55 in zone=food-court"),
    ("zone-text-withheld", "", "zone", {"zone": TEXT}, f"temperature value 61.0 > 55 in zone={WITHHELD}"),
    (
        "source-text-withheld",
        "",
        "zone, source",
        {"source": "steward Li Wei"},
        f"temperature value 61.0 > 55 in zone=food-court, source={WITHHELD}",
    ),
    (
        "data-group-withheld",
        "",
        "zone, data.note",
        {"data": {"note": TEXT}},
        f"temperature value 61.0 > 55 in zone=food-court, data.note={WITHHELD}",
    ),
    ("type-shown", "", "zone, type", {}, "temperature value 61.0 > 55 in zone=food-court, type=temperature"),
    (
        "data-ne-withheld",
        ", data.note: {ne: drill}",
        "zone",
        {"data": {"note": TEXT}},
        f"temperature value 61.0 > 55, data.note {WITHHELD} != drill in zone=food-court",
    ),
    (
        "closed-enum-shown",
        ", data.kind: {in: [air, surface]}",
        "zone",
        {"data": {"kind": "air"}},
        "temperature value 61.0 > 55, data.kind air in [air, surface] in zone=food-court",
    ),
]


@pytest.mark.parametrize(
    ("extra", "group", "fields", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_explanations_show_declared_fields_only(
    extra: str, group: str, fields: dict[str, Any], expected: str
) -> None:
    assert decide(RULE.format(extra=extra, group=group), **fields) == expected


# (case id, value, public id)
IDS = [
    ("zone-id", "food-court", "food-court"),
    ("han-id", "B区", "B区"),
    ("sentence", TEXT, None),
    ("bidi", "gate\u202e3", None),
    ("forbidden-word", "protest-cam", None),
    ("too-long", "x" * 65, None),
    ("empty", "", None),
]


@pytest.mark.parametrize(("value", "expected"), [c[1:] for c in IDS], ids=[c[0] for c in IDS])
def test_public_id(value: str, expected: str | None) -> None:
    assert public_id(value) == expected


def test_public_group_keeps_zone_site_source_only() -> None:
    group = {"zone": "main", "data.note": TEXT, "source": TEXT, "type": "temperature"}
    assert public_group(group) == {"zone": "main", "source": WITHHELD}


# (case id, change kind, details, published)
DETAILS = [
    ("comment", "commented", {"text": TEXT}, {}),
    ("resolve-note", "resolved", {"disposition": "real", "note": TEXT}, {"disposition": "real"}),
    ("reopen-reason", "reopened", {"reason": TEXT}, {}),
    ("cleared-reason-is-an-enum", "cleared", {"reason": "cleared"}, {"reason": "cleared"}),
    ("assigned", "assigned", {"to": "olga"}, {"to": "olga"}),
]


@pytest.mark.parametrize(
    ("kind", "details", "published"), [c[1:] for c in DETAILS], ids=[c[0] for c in DETAILS]
)
def test_operator_narrative_is_never_published(
    kind: str, details: dict[str, Any], published: dict[str, Any]
) -> None:
    assert public_details(kind, details) == published
