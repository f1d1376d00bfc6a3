"""Reading the store for a report, on the in-memory store (the same contract as SQLite and PostgreSQL): finding
the period's first audit record by bisection, and alarm rows in pages or one by one."""

from __future__ import annotations

import pytest

from fairwatch.model import Alarm, AlarmState, AuditEntry, Severity
from fairwatch.report.facts import alarm_rows, audit_from, first_seq_at
from fairwatch.store import MemoryStore

T = 1_783_000_800.0


def alarm(key: str, seen: float, severity: Severity = Severity.HIGH) -> Alarm:
    return Alarm(
        0, key, "r", "fire.smoke", severity, AlarmState.OPEN, True, "s", "z", {"zone": "z"}, 1, seen, seen
    )


@pytest.mark.parametrize(
    ("when", "seq"),
    [(T - 1, 1), (T, 1), (T + 0.5, 2), (T + 10, 11), (T + 19, 20), (T + 19.5, 21), (T + 100, 21)],
    ids=["before", "first", "between", "middle", "last", "after-last", "far-after"],
)
def test_first_seq_at_finds_the_first_record_at_or_after_a_time(when: float, seq: int) -> None:
    store = MemoryStore()
    with store.transaction() as txn:
        for i in range(20):
            txn.append_audit(AuditEntry(T + i, "t", "x", f"o:{i}"))
    assert first_seq_at(store, when) == seq


def test_first_seq_at_on_an_empty_log() -> None:
    assert first_seq_at(MemoryStore(), T) == 1


@pytest.mark.parametrize(
    ("one_by_one", "page_size"), [(100, 3), (0, 3), (0, 100)], ids=["single", "pages", "one-page"]
)
def test_alarm_rows_in_pages_or_one_by_one_find_the_same_rows(one_by_one: int, page_size: int) -> None:
    store = MemoryStore()
    with store.transaction() as txn:
        ids = [txn.insert_alarm(alarm(f"k{i}", T + i, list(Severity)[i % 5])) for i in range(8)]
        old = txn.insert_alarm(alarm("old", T - 7200))  # last seen before `since`: found one by one
    wanted = {*ids[1:], old, 999}  # 999: no such alarm (purged)
    rows = alarm_rows(store, wanted, T, one_by_one=one_by_one, page_size=page_size)
    assert sorted(rows) == sorted({*ids[1:], old})
    assert all(rows[i].id == i for i in rows)


@pytest.mark.parametrize("recent", [1000, 5], ids=["one-query", "bisection"])
def test_the_audit_log_is_read_from_the_first_record_at_or_after_a_time(recent: int) -> None:
    store = MemoryStore()
    with store.transaction() as txn:
        for i in range(20):
            txn.append_audit(AuditEntry(T + i, "t", "x", f"o:{i}"))
    assert [r.seq for r in audit_from(store, T + 12.5, recent)] == list(range(14, 21))
