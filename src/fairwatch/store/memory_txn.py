"""The write side of `MemoryStore`: the tables, an undo journal, and `MemoryTxn` (store/memory.py)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

from fairwatch.audit import canonical_json, chain
from fairwatch.errors import Duplicate, StaleWrite
from fairwatch.model import Alarm, AlarmState, AuditEntry, AuditRecord, Event, Role
from fairwatch.store.base import check_version_step
from fairwatch.store.incident_memory import IncidentMemoryTxn
from fairwatch.store.incident_rows import Incident, LogEntry, Task
from fairwatch.store.rows import (
    CapMessage,
    Kiosk,
    Notification,
    Occurrence,
    Session,
    Shelf,
    Silence,
    StoredCheckpoint,
    User,
)
from fairwatch.store.unit_memory import UnitMemoryTxn
from fairwatch.store.unit_rows import Device, Invite, Unit
from fairwatch.store.welfare_memory import WelfareMemoryTxn
from fairwatch.store.welfare_rows import Photo, WelfareCase

_RESOLVED = AlarmState.RESOLVED
_MISSING: Any = object()


@dataclass
class MemoryDatabase:
    """The tables. Integer-keyed tables keep their keys in ascending order (insertion order, restored on undo)."""

    events: dict[int, Event] = field(default_factory=dict)  # seq -> event
    event_keys: dict[tuple[str, str], int] = field(default_factory=dict)  # (id, source) -> seq
    alarms: dict[int, Alarm] = field(default_factory=dict)
    parents: dict[int, int] = field(default_factory=dict)  # child alarm id -> flood parent id
    open_keys: dict[str, int] = field(default_factory=dict)  # dedup key -> id of its open alarm
    occurrences: dict[int, Occurrence] = field(default_factory=dict)
    audit: dict[int, AuditRecord] = field(default_factory=dict)  # seq -> record
    tokens: dict[str, tuple[str, str, float, float | None, int]] = field(
        default_factory=dict
    )  # hash -> name, role, created, revoked, id
    users: dict[str, User] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    kiosks: dict[str, Kiosk] = field(default_factory=dict)
    kv: dict[str, str] = field(default_factory=dict)
    checkpoints: dict[int, StoredCheckpoint] = field(default_factory=dict)
    notifications: dict[int, Notification] = field(default_factory=dict)
    notification_keys: dict[str, int] = field(default_factory=dict)
    cap_messages: dict[str, CapMessage] = field(default_factory=dict)
    silences: dict[int, Silence] = field(default_factory=dict)
    shelves: dict[int, Shelf] = field(default_factory=dict)  # alarm id -> its shelf while shelved
    incidents: dict[int, Incident] = field(default_factory=dict)
    incident_alarms: dict[int, tuple[int, float]] = field(default_factory=dict)  # alarm id -> incident, added
    incident_log: dict[int, LogEntry] = field(default_factory=dict)
    incident_tasks: dict[int, Task] = field(default_factory=dict)
    units: dict[int, Unit] = field(default_factory=dict)
    unit_invites: dict[int, Invite] = field(default_factory=dict)
    unit_devices: dict[str, Device] = field(default_factory=dict)  # session id hash -> device
    welfare_cases: dict[int, WelfareCase] = field(default_factory=dict)
    incident_photos: dict[int, Photo] = field(default_factory=dict)
    last_id: dict[str, int] = field(default_factory=dict)  # table -> last id handed out (never reused)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def next_id(self, table: str) -> int:
        """A new id for `table`; like a database sequence it is not given back on rollback."""
        self.last_id[table] = self.last_id.get(table, 0) + 1
        return self.last_id[table]


class Journal:
    """What a transaction changed, so a rollback can put every table back as it was."""

    def __init__(self) -> None:
        self.entries: list[tuple[dict[Any, Any], Any, Any]] = []

    def put(self, table: dict[Any, Any], key: Any, value: Any) -> None:
        self.entries.append((table, key, table.get(key, _MISSING)))
        table[key] = value

    def pop(self, table: dict[Any, Any], key: Any) -> None:
        self.entries.append((table, key, table[key]))
        del table[key]

    def rollback(self) -> None:
        touched: dict[int, dict[Any, Any]] = {}
        for table, key, old in reversed(self.entries):
            touched[id(table)] = table
            if old is _MISSING:
                table.pop(key, None)
            else:
                table[key] = old
        for table in touched.values():  # a restored row goes to the end: put integer keys back in order
            if table and isinstance(next(iter(table)), int):
                rows = sorted(table.items())
                table.clear()
                table.update(rows)
        self.entries.clear()


class MemoryTxn(IncidentMemoryTxn, UnitMemoryTxn, WelfareMemoryTxn):
    """The write side of one `MemoryStore` transaction (the caller holds the database lock)."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db
        self.journal = Journal()

    # -- events ---------------------------------------------------------------------------------------------
    def existing_event_keys(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        return {k for k in keys if k in self.db.event_keys}

    def insert_events(self, events: Sequence[Event]) -> None:
        for ev in events:
            key = (ev.id, ev.source)
            if key in self.db.event_keys:
                raise Duplicate(f"event {ev.id!r} from {ev.source!r} is stored already")
            seq = self.db.next_id("events")
            self.journal.put(self.db.events, seq, ev)
            self.journal.put(self.db.event_keys, key, seq)

    def delete_events_before(self, when: float) -> int:
        old = [(seq, e) for seq, e in self.db.events.items() if e.time < when]
        for seq, e in old:
            self.journal.pop(self.db.events, seq)
            self.journal.pop(self.db.event_keys, (e.id, e.source))
        return len(old)

    # -- alarms ---------------------------------------------------------------------------------------------
    def insert_alarm(self, alarm: Alarm) -> int:
        alarm_id = self.db.next_id("alarms")
        self._put_alarm(replace(copy_alarm(alarm), id=alarm_id))
        return alarm_id

    def update_alarm(self, alarm: Alarm, expected_version: int) -> None:
        check_version_step(alarm, expected_version)
        stored = self.db.alarms.get(alarm.id)
        if stored is None or stored.version != expected_version:
            raise StaleWrite(
                f"alarm {alarm.id}", expected_version, None if stored is None else stored.version
            )
        self._forget_open_key(stored)
        self._put_alarm(copy_alarm(alarm))

    def _put_alarm(self, alarm: Alarm) -> None:
        if alarm.state is not _RESOLVED:
            if alarm.key in self.db.open_keys:
                raise Duplicate(f"alarm key {alarm.key!r} has an open alarm already")
            self.journal.put(self.db.open_keys, alarm.key, alarm.id)
        self.journal.put(self.db.alarms, alarm.id, alarm)

    def _forget_open_key(self, alarm: Alarm) -> None:
        if self.db.open_keys.get(alarm.key) == alarm.id:
            self.journal.pop(self.db.open_keys, alarm.key)

    def get_alarm(self, alarm_id: int) -> Alarm | None:
        found = self.db.alarms.get(alarm_id)
        return copy_alarm(found) if found else None

    def open_alarm_for_key(self, key: str) -> Alarm | None:
        alarm_id = self.db.open_keys.get(key)
        return self.get_alarm(alarm_id) if alarm_id is not None else None

    def set_alarm_parent(self, alarm_id: int, parent_id: int) -> None:
        if alarm_id in self.db.alarms:
            self.journal.put(self.db.parents, alarm_id, parent_id)

    def parent_of(self, alarm_id: int) -> int | None:
        return self.db.parents.get(alarm_id)

    def children_of(self, parent_id: int) -> list[Alarm]:
        ids = sorted(i for i, p in self.db.parents.items() if p == parent_id and i in self.db.alarms)
        return [copy_alarm(self.db.alarms[i]) for i in ids]

    def insert_occurrences(self, rows: Sequence[Occurrence]) -> None:
        for o in rows:
            self.journal.put(self.db.occurrences, self.db.next_id("occurrences"), o)

    def put_shelf(self, shelf: Shelf) -> None:
        self.journal.put(self.db.shelves, shelf.alarm_id, shelf)

    def delete_shelf(self, alarm_id: int) -> bool:
        if alarm_id not in self.db.shelves:
            return False
        self.journal.pop(self.db.shelves, alarm_id)
        return True

    def resolved_before(self, when: float) -> list[int]:
        """Ids of resolved alarms last updated before `when` (what retention deletes)."""
        return [i for i, a in self.db.alarms.items() if a.state is _RESOLVED and a.updated < when]

    def delete_resolved_alarms_before(self, when: float) -> int:
        old = set(self.resolved_before(when))
        for oid in [i for i, o in self.db.occurrences.items() if o.alarm_id in old]:
            self.journal.pop(self.db.occurrences, oid)
        for alarm_id in old:
            self.journal.pop(self.db.alarms, alarm_id)
            if alarm_id in self.db.parents:  # a purged child's link goes with its row
                self.journal.pop(self.db.parents, alarm_id)
        return len(old)

    # -- audit ----------------------------------------------------------------------------------------------
    def head(self) -> AuditRecord | None:
        audit = self.db.audit
        return audit[next(reversed(audit))] if audit else None

    def append_audit(self, entry: AuditEntry) -> AuditRecord:
        rec = chain(self.head(), entry)
        # As a SQL store reads it back: details through canonical JSON.
        self.journal.put(
            self.db.audit, rec.seq, replace(rec, details=orjson.loads(canonical_json(rec.details)))
        )
        return rec

    # -- access, sessions, small state -------------------------------------------------------------------------
    def insert_token(self, name: str, role: Role, token_hash: str, now: float) -> int:
        if token_hash in self.db.tokens:
            raise Duplicate(f"token {name!r}: its hash is in use already")
        token_id = self.db.next_id("tokens")
        self.journal.put(self.db.tokens, token_hash, (name, role.value, now, None, token_id))
        return token_id

    def revoke_tokens(self, name: str, now: float) -> list[str]:
        live = [h for h, t in self.db.tokens.items() if t[0] == name and t[3] is None]
        for h in live:
            t = self.db.tokens[h]
            self.journal.put(self.db.tokens, h, (t[0], t[1], t[2], now, t[4]))
        return live

    def set_user_disabled(self, name: str, disabled: bool) -> bool:
        found = self.db.users.get(name)
        if found is None:
            return False
        self.journal.put(self.db.users, name, replace(found, disabled=disabled))
        return True

    def delete_user_sessions(self, name: str) -> int:
        mine = [k for k, s in self.db.sessions.items() if s.user == name]
        for k in mine:
            self.journal.pop(self.db.sessions, k)
        return len(mine)

    def get_kiosk(self, name: str) -> Kiosk | None:
        return self.db.kiosks.get(name)

    def put_kiosk(self, kiosk: Kiosk) -> None:
        for other in self.db.kiosks.values():
            same = other.name != kiosk.name and (
                (kiosk.link_hash is not None and other.link_hash == kiosk.link_hash)
                or (kiosk.session_hash is not None and other.session_hash == kiosk.session_hash)
            )
            if same:
                raise Duplicate("a kiosk link or session is stored already")
        self.journal.put(self.db.kiosks, kiosk.name, kiosk)

    def claim_kiosk(self, link_hash: str, session_hash: str, now: float) -> Kiosk | None:
        for k in self.db.kiosks.values():
            if k.link_hash == link_hash and k.revoked is None and k.link_expires > now and k.expires > now:
                claimed = replace(k, link_hash=None, session_hash=session_hash)
                self.journal.put(self.db.kiosks, k.name, claimed)
                return claimed
        return None

    def revoke_kiosk(self, name: str, now: float) -> Kiosk | None:
        before = self.db.kiosks.get(name)
        if before is None or before.revoked is not None:
            return None
        self.journal.put(self.db.kiosks, name, replace(before, revoked=now, link_hash=None))
        return before

    def upsert_user(self, user: User) -> None:
        self.journal.put(self.db.users, user.name, replace(copy_user(user), extra={}))

    def insert_session(self, session: Session) -> None:
        if session.id_hash in self.db.sessions:
            raise Duplicate("a session with this id exists already")
        self.journal.put(self.db.sessions, session.id_hash, session)

    def touch_session(self, id_hash: str, now: float) -> None:
        found = self.db.sessions.get(id_hash)
        if found is not None and found.last_seen < now:
            self.journal.put(self.db.sessions, id_hash, replace(found, last_seen=now))

    def delete_session(self, id_hash: str) -> int:
        if id_hash not in self.db.sessions:
            return 0
        self.journal.pop(self.db.sessions, id_hash)
        return 1

    def delete_sessions_before(self, idle_before: float, created_before: float) -> int:
        stale = [
            k for k, s in self.db.sessions.items() if s.last_seen < idle_before or s.created < created_before
        ]
        for k in stale:
            self.journal.pop(self.db.sessions, k)
        return len(stale)

    def set_kv(self, key: str, value: str) -> None:
        self.journal.put(self.db.kv, key, value)

    def insert_checkpoint(self, stored: StoredCheckpoint) -> None:
        if stored.checkpoint.size in self.db.checkpoints:
            raise Duplicate(f"a checkpoint of size {stored.checkpoint.size} exists already")
        self.journal.put(self.db.checkpoints, stored.checkpoint.size, stored)

    # -- notification log and CAP messages ------------------------------------------------------------------
    def insert_notifications(self, rows: Sequence[Notification]) -> int:
        inserted = 0
        for r in rows:
            if r.key in self.db.notification_keys:
                continue
            row_id = self.db.next_id("notifications")
            self.journal.put(self.db.notifications, row_id, replace(r, id=row_id))
            self.journal.put(self.db.notification_keys, r.key, row_id)
            inserted += 1
        return inserted

    def update_notifications(self, rows: Sequence[Notification]) -> None:
        for r in rows:
            found = self.db.notifications.get(r.id)
            if found is not None:
                changed = replace(
                    found,
                    status=r.status,
                    attempts=r.attempts,
                    next_attempt=r.next_attempt,
                    last_error=r.last_error,
                    updated=r.updated,
                )
                self.journal.put(self.db.notifications, r.id, changed)

    def delete_notifications_before(self, when: float) -> int:
        done = [i for i, n in self.db.notifications.items() if n.status != "pending" and n.updated < when]
        for i in done:
            self.journal.pop(self.db.notification_keys, self.db.notifications[i].key)
            self.journal.pop(self.db.notifications, i)
        orphans = [
            k for k, m in self.db.cap_messages.items() if m.sent < when and m.alarm_id not in self.db.alarms
        ]
        for k in orphans:
            self.journal.pop(self.db.cap_messages, k)
        return len(done) + len(orphans)

    def cap_messages_for(self, alarm_id: int) -> list[CapMessage]:
        mine = [m for m in self.db.cap_messages.values() if m.alarm_id == alarm_id]
        return sorted(mine, key=lambda m: (m.sent, m.version))

    def insert_cap_message(self, message: CapMessage) -> bool:
        if message.identifier in self.db.cap_messages:
            return False
        self.journal.put(self.db.cap_messages, message.identifier, message)
        return True

    # -- silences -------------------------------------------------------------------------------------------
    def insert_silence(self, silence: Silence) -> int:
        silence_id = self.db.next_id("silences")
        stored = replace(silence, id=silence_id, expired_at=None, expired_by=None)
        self.journal.put(self.db.silences, silence_id, stored)
        return silence_id

    def expire_silence(self, silence_id: int, ends_at: float, expired_at: float, expired_by: str) -> bool:
        found = self.db.silences.get(silence_id)
        if found is None or found.expired_at is not None:
            return False
        changed = replace(found, ends_at=ends_at, expired_at=expired_at, expired_by=expired_by)
        self.journal.put(self.db.silences, silence_id, changed)
        return True


def copy_alarm(a: Alarm) -> Alarm:
    """A copy that shares nothing mutable with the stored row (an SQL read returns a fresh object, too)."""
    return replace(a, group=dict(a.group), sources=list(a.sources))


def copy_user(u: User) -> User:
    return replace(u, extra=dict(u.extra))
