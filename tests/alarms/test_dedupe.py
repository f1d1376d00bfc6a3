"""The pure dedup decision `dedupe.apply`: every case of (open alarm, decision) as a table, then that the alarm
service and a replay keep the same alarm for the same decisions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from fairwatch.alarms import AlarmService
from fairwatch.alarms.dedupe import MAX_SOURCES, Change, apply
from fairwatch.model import Alarm, AlarmState, Decision, DecisionKind, Reason, Severity
from fairwatch.replay import AlarmBook
from fairwatch.store import SqlStore, sqlite_url

NOW = 1_783_000_000.0
RAISE, CLEAR = DecisionKind.RAISE, DecisionKind.CLEAR
HIGH, CRITICAL, LOW = Severity.HIGH, Severity.CRITICAL, Severity.LOW


def decision(kind: DecisionKind = RAISE, severity: Severity = HIGH, at: float = 10.0, **kw: Any) -> Decision:
    """A decision of rule `crush` for key `crush|zone=main`, `at` seconds after NOW - 100."""
    reason = Reason.THRESHOLD if kind is RAISE else Reason.CLEARED
    fields: dict[str, Any] = {"zone": "main", "site": "riverside", "explanation": f"{kind.value} at {at:g}"}
    fields |= kw
    return Decision(
        kind, reason, "crush", "crowd_safety.crush_risk", severity, "crush|zone=main", {"zone": "main"},
        NOW - 100 + at, ("e1",), **fields,
    )  # fmt: skip


def alarm(**kw: Any) -> Alarm:
    """The open alarm of key `crush|zone=main`: raised at +0, seen 3 times until +5, version 4."""
    fields: dict[str, Any] = {
        "id": 7, "key": "crush|zone=main", "rule": "crush", "type": "crowd_safety.crush_risk",
        "severity": HIGH, "state": AlarmState.OPEN, "active": True, "site": "riverside", "zone": "main",
        "group": {"zone": "main"}, "count": 3, "first_seen": NOW - 100, "last_seen": NOW - 95,
        "updated": NOW - 95, "version": 4, "explanation": "before", "sources": ["cam-1"],
    }  # fmt: skip
    return Alarm(**(fields | kw))


# What every change to an existing alarm does besides its own fields: one more version, updated now.
TOUCHED = {"updated": NOW, "version": 5}
COUNTED = TOUCHED | {"count": 4, "last_seen": NOW - 90, "explanation": "raise at 10"}

# (id, open alarm, decision, expected change, the fields that differ afterwards (None: no alarm))
CASES: list[tuple[str, Alarm | None, Decision, Change, dict[str, Any] | None]] = [
    # No open alarm for the key: a RAISE opens one (id 0 until the store gives it one), count 1, active.
    (
        "raise-opens",
        None,
        decision(),
        Change.RAISED,
        {
            "id": 0,
            "count": 1,
            "first_seen": NOW - 90,
            "last_seen": NOW - 90,
            "updated": NOW,
            "version": 1,
            "explanation": "raise at 10",
            "sources": [],
        },
    ),
    # The active alarm, same severity: counted, nothing else changes.
    ("raise-repeats", alarm(), decision(), Change.REPEATED, COUNTED),
    # A less severe RAISE counts but never lowers the severity.
    ("raise-less-severe-keeps-severity", alarm(), decision(severity=LOW), Change.REPEATED, COUNTED),
    # A more severe RAISE escalates the alarm.
    (
        "raise-more-severe-escalates",
        alarm(),
        decision(severity=CRITICAL),
        Change.ESCALATED,
        COUNTED | {"severity": CRITICAL},
    ),
    # The alarm was cleared (inactive): a RAISE makes it active again, counted.
    ("raise-reactivates", alarm(active=False), decision(), Change.REACTIVATED, COUNTED | {"active": True}),
    # Inactive and more severe: both at once (two audit records).
    (
        "raise-reactivates-and-escalates",
        alarm(active=False),
        decision(severity=CRITICAL),
        Change.REACTIVATED_ESCALATED,
        COUNTED | {"active": True, "severity": CRITICAL},
    ),
    # People's handling state is theirs: a repeat on an acknowledged alarm leaves it acknowledged.
    (
        "raise-on-acknowledged-stays-acknowledged",
        alarm(state=AlarmState.ACKNOWLEDGED),
        decision(),
        Change.REPEATED,
        COUNTED,
    ),
    # A late RAISE (decision time before last_seen) counts but does not move last_seen back.
    (
        "late-raise-keeps-last-seen",
        alarm(),
        decision(at=1),
        Change.REPEATED,
        COUNTED | {"last_seen": NOW - 95, "explanation": "raise at 1"},
    ),
    # A RAISE without an explanation keeps the alarm's.
    (
        "raise-without-explanation-keeps-it",
        alarm(),
        decision(explanation=""),
        Change.REPEATED,
        COUNTED | {"explanation": "before"},
    ),
    # Corroborating sources are added once each.
    (
        "raise-adds-confirming-sources",
        alarm(),
        decision(sources=("cam-1", "cam-2")),
        Change.REPEATED,
        COUNTED | {"sources": ["cam-1", "cam-2"]},
    ),
    # ... up to MAX_SOURCES.
    (
        "sources-capped",
        alarm(sources=[f"s{i}" for i in range(MAX_SOURCES)]),
        decision(sources=("new",)),
        Change.REPEATED,
        COUNTED,
    ),
    # CLEAR on the active alarm: inactive, still open (people resolve alarms, rules do not), not counted.
    ("clear-deactivates", alarm(), decision(CLEAR), Change.CLEARED, TOUCHED | {"active": False}),
    # CLEAR on an inactive alarm: nothing happens (not even a new version).
    ("clear-inactive-is-nothing", alarm(active=False), decision(CLEAR), Change.NONE, {}),
    # CLEAR with no open alarm: nothing happens, still no alarm.
    ("clear-without-alarm-is-nothing", None, decision(CLEAR), Change.NONE, None),
]


@pytest.mark.parametrize(
    ("existing", "given", "change", "differs"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_apply(
    existing: Alarm | None, given: Decision, change: Change, differs: dict[str, Any] | None
) -> None:
    before = None if existing is None else replace(existing)
    after, got = apply(existing, given, NOW)
    assert got is change
    if differs is None:
        assert after is None
        return
    assert after is not None
    base = existing if existing is not None else alarm(severity=given.severity)
    assert after == replace(base, **differs)
    assert existing == before  # the alarm passed in is a value: never changed


def test_the_triggering_source_is_kept_first() -> None:
    after, _ = apply(None, decision(sources=("cam-2",)), NOW, source="sensor-9")
    assert after is not None and after.sources == ["sensor-9", "cam-2"]


# (change, its name on the stream, the audit records written, whether it is an annunciation)
NAMES = [
    (Change.NONE, "none", (), False),
    (Change.RAISED, "raised", ("alarm-raised",), True),
    (Change.REPEATED, "repeated", (), False),
    (Change.ESCALATED, "escalated", ("alarm-escalated",), False),
    (Change.REACTIVATED, "reactivated", ("alarm-reactivated",), True),
    (Change.REACTIVATED_ESCALATED, "reactivated", ("alarm-escalated", "alarm-reactivated"), True),
    (Change.CLEARED, "cleared", ("alarm-cleared",), False),
]


@pytest.mark.parametrize(("change", "kind", "audit", "activates"), NAMES, ids=[c[0].value for c in NAMES])
def test_change_names_its_stream_kind_and_audit_records(
    change: Change, kind: str, audit: tuple[str, ...], activates: bool
) -> None:
    assert (change.kind, change.audit, change.activates) == (kind, audit, activates)


def test_every_change_is_in_the_table() -> None:
    assert {c[0] for c in NAMES} == set(Change)
    assert {c[3] for c in CASES} == set(Change)


# -- the alarm service and a replay keep the same alarm ------------------------------------------------------
@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    opened = SqlStore(sqlite_url(tmp_path))
    yield opened
    opened.close()


SEQUENCE = [
    decision(at=0),
    decision(at=1, sources=("cam-2",)),
    decision(CLEAR, at=2),
    decision(CLEAR, at=3),
    decision(severity=CRITICAL, at=4),
    decision(severity=LOW, at=5, explanation=""),
    decision(CLEAR, at=6),
]


def test_the_service_and_a_replay_keep_the_same_alarm(store: SqlStore) -> None:
    service, book = AlarmService(store), AlarmBook()
    for i, d in enumerate(SEQUENCE):
        with store.transaction() as txn:
            service.apply_decisions(txn, [(d, None)], NOW + i)
        service.commit_staged()
        book.apply([d], NOW + i)
    [stored] = store.open_alarms()
    assert book.alarms == {stored.key: replace(stored, id=0)}
    assert (stored.count, stored.severity, stored.active, stored.version) == (4, CRITICAL, False, 6)
    assert stored.sources == ["cam-2"]
    assert [(a.raised_at - NOW + 100, a.cleared_at) for a in book.activations] == [
        (0, NOW - 98),
        (4, NOW - 94),
    ]
    actions = [r.action for r in store.history(f"alarm:{stored.id}")]
    assert actions == [
        "alarm-raised",
        "alarm-cleared",
        "alarm-escalated",
        "alarm-reactivated",
        "alarm-cleared",
    ]
