"""SQLite: reads never wait for the writer's open transaction (a read inside a write must not deadlock)."""

from __future__ import annotations

from pathlib import Path

from fairwatch.model import AuditEntry, Event
from fairwatch.store import SqlStore, sqlite_url


def test_a_read_during_a_write_transaction_sees_committed_data_without_waiting(tmp_path: Path) -> None:
    store = SqlStore(sqlite_url(tmp_path))
    with store.transaction() as txn:
        txn.insert_events([Event("e1", "s", "t.x", 1.0, 1.0)])
    with store.transaction() as txn:
        txn.insert_events([Event("e2", "s", "t.x", 2.0, 2.0)])
        txn.append_audit(AuditEntry(1.0, "x", "thing-done", "o"))
        # On the reader connection, while the writer holds its lock: a reader that tried to take the write lock
        # would wait out busy_timeout and fail with "database is locked".
        seen = store.count_events()
    assert seen == 1  # the uncommitted event is not visible
    assert store.count_events() == 2
    store.close()
