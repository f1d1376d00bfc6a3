"""The notification log and CAP record in both SQL stores: idempotent enqueue, due order, retention."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from fairwatch.model import Alarm, AlarmState, Severity
from fairwatch.store import SqlStore, sqlite_url
from fairwatch.store.base import CapMessage, Notification
from tests.notify.conftest import T0


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        s = SqlStore(sqlite_url(tmp_path))
    else:
        s = SqlStore(request.getfixturevalue("postgres_url"))
        with s.engine.begin() as conn:
            for table in ("alarms", "notifications", "cap_messages"):
                conn.execute(text(f"TRUNCATE {table} RESTART IDENTITY"))
    yield s
    s.close()


def job(alarm_id: int, version: int, receiver: str = "ops", **changes: object) -> Notification:
    base = Notification(
        f"{alarm_id}:{version}:{receiver}", alarm_id, version, receiver, "webhook", "raised", {"n": 1}
    )
    values: dict[str, object] = {"next_attempt": T0, "created": T0, "updated": T0, **changes}
    return replace(base, **values)  # type: ignore[arg-type]


def test_enqueueing_the_same_key_twice_stores_it_once(store: SqlStore) -> None:
    with store.transaction() as txn:
        assert txn.insert_notifications([job(1, 1), job(1, 1), job(1, 2)]) == 2
    with store.transaction() as txn:
        assert txn.insert_notifications([job(1, 2), job(1, 3)]) == 1
    assert [n.key for n in store.notifications_for(1)] == ["1:1:ops", "1:2:ops", "1:3:ops"]


def test_only_the_oldest_pending_job_of_an_alarm_and_receiver_is_due(store: SqlStore) -> None:
    with store.transaction() as txn:
        txn.insert_notifications([job(1, 1, next_attempt=T0 + 60), job(1, 2), job(1, 2, "duty"), job(2, 1)])
    assert [n.key for n in store.due_notifications(T0)] == ["1:2:duty", "2:1:ops"]
    assert [n.key for n in store.due_notifications(T0 + 60)] == ["1:2:duty", "2:1:ops", "1:1:ops"]
    first = store.notifications_for(1)[0]
    with store.transaction() as txn:
        txn.update_notifications([replace(first, status="delivered", attempts=1, updated=T0 + 60)])
    assert [n.key for n in store.due_notifications(T0 + 60)] == ["1:2:ops", "1:2:duty", "2:1:ops"]
    assert store.last_notified([1, 2, 3]) == {(1, "ops"): T0, (1, "duty"): T0, (2, "ops"): T0}


def cap_message(alarm_id: int, sent: float) -> CapMessage:
    return CapMessage(
        f"m-{alarm_id}-{sent}", alarm_id, 1, "Alert", sent, "high", None, None, True, "<alert/>"
    )


def test_retention_deletes_finished_jobs_and_messages_of_purged_alarms(store: SqlStore) -> None:
    alarm = Alarm(0, "k", "r", "fire.smoke", Severity.HIGH, AlarmState.OPEN, True, None, None, {}, 1, T0, T0)
    with store.transaction() as txn:
        kept_alarm = txn.insert_alarm(alarm)
        txn.insert_notifications(
            [
                job(kept_alarm, 1, status="delivered"),  # old, finished: deleted
                job(kept_alarm, 2, status="failed"),  # old, finished: deleted
                job(kept_alarm, 3),  # old but pending: kept
                job(kept_alarm, 4, status="delivered", updated=T0 + 100),  # recent: kept
            ]
        )
        assert txn.insert_cap_message(cap_message(kept_alarm, T0)) is True
        assert txn.insert_cap_message(cap_message(kept_alarm, T0)) is False  # identifiers are unique
        txn.insert_cap_message(cap_message(999, T0))  # its alarm was purged: deleted
        txn.insert_cap_message(cap_message(998, T0 + 100))  # purged alarm, but recent: kept
    with store.transaction() as txn:
        assert txn.delete_notifications_before(T0 + 50) == 3
    assert [n.version for n in store.notifications_for(kept_alarm)] == [3, 4]
    assert sorted(m.alarm_id for m in store.recent_cap_messages()) == [kept_alarm, 998]
