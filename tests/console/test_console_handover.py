"""The shift handover view, built from alarms and audit records (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from fairwatch.console import handover
from fairwatch.errors import InvalidInput
from fairwatch.model import Alarm, AlarmState, AuditRecord, Severity

NOW = 1_783_000_000.0


def alarm(alarm_id: int, severity: Severity, state: AlarmState, first_seen: float) -> Alarm:
    return Alarm(
        alarm_id, f"k{alarm_id}", "r", "fire.suspected", severity, state, True, None, "food-court", {}, 1,
        first_seen, first_seen,
    )  # fmt: skip


def record(
    seq: int, ago_min: float, action: str, obj: str, details: dict[str, Any], actor: str = "olga"
) -> AuditRecord:
    return AuditRecord(seq, NOW - ago_min * 60, actor, action, obj, details, "0" * 64, "0" * 64)


def test_build_lists_open_changes_and_notes_newest_first() -> None:
    alarms = [
        alarm(1, Severity.HIGH, AlarmState.OPEN, NOW - 600),
        alarm(2, Severity.CRITICAL, AlarmState.ACKNOWLEDGED, NOW - 60),
        alarm(3, Severity.CRITICAL, AlarmState.OPEN, NOW - 300),
    ]
    records = [
        record(1, 600, "alarm-raised", "alarm:9", {"severity": "low", "type": "x.y"}),  # before the window
        record(
            2, 50, "alarm-raised", "alarm:3", {"severity": "critical", "type": "fire.suspected"}, "rule:fire"
        ),
        record(3, 40, "alarm-acknowledged", "alarm:2", {}),
        record(4, 30, "alarm-commented", "alarm:2", {"text": "team 3 on the way"}),
        record(5, 20, "user-signed-in", "user:olga", {}),
        record(6, 10, "alarm-resolved", "alarm:4", {"disposition": "false_alarm", "note": "steam"}),
        record(7, 5, "handover-noted", "handover", {"text": "barrier 4 replaced"}),
    ]
    view = handover.build(alarms, records, NOW, 8)
    assert [a.id for a in view.open] == [3, 2, 1]  # most severe, then oldest
    assert [(c.alarm_id, c.summary) for c in view.changes] == [
        (4, "resolved as false alarm"),
        (2, "commented"),
        (2, "acknowledged"),
        (3, "raised: critical fire.suspected"),
    ]
    assert [(n.kind, n.alarm_id, n.text) for n in view.notes] == [
        ("handover", None, "barrier 4 replaced"),
        ("resolution", 4, "steam"),
        ("comment", 2, "team 3 on the way"),
    ]
    assert view.totals == {
        "open": 3,
        "unacknowledged": 2,
        "raised": 1,
        "acknowledged": 1,
        "resolved": 1,
        "reopened": 0,
    }


def test_open_alarms_are_ordered_as_the_queue_orders_them() -> None:
    """Most severe, then unacknowledged before acknowledged (a 2-second-old unacknowledged critical above a
    6-minute-old acknowledged one), then oldest."""
    alarms = [
        alarm(1, Severity.CRITICAL, AlarmState.ACKNOWLEDGED, NOW - 360),
        alarm(2, Severity.CRITICAL, AlarmState.OPEN, NOW - 2),
        alarm(3, Severity.HIGH, AlarmState.OPEN, NOW - 900),
        alarm(4, Severity.CRITICAL, AlarmState.OPEN, NOW - 30),
    ]
    assert [a.id for a in handover.build(alarms, [], NOW, 8).open] == [4, 2, 1, 3]


@pytest.mark.parametrize(
    ("action", "details", "expected"),
    [
        ("alarm-raised", {"severity": "high", "type": "t.x", "explanation": "why"}, "raised: high t.x (why)"),
        ("alarm-escalated", {"from": "high", "to": "critical"}, "escalated from high to critical"),
        ("alarm-assigned", {"to": "olga"}, "assigned to olga"),
        ("alarm-reopened", {"reason": "came back"}, "reopened: came back"),
        ("alarm-cleared", {}, "condition cleared"),
        ("alarm-reactivated", {}, "condition active again"),
        ("alarm-acknowledged", {}, "acknowledged"),
    ],
    ids=["raised", "escalated", "assigned", "reopened", "cleared", "reactivated", "acknowledged"],
)
def test_summarise(action: str, details: dict[str, Any], expected: str) -> None:
    assert handover.summarise(action, details) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, 8), ("", 8), ("1", 1), ("72", 72), ("0", None), ("73", None), ("-1", None), ("eight", None)],
    ids=["absent", "empty", "one", "max", "zero", "too-many", "negative", "word"],
)
def test_parse_hours(raw: str | None, expected: int | None) -> None:
    if expected is None:
        with pytest.raises(InvalidInput) as bad:
            handover.parse_hours(raw)
        assert str(bad.value) == f"invalid query: hours: must be a whole number from 1 to 72 (got {raw!r})"
    else:
        assert handover.parse_hours(raw) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  keep an eye on gate 3 ", "keep an eye on gate 3"),
        ("   ", "invalid handover note: text: required field is missing (got '')"),
        (
            "x" * 4001,
            "invalid handover note: text: must be at most 4000 characters (got '" + "x" * 50 + "…')",
        ),
    ],
    ids=["trimmed", "blank", "too-long"],
)
def test_check_note(text: str, expected: str) -> None:
    if expected.startswith("invalid"):
        with pytest.raises(InvalidInput) as bad:
            handover.check_note(text)
        assert str(bad.value) == expected
    else:
        assert handover.check_note(text) == expected
