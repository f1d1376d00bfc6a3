"""The store contract: the same behaviour from memory, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fairwatch.audit import verify_chain
from fairwatch.errors import Duplicate, StaleWrite
from fairwatch.model import AlarmState, AuditEntry, Location, Role, Severity
from fairwatch.store import AlarmQuery, Occurrence, Store, User
from tests.store.conftest import Opener, alarm, ev


def test_events_round_trip_and_dedup_keys(store: Store) -> None:
    full = ev(1, site="riverside", zone="z", value=4.5, location=Location(x=1.0, y=2.0), data={"door": "B"})
    with store.transaction() as txn:
        txn.insert_events([full, ev(2), ev(3, source="s2")])
    with store.transaction() as txn:
        found = txn.existing_event_keys([("e1", "s1"), ("e3", "s1"), ("e3", "s2"), ("e9", "s1")])
    assert found == {("e1", "s1"), ("e3", "s2")}
    assert store.events_by_ids(["e1"]) == [full]
    assert [e.id for e in store.iter_events(since=102.0)] == ["e2", "e3"]
    assert store.count_events() == 3


def test_dedup_keys_of_a_batch_larger_than_one_statement_can_bind(store: Store) -> None:
    """SQLite binds at most 999 parameters per statement: the look-up goes in chunks, and finds every key."""
    with store.transaction() as txn:
        txn.insert_events([ev(i) for i in range(1, 2002)])
    keys = [(f"e{i}", "s1") for i in range(1, 2102)]
    with store.transaction() as txn:
        found = txn.existing_event_keys(keys)
    assert found == set(keys[:2001])


def test_same_id_same_source_is_refused_by_the_database(store: Store) -> None:
    with store.transaction() as txn:
        txn.insert_events([ev(1)])
    with pytest.raises(Duplicate), store.transaction() as txn:
        txn.insert_events([ev(1)])
    assert store.count_events() == 1


def test_a_failed_transaction_leaves_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as txn:
        txn.insert_events([ev(1)])
        txn.append_audit(AuditEntry(1.0, "x", "thing-done", "o"))
        raise RuntimeError("boom")
    assert store.count_events() == 0
    assert store.audit_head() is None


def test_only_one_open_alarm_per_key(store: Store) -> None:
    with store.transaction() as txn:
        first = txn.insert_alarm(alarm("k"))
    with pytest.raises(Duplicate), store.transaction() as txn:
        txn.insert_alarm(alarm("k"))
    resolved = store.get_alarm(first)
    assert resolved is not None
    resolved = replace(resolved, state=AlarmState.RESOLVED, version=resolved.version + 1)
    with store.transaction() as txn:
        txn.update_alarm(resolved, resolved.version - 1)
        second = txn.insert_alarm(alarm("k"))
    assert [a.id for a in store.open_alarms()] == [second]


def test_alarm_listing_order_filters_and_cursor(store: Store) -> None:
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


def test_occurrences_in_order(store: Store) -> None:
    with store.transaction() as txn:
        aid = txn.insert_alarm(alarm("k"))
        txn.insert_occurrences(
            [Occurrence(aid, float(i), "raise", "threshold", 1.0, (f"e{i}",), "x") for i in range(3)]
        )
    assert [o.event_ids for o in store.occurrences(aid)] == [("e0",), ("e1",), ("e2",)]


def test_audit_chain_across_transactions_verifies(store: Store) -> None:
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


def test_tokens_users_and_kv(store: Store) -> None:
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


def test_purge(store: Store) -> None:
    with store.transaction() as txn:
        txn.insert_events([ev(1), ev(50)])
        old = alarm("k", state=AlarmState.RESOLVED, updated=5.0)
        txn.insert_alarm(old)
        txn.insert_alarm(alarm("k2", updated=5.0))
    with store.transaction() as txn:
        assert txn.delete_events_before(120.0) == 1
        assert txn.delete_resolved_alarms_before(6.0) == 1
    assert [a.key for a in store.list_alarms(AlarmQuery())] == ["k2"]


def test_an_update_moves_the_version_on_and_is_read_back(store: Store) -> None:
    with store.transaction() as txn:
        aid = txn.insert_alarm(alarm("k"))
    read = store.get_alarm(aid)
    assert read is not None and read.version == 1
    read = replace(read, state=AlarmState.ACKNOWLEDGED, version=2)
    with store.transaction() as txn:
        txn.update_alarm(read, 1)
    stored = store.get_alarm(aid)
    assert stored is not None and (stored.state, stored.version) == (AlarmState.ACKNOWLEDGED, 2)


def test_of_two_writers_that_read_the_same_version_the_second_is_refused(open_store: Opener) -> None:
    first, second = open_store(), open_store()  # two instances on one database, as two processes would be
    with first.transaction() as txn:
        aid = txn.insert_alarm(alarm("k"))
    mine, theirs = first.get_alarm(aid), second.get_alarm(aid)
    assert mine is not None and theirs is not None and mine.version == theirs.version == 1
    mine = replace(mine, state=AlarmState.ACKNOWLEDGED, version=2)
    with first.transaction() as txn:
        txn.update_alarm(mine, 1)
    theirs = replace(theirs, state=AlarmState.RESOLVED, version=2)
    with pytest.raises(StaleWrite) as refused, second.transaction() as txn:
        txn.update_alarm(theirs, 1)
    assert (refused.value.object, refused.value.expected, refused.value.found) == (f"alarm {aid}", 1, 2)
    assert f"alarm {aid}" in str(refused.value) and "version 1" in str(refused.value)
    stored = second.get_alarm(aid)
    assert stored is not None and (stored.state, stored.version) == (AlarmState.ACKNOWLEDGED, 2)


def test_updating_an_alarm_that_is_gone_is_refused(store: Store) -> None:
    with store.transaction() as txn:
        aid = txn.insert_alarm(alarm("k", state=AlarmState.RESOLVED, updated=1.0))
    gone = store.get_alarm(aid)
    assert gone is not None
    with store.transaction() as txn:
        assert txn.delete_resolved_alarms_before(2.0) == 1
    gone = replace(gone, version=2)
    with pytest.raises(StaleWrite, match="no longer exists") as refused, store.transaction() as txn:
        txn.update_alarm(gone, 1)
    assert refused.value.found is None


@pytest.mark.parametrize(
    ("new", "expected"),
    [pytest.param(1, 1, id="same version"), pytest.param(1, 2, id="version goes back")],
)
def test_an_update_that_does_not_raise_the_version_is_a_caller_error(
    store: Store, new: int, expected: int
) -> None:
    with store.transaction() as txn:
        aid = txn.insert_alarm(alarm("k"))
    read = store.get_alarm(aid)
    assert read is not None
    read = replace(read, version=new)
    with pytest.raises(ValueError, match="must raise the version"), store.transaction() as txn:
        txn.update_alarm(read, expected)
