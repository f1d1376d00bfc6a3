"""The store methods transparency and retention add, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text

from fairwatch.audit import CompactRange, record_leaf, sign_checkpoint
from fairwatch.model import Alarm, AlarmState, AuditEntry, Event, Severity
from fairwatch.store import SqlStore, StoredCheckpoint, sqlite_url

TABLES = ("events", "alarms", "occurrences", "audit", "tokens", "users", "kv", "checkpoints")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        s = SqlStore(sqlite_url(tmp_path))
    else:
        s = SqlStore(request.getfixturevalue("postgres_url"))
        with s.engine.begin() as conn:
            for table in TABLES:
                conn.execute(text(f"TRUNCATE {table} RESTART IDENTITY"))
    yield s
    s.close()


def write_audit(store: SqlStore, n: int) -> None:
    with store.transaction() as txn:
        for i in range(n):
            txn.append_audit(AuditEntry(float(i), "t", "test-note", f"n/{i}", {"i": i}))


def test_checkpoints_round_trip_and_the_latest_wins(store: SqlStore) -> None:
    assert store.latest_checkpoint() is None
    write_audit(store, 5)
    log = list(store.iter_audit())
    key = Ed25519PrivateKey.generate()
    for size in (3, 5):
        compact = CompactRange()
        for record in log[:size]:
            compact.append(record_leaf(record))
        cp = sign_checkpoint(key, size, compact.root(), 100.0 + size)
        with store.transaction() as txn:
            txn.insert_checkpoint(StoredCheckpoint(cp, log[size - 1].hash, tuple(compact.hashes)))
    latest = store.latest_checkpoint()
    assert latest is not None
    assert latest.checkpoint.size == 5 and latest.last_hash == log[4].hash
    assert CompactRange.resume(5, latest.compact).root().hex() == latest.checkpoint.root


def test_audit_hashes_pages_through_a_range(store: SqlStore) -> None:
    write_audit(store, 30)
    log = list(store.iter_audit())
    assert list(store.audit_hashes(1, 30)) == [(r.seq, r.hash) for r in log]
    assert list(store.audit_hashes(11, 13)) == [(r.seq, r.hash) for r in log[10:13]]
    assert list(store.audit_hashes(31, 40)) == []


def test_purge_counts_match_what_a_purge_deletes(store: SqlStore) -> None:
    events = [Event(f"e{i}", "s", "t.x", float(i), float(i)) for i in range(10)]
    resolved = Alarm(
        0,
        "k1",
        "r",
        "fire.smoke",
        Severity.HIGH,
        AlarmState.RESOLVED,
        False,
        None,
        None,
        {},
        1,
        1.0,
        1.0,
        updated=5.0,
    )
    still_open = Alarm(
        0,
        "k2",
        "r",
        "fire.smoke",
        Severity.HIGH,
        AlarmState.OPEN,
        True,
        None,
        None,
        {},
        1,
        1.0,
        1.0,
        updated=1.0,
    )
    with store.transaction() as txn:
        txn.insert_events(events)
        txn.insert_alarm(resolved)
        txn.insert_alarm(still_open)
    assert (store.count_events_before(4.0), store.count_resolved_alarms_before(6.0)) == (4, 1)
    assert store.count_resolved_alarms_before(5.0) == 0
    with store.transaction() as txn:
        assert (txn.delete_events_before(4.0), txn.delete_resolved_alarms_before(6.0)) == (4, 1)
    assert store.count_events() == 6 and [a.key for a in store.open_alarms()] == ["k2"]


def test_a_healthy_database_passes_the_integrity_check(store: SqlStore) -> None:
    write_audit(store, 3)
    assert store.integrity_problems() == []
