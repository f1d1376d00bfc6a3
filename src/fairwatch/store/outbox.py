"""SQL for the notification log and the CAP message record (used by `SqlStore`/`SqlTxn`, kept apart from
the core tables so the notification side can grow without touching them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, and_, delete, exists, func, select, text, update
from sqlalchemy.engine import Row

from fairwatch.store import schema
from fairwatch.store.rows import CapMessage, Notification

_N = schema.notifications
_C = schema.cap_messages
_CHUNK = 900  # stay under SQLite's bound-parameter limit


def insert_notifications(conn: Connection, rows: Sequence[Notification]) -> int:
    """Insert the rows whose idempotency key is new; returns how many were inserted."""
    if not rows:
        return 0
    keys = list({r.key for r in rows})
    known: set[str] = set()
    for i in range(0, len(keys), _CHUNK):
        known.update(conn.execute(select(_N.c.key).where(_N.c.key.in_(keys[i : i + _CHUNK]))).scalars())
    fresh: dict[str, Notification] = {}
    for r in rows:
        if r.key not in known and r.key not in fresh:
            fresh[r.key] = r
    if fresh:
        conn.execute(_N.insert(), [_notification_row(r) for r in fresh.values()])
    return len(fresh)


def update_notifications(conn: Connection, rows: Sequence[Notification]) -> None:
    """Record the outcome of delivery attempts (status, attempts, next attempt, last error)."""
    for r in rows:
        values = {
            "status": r.status,
            "attempts": r.attempts,
            "next_attempt": r.next_attempt,
            "last_error": r.last_error,
            "updated": r.updated,
        }
        conn.execute(update(_N).where(_N.c.id == r.id).values(**values))


def due_notifications(conn: Connection, now: float, limit: int) -> list[Notification]:
    """Pending rows due by `now` that are the oldest pending row of their (alarm, receiver).

    A receiver thus sees the changes of one alarm in commit order, even while an earlier one is retried."""
    earlier = _N.alias("earlier")
    blocked = exists().where(
        and_(
            earlier.c.status == "pending",
            earlier.c.alarm_id == _N.c.alarm_id,
            earlier.c.receiver == _N.c.receiver,
            earlier.c.id < _N.c.id,
        )
    )
    # The literal (not a bound parameter) lets SQLite use the partial index on pending rows.
    pending = text("notifications.status = 'pending'")
    q = (
        select(_N)
        .where(pending, _N.c.next_attempt <= now, ~blocked)
        .order_by(_N.c.next_attempt, _N.c.id)
        .limit(limit)
    )
    return [_notification(r) for r in conn.execute(q)]


def claim_due(conn: Connection, now: float, limit: int, claim_seconds: float) -> list[Notification]:
    """Like `due_notifications`, for several processes on PostgreSQL: the due rows are locked with `FOR UPDATE
    SKIP LOCKED` (rows another process is claiming are passed over) and their next attempt is pushed
    `claim_seconds` ahead in the same transaction, so no other process sees them as due while this one sends;
    the outcome (`update_notifications`) sets the real next attempt. A claimer that dies before recording the
    outcome leaves the job to be tried again after `claim_seconds`."""
    earlier = _N.alias("earlier")
    blocked = exists().where(
        and_(
            earlier.c.status == "pending",
            earlier.c.alarm_id == _N.c.alarm_id,
            earlier.c.receiver == _N.c.receiver,
            earlier.c.id < _N.c.id,
        )
    )
    q = (
        select(_N)
        .where(_N.c.status == "pending", _N.c.next_attempt <= now, ~blocked)
        .order_by(_N.c.next_attempt, _N.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=_N)
    )
    rows = [_notification(r) for r in conn.execute(q)]
    if rows:
        ids = [r.id for r in rows]
        conn.execute(update(_N).where(_N.c.id.in_(ids)).values(next_attempt=now + claim_seconds))
    return rows


def delete_before(conn: Connection, when: float) -> int:
    """Retention: finished notification rows last updated before `when`, and CAP messages sent before `when`
    whose alarm is gone (purged); returns how many rows were deleted. Pending rows are kept."""
    done = conn.execute(delete(_N).where(_N.c.status != "pending", _N.c.updated < when)).rowcount
    alarms = schema.alarms.c
    orphan = ~exists().where(alarms.id == _C.c.alarm_id)
    return int(done) + int(conn.execute(delete(_C).where(_C.c.sent < when, orphan)).rowcount)


def notifications_for(conn: Connection, alarm_id: int) -> list[Notification]:
    """Every notification row of one alarm, oldest first."""
    q = select(_N).where(_N.c.alarm_id == alarm_id).order_by(_N.c.id)
    return [_notification(r) for r in conn.execute(q)]


def last_notified(conn: Connection, alarm_ids: Sequence[int]) -> dict[tuple[int, str], float]:
    """When each (alarm, receiver) was last given a notification (enqueue time)."""
    out: dict[tuple[int, str], float] = {}
    ids = list(set(alarm_ids))
    for i in range(0, len(ids), _CHUNK):
        q = (
            select(_N.c.alarm_id, _N.c.receiver, func.max(_N.c.created))
            .where(_N.c.alarm_id.in_(ids[i : i + _CHUNK]))
            .group_by(_N.c.alarm_id, _N.c.receiver)
        )
        for alarm_id, receiver, created in conn.execute(q):
            out[(int(alarm_id), str(receiver))] = float(created)
    return out


def cap_messages(conn: Connection, alarm_id: int) -> list[CapMessage]:
    """The CAP messages issued for one alarm, oldest first."""
    q = select(_C).where(_C.c.alarm_id == alarm_id).order_by(_C.c.sent, _C.c.version)
    return [_cap(r) for r in conn.execute(q)]


def cap_message(conn: Connection, identifier: str) -> CapMessage | None:
    """One CAP message by identifier."""
    row = conn.execute(select(_C).where(_C.c.identifier == identifier)).first()
    return _cap(row) if row else None


def recent_cap_messages(conn: Connection, limit: int) -> list[CapMessage]:
    """The newest CAP messages, newest first."""
    q = select(_C).order_by(_C.c.sent.desc(), _C.c.version.desc()).limit(limit)
    return [_cap(r) for r in conn.execute(q)]


def insert_cap_message(conn: Connection, message: CapMessage) -> bool:
    """Record an issued message; False if one with that identifier exists already."""
    if conn.execute(select(_C.c.identifier).where(_C.c.identifier == message.identifier)).first():
        return False
    conn.execute(
        _C.insert().values(
            identifier=message.identifier,
            alarm_id=message.alarm_id,
            version=message.version,
            msg_type=message.msg_type,
            sent=message.sent,
            severity=message.severity,
            site=message.site,
            zone=message.zone,
            public=message.public,
            xml=message.xml,
        )
    )
    return True


def _notification_row(n: Notification) -> dict[str, Any]:
    return {
        "key": n.key,
        "alarm_id": n.alarm_id,
        "version": n.version,
        "receiver": n.receiver,
        "channel": n.channel,
        "kind": n.kind,
        "payload": orjson.dumps(n.payload).decode(),
        "status": n.status,
        "attempts": n.attempts,
        "next_attempt": n.next_attempt,
        "last_error": n.last_error,
        "created": n.created,
        "updated": n.updated,
    }


def _notification(r: Row[Any]) -> Notification:
    return Notification(
        key=r.key,
        alarm_id=int(r.alarm_id),
        version=int(r.version),
        receiver=r.receiver,
        channel=r.channel,
        kind=r.kind,
        payload=orjson.loads(r.payload),
        status=r.status,
        attempts=int(r.attempts),
        next_attempt=float(r.next_attempt),
        last_error=r.last_error,
        created=float(r.created),
        updated=float(r.updated),
        id=int(r.id),
    )


def _cap(r: Row[Any]) -> CapMessage:
    return CapMessage(
        identifier=r.identifier,
        alarm_id=int(r.alarm_id),
        version=int(r.version),
        msg_type=r.msg_type,
        sent=float(r.sent),
        severity=r.severity,
        site=r.site,
        zone=r.zone,
        public=bool(r.public),
        xml=r.xml,
    )
