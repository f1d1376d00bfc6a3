"""The store contract: the same behaviour from SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from fairwatch.audit import verify_chain
from fairwatch.errors import Unstorable
from fairwatch.model import Alarm, AlarmState, AuditEntry, Event, Location, Role, Severity
from fairwatch.store import AlarmQuery, Occurrence, SqlStore, User, sqlite_url


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        s = SqlStore(sqlite_url(tmp_path))
    else:
        url = request.getfixturevalue("postgres_url")
        s = SqlStore(url)
        with s.engine.begin() as conn:
            for table in ("events", "alarms", "occurrences", "audit", "tokens", "users", "kv"):
                conn.execute(text(f"TRUNCATE {table} RESTART IDENTITY"))
    yield s
    s.close()


def ev(i: int, source: str = "s1", **kw: object) -> Event:
    base: dict[str, object] = {
        "id": f"e{i}",
        "source": source,
        "type": "t.x",
        "time": 100.0 + i,
        "received": 200.0,
    }
    base.update(kw)
    return Event(**base)  # type: ignore[arg-type]


def alarm(key: str, severity: Severity = Severity.HIGH, first: float = 10.0, **kw: object) -> Alarm:
    a = Alarm(
        0,
        key,
        "r1",
        "fire.suspected",
        severity,
        AlarmState.OPEN,
        True,
        "site",
        "zone-a",
        {"zone": "zone-a"},
        1,
        first,
        first,
        updated=first,
    )
    for k, v in kw.items():
        setattr(a, k, v)
    return a


def test_events_round_trip_and_dedup_keys(store: SqlStore) -> None:
    full = ev(1, site="riverside", zone="z", value=4.5, location=Location(x=1.0, y=2.0), data={"door": "B"})
    with store.transaction() as txn:
        txn.insert_events([full, ev(2), ev(3, source="s2")])
    with store.transaction() as txn:
        found = txn.existing_event_keys([("e1", "s1"), ("e3", "s1"), ("e3", "s2"), ("e9", "s1")])
    assert found == {("e1", "s1"), ("e3", "s2")}
    assert store.events_by_ids(["e1"]) == [full]
    assert [e.id for e in store.iter_events(since=102.0)] == ["e2", "e3"]
    assert store.count_events() == 3


def test_same_id_same_source_is_refused_by_the_database(store: SqlStore) -> None:
    with store.transaction() as txn:
        txn.insert_events([ev(1)])
    with pytest.raises(Unstorable), store.transaction() as txn:
        txn.insert_events([ev(1)])
    assert store.count_events() == 1


def test_a_failed_transaction_leaves_nothing(store: SqlStore) -> None:
    with pytest.raises(RuntimeError), store.transaction() as txn:
        txn.insert_events([ev(1)])
        txn.append_audit(AuditEntry(1.0, "x", "thing-done", "o"))
        raise RuntimeError("boom")
    assert store.count_events() == 0
    assert store.audit_head() is None


def test_only_one_open_alarm_per_key(store: SqlStore) -> None:
    with store.transaction() as txn:
        first = txn.insert_alarm(alarm("k"))
    with pytest.raises(Unstorable), store.transaction() as txn:
        txn.insert_alarm(alarm("k"))
    resolved = store.get_alarm(first)
    assert resolved is not None
    resolved.state = AlarmState.RESOLVED
    with store.transaction() as txn:
        txn.update_alarm(resolved)
        second = txn.insert_alarm(alarm("k"))
    assert [a.id for a in store.open_alarms()] == [second]


def test_alarm_listing_order_filters_and_cursor(store: SqlStore) -> None:
    with store.transaction() as txn:
        ids = {
            name: txn.insert_alarm(alarm(name, sev, first))
            for name, sev, first in [
                ("low-old", Severity.LOW, 1.0),
                ("crit-old", Severity.CRITICAL, 2.0),
                ("crit-new", Severity.CRITICAL, 5.0),
                ("high", Severity.HIGH, 3.0),
            ]
        }
    order = [a.key for a in store.list_alarms(AlarmQuery())]
    assert order == ["crit-new", "crit-old", "high", "low-old"]
    page1 = store.list_alarms(AlarmQuery(limit=2))
    last = page1[-1]
    page2 = store.list_alarms(AlarmQuery(limit=2, after=(last.severity.rank, -last.first_seen, last.id)))
    assert [a.key for a in page1 + page2] == order
    assert [a.key for a in store.list_alarms(AlarmQuery(severities=("critical",)))] == [
        "crit-new",
        "crit-old",
    ]
    assert [a.key for a in store.list_alarms(AlarmQuery(since=3.0))] == ["crit-new", "high"]
    got = store.get_alarm(ids["high"])
    assert got is not None and got.group == {"zone": "zone-a"} and got.state is AlarmState.OPEN


def test_occurrences_in_order(store: SqlStore) -> None:
    with store.transaction() as txn:
        aid = txn.insert_alarm(alarm("k"))
        txn.insert_occurrences(
            [Occurrence(aid, float(i), "raise", "threshold", 1.0, (f"e{i}",), "x") for i in range(3)]
        )
    assert [o.event_ids for o in store.occurrences(aid)] == [("e0",), ("e1",), ("e2",)]


def test_audit_chain_across_transactions_verifies(store: SqlStore) -> None:
    for i in range(5):
        with store.transaction() as txn:
            txn.append_audit(AuditEntry(float(i), "op", "alarm-acknowledged", f"alarm:{i % 2}", {"n": i}))
            txn.append_audit(AuditEntry(float(i), "op", "alarm-commented", f"alarm:{i % 2}", {"text": "é"}))
    records = list(store.iter_audit())
    assert [r.seq for r in records] == list(range(1, 11))
    assert verify_chain(records).ok
    assert [r.seq for r in store.history("alarm:1")] == [3, 4, 7, 8]
    head = store.audit_head()
    assert head is not None and head.seq == 10


def test_tokens_users_and_kv(store: SqlStore) -> None:
    with store.transaction() as txn:
        txn.insert_token("gate", Role.DEVICE, "h" * 64, 1.0)
        txn.upsert_user(User("ana", Role.OPERATOR, "hash1", 1.0))
        txn.upsert_user(User("ana", Role.SUPERVISOR, "hash2", 1.0))
        txn.set_kv("a", "1")
        txn.set_kv("a", "2")
    assert store.token_role("h" * 64) is Role.DEVICE
    assert store.token_role("x" * 64) is None
    user = store.get_user("ana")
    assert user is not None and (user.role, user.password_hash) == (Role.SUPERVISOR, "hash2")
    assert store.get_kv("a") == "2" and store.get_kv("b") is None


def test_purge(store: SqlStore) -> None:
    with store.transaction() as txn:
        txn.insert_events([ev(1), ev(50)])
        old = alarm("k", state=AlarmState.RESOLVED, updated=5.0)
        txn.insert_alarm(old)
        txn.insert_alarm(alarm("k2", updated=5.0))
    with store.transaction() as txn:
        assert txn.delete_events_before(120.0) == 1
        assert txn.delete_resolved_alarms_before(6.0) == 1
    assert [a.key for a in store.list_alarms(AlarmQuery())] == ["k2"]
