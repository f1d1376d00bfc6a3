"""The store contract, continued: what features keep in the store (flood links, sessions, notifications, CAP,
silences, checkpoints, retention), the same from memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fairwatch.audit import sign_checkpoint
from fairwatch.errors import Duplicate
from fairwatch.model import AlarmState, AuditEntry, Event, Role
from fairwatch.store import (
    AlarmLinks,
    AlarmQuery,
    CapMessage,
    Notification,
    Session,
    Silence,
    Store,
    StoredCheckpoint,
    Txn,
)
from tests.store.conftest import alarm

T0 = 1_000.0


def test_flood_links_children_and_the_top_level_listing(store: Store) -> None:
    with store.transaction() as txn:
        parent, a, b, lone = (txn.insert_alarm(alarm(k)) for k in ("p", "a", "b", "lone"))
        txn.set_alarm_parent(a, parent)
        txn.set_alarm_parent(b, parent)
        assert (txn.parent_of(a), txn.parent_of(lone)) == (parent, None)
        assert [c.id for c in txn.children_of(parent)] == [a, b]
    assert store.alarm_links([parent, a, lone]) == {parent: AlarmLinks(None, 2), a: AlarmLinks(parent, 0)}
    assert [c.id for c in store.children_of(parent)] == [a, b]
    assert sorted(x.id for x in store.list_alarms(AlarmQuery(children=False))) == [parent, lone]
    resolved_parent = store.get_alarm(parent)
    assert resolved_parent is not None
    resolved_parent = replace(resolved_parent, state=AlarmState.RESOLVED, version=2)
    with store.transaction() as txn:
        txn.update_alarm(resolved_parent, 1)
    # The parent is resolved: its unresolved children need handling, so they are listed at the top again.
    assert sorted(x.id for x in store.list_alarms(AlarmQuery(children=False))) == [parent, a, b, lone]


def test_a_reopened_alarm_may_not_join_an_open_one_for_the_same_key(store: Store) -> None:
    with store.transaction() as txn:
        first = txn.insert_alarm(alarm("k", state=AlarmState.RESOLVED))
        txn.insert_alarm(alarm("k"))
    reopened = store.get_alarm(first)
    assert reopened is not None
    reopened = replace(reopened, state=AlarmState.OPEN, version=2)
    with pytest.raises(Duplicate, match="open alarm already"), store.transaction() as txn:
        txn.update_alarm(reopened, 1)
    stored = store.get_alarm(first)
    assert stored is not None and stored.state is AlarmState.RESOLVED


def test_a_failed_transaction_undoes_updates_and_deletes_too(store: Store) -> None:
    with store.transaction() as txn:
        aid = txn.insert_alarm(alarm("k"))
        txn.insert_events([Event("e1", "s", "t.x", 1.0, 1.0)])
        txn.set_kv("a", "1")
    changed = store.get_alarm(aid)
    assert changed is not None
    changed = replace(changed, state=AlarmState.ACKNOWLEDGED, version=2)
    with pytest.raises(RuntimeError), store.transaction() as txn:
        txn.update_alarm(changed, 1)
        assert txn.delete_events_before(5.0) == 1
        txn.set_kv("a", "2")
        raise RuntimeError("boom")
    stored = store.get_alarm(aid)
    assert stored is not None and (stored.state, stored.version) == (AlarmState.OPEN, 1)
    assert [e.id for e in store.iter_events()] == ["e1"] and store.get_kv("a") == "1"
    with store.transaction() as txn:  # the key index was restored with the rows: e1 is still a duplicate
        assert txn.existing_event_keys([("e1", "s")]) == {("e1", "s")}


def test_sessions_are_touched_forward_only_and_expire(store: Store) -> None:
    with store.transaction() as txn:
        txn.insert_session(Session("h1", "ana", T0, T0))
        txn.insert_session(Session("h2", "ben", T0 - 500, T0))
        txn.insert_session(Session("h3", "cy", T0, T0 - 100))
        txn.touch_session("h1", T0 + 10)
        txn.touch_session("h1", T0 + 5)  # never backwards
    assert store.get_session("h1") == Session("h1", "ana", T0, T0 + 10)
    with store.transaction() as txn:
        assert (
            txn.delete_sessions_before(idle_before=T0 - 50, created_before=T0 - 100) == 2
        )  # h3 idle, h2 old
        assert (txn.delete_session("h1"), txn.delete_session("h1")) == (1, 0)
    assert [store.get_session(h) for h in ("h1", "h2", "h3")] == [None, None, None]


def test_audit_reads_by_time_and_object(store: Store) -> None:
    with store.transaction() as txn:
        for i in range(6):
            txn.append_audit(AuditEntry(T0 + i, "op", "alarm-commented", f"alarm:{i % 2}", {"n": (i, "é")}))
    assert [r.seq for r in store.audit_since(T0 + 2)] == [3, 4, 5, 6]
    assert [r.seq for r in store.audit_since(T0, limit=2)] == [5, 6]  # the newest, oldest first
    assert [r.seq for r in store.history_since("alarm:1", T0 + 2)] == [4, 6]
    assert store.history("alarm:0")[0].details == {"n": [0, "é"]}  # as JSON gives it back
    assert list(store.audit_hashes(5, 9)) == [(r.seq, r.hash) for r in store.iter_audit(5)]


def test_the_latest_checkpoint_wins_and_a_size_is_kept_once(store: Store) -> None:
    assert store.latest_checkpoint() is None
    key = Ed25519PrivateKey.generate()
    stored = {
        size: StoredCheckpoint(sign_checkpoint(key, size, b"\x01" * 32, T0 + size), "f" * 64, (b"\x02" * 32,))
        for size in (3, 5)
    }
    with store.transaction() as txn:
        txn.insert_checkpoint(stored[5])
        txn.insert_checkpoint(stored[3])
    assert store.latest_checkpoint() == stored[5]
    assert store.list_checkpoints() == [
        stored[3],
        stored[5],
    ]  # smallest size first, whatever the insert order
    with pytest.raises(Duplicate), store.transaction() as txn:
        txn.insert_checkpoint(stored[5])


def job(alarm_id: int, version: int, receiver: str = "ops", **changes: object) -> Notification:
    base = Notification(
        f"{alarm_id}:{version}:{receiver}", alarm_id, version, receiver, "webhook", "raised", {}
    )
    values: dict[str, object] = {"next_attempt": T0, "created": T0, "updated": T0, **changes}
    return replace(base, **values)  # type: ignore[arg-type]


def test_the_notification_log_is_idempotent_and_due_in_order(store: Store) -> None:
    with store.transaction() as txn:
        assert txn.insert_notifications([job(1, 1, next_attempt=T0 + 60), job(1, 2), job(1, 2, "duty")]) == 3
        assert txn.insert_notifications([job(1, 2), job(2, 1, created=T0 + 5)]) == 1
    assert [n.key for n in store.due_notifications(T0)] == ["1:2:duty", "2:1:ops"]  # 1:2:ops waits for 1:1
    first = store.notifications_for(1)[0]
    with store.transaction() as txn:
        txn.update_notifications([replace(first, status="delivered", attempts=1, updated=T0 + 60)])
    assert [n.key for n in store.due_notifications(T0 + 60, limit=2)] == ["1:2:ops", "1:2:duty"]
    assert store.notifications_for(1)[0].attempts == 1
    assert store.last_notified([1, 2, 3]) == {(1, "ops"): T0, (1, "duty"): T0, (2, "ops"): T0 + 5}


def cap(alarm_id: int, sent: float, version: int = 1) -> CapMessage:
    return CapMessage(
        f"m-{alarm_id}-{sent}", alarm_id, version, "Alert", sent, "high", None, None, True, "<a/>"
    )


def test_cap_messages_are_kept_once_and_purged_with_their_alarm(store: Store) -> None:
    with store.transaction() as txn:
        kept = txn.insert_alarm(alarm("k"))
        txn.insert_notifications(
            [job(kept, 1, status="delivered"), job(kept, 2), job(kept, 3, status="failed")]
        )
        assert txn.insert_cap_message(cap(kept, T0 + 1, 2)) is True
        assert txn.insert_cap_message(cap(kept, T0)) is True
        assert txn.insert_cap_message(cap(kept, T0)) is False
        txn.insert_cap_message(cap(999, T0 + 0.5))  # its alarm is gone: purged
        assert [m.sent for m in txn.cap_messages_for(kept)] == [T0, T0 + 1]
    assert [m.sent for m in store.cap_messages(kept)] == [T0, T0 + 1]
    assert [m.identifier for m in store.recent_cap_messages(2)] == [f"m-{kept}-{T0 + 1}", f"m-999-{T0 + 0.5}"]
    assert store.cap_message(f"m-{kept}-{T0}") == cap(kept, T0)
    with store.transaction() as txn:
        assert txn.delete_notifications_before(T0 + 50) == 3  # two finished jobs, one orphaned message
    assert [n.version for n in store.notifications_for(kept)] == [2]
    assert store.cap_message(f"m-999-{T0 + 0.5}") is None


def test_a_silence_ends_once(store: Store) -> None:
    silence = Silence({"type": "fire.*"}, T0, T0 + 600, "drill", "ana", T0 - 1)
    with store.transaction() as txn:
        first = txn.insert_silence(silence)
        second = txn.insert_silence(replace(silence, reason="second"))
    assert store.get_silence(first) == replace(silence, id=first)
    with store.transaction() as txn:
        assert txn.expire_silence(first, T0 + 10, T0 + 10, "ben") is True
        assert txn.expire_silence(first, T0 + 20, T0 + 20, "cy") is False
    assert [s.id for s in store.silences()] == [second, first]
    assert [s.id for s in store.live_silences()] == [second]
    ended = store.get_silence(first)
    assert ended is not None and (ended.ends_at, ended.expired_by) == (T0 + 10, "ben")


SESSION = Session("h1", "ana", T0, T0)


@pytest.mark.parametrize(
    ("write", "first_stands"),
    [
        pytest.param(
            lambda txn: txn.insert_token("gate", Role.DEVICE, "h" * 64, T0),
            lambda store: store.token_role("h" * 64) is Role.DEVICE,
            id="token hash",
        ),
        pytest.param(
            lambda txn: txn.insert_session(SESSION),
            lambda store: store.get_session("h1") == SESSION,
            id="session id",
        ),
        pytest.param(
            lambda txn: txn.insert_events([Event("e1", "s", "t.x", 1.0, 1.0)]),
            lambda store: store.count_events() == 1,
            id="event id and source",
        ),
    ],
)
def test_a_second_row_for_a_unique_key_is_a_duplicate_and_leaves_the_first(
    store: Store, write: Callable[[Txn], object], first_stands: Callable[[Store], bool]
) -> None:
    with store.transaction() as txn:
        write(txn)
    with pytest.raises(Duplicate), store.transaction() as txn:
        write(txn)
    assert first_stands(store)
