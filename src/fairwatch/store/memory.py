"""`MemoryStore`: the Store protocol in process memory, for tests and experiments; nothing survives the process.

It passes the same contract suite as SQLite and PostgreSQL (tests/store/test_contract.py). A transaction keeps
an undo journal and rolls back by replaying it; transactions are serialised by one lock. Several `MemoryStore`s
may share one `MemoryDatabase`, as several processes share one SQL database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace

import orjson

from fairwatch.audit import canonical_json
from fairwatch.model import Alarm, AlarmState, AuditRecord, Event, Role
from fairwatch.store.incident_memory import IncidentMemoryReads
from fairwatch.store.memory_txn import MemoryDatabase, MemoryTxn, copy_alarm, copy_user
from fairwatch.store.rows import (
    NARRATIVE_ACTIONS,
    NARRATIVE_KEYS,
    AlarmLinks,
    AlarmQuery,
    CapMessage,
    Kiosk,
    Notification,
    Occurrence,
    Session,
    Shelf,
    Silence,
    StoredCheckpoint,
    TextSearch,
    TokenInfo,
    User,
)
from fairwatch.store.unit_memory import UnitMemoryReads
from fairwatch.store.welfare_memory import WelfareMemoryReads

_RESOLVED = AlarmState.RESOLVED


class MemoryStore(IncidentMemoryReads, UnitMemoryReads, WelfareMemoryReads):
    """Store on a `MemoryDatabase` (a new, empty one unless given)."""

    def __init__(self, database: MemoryDatabase | None = None) -> None:
        self.database = database if database is not None else MemoryDatabase()

    @contextmanager
    def transaction(self) -> Iterator[MemoryTxn]:
        """One write transaction; commits on success, undoes every change on any exception."""
        db = self.database
        with db.lock:
            txn = MemoryTxn(db)
            try:
                yield txn
            except BaseException:
                txn.journal.rollback()
                raise

    @asynccontextmanager
    async def group_transaction(self) -> AsyncIterator[MemoryTxn]:
        """Like `transaction`; there is no commit to move off the event loop."""
        with self.transaction() as txn:
            yield txn

    def ping(self) -> bool:
        return True

    def close(self) -> None:
        pass

    # -- alarms ---------------------------------------------------------------------------------------------
    def open_alarms(self) -> list[Alarm]:
        return [copy_alarm(a) for a in list(self.database.alarms.values()) if a.state is not _RESOLVED]

    def list_alarms(self, query: AlarmQuery) -> list[Alarm]:
        found = [a for a in list(self.database.alarms.values()) if self._matches(a, query)]
        found.sort(key=_order)
        if query.after is not None:
            rank, neg_first, last_id = query.after
            found = [a for a in found if _order(a) > (rank, neg_first, -last_id)]
        return [copy_alarm(a) for a in found[: query.limit]]

    def _matches(self, a: Alarm, q: AlarmQuery) -> bool:
        return (
            (not q.states or a.state.value in q.states)
            and (not q.severities or a.severity.value in q.severities)
            and (not q.zones or a.zone in q.zones)
            and (not q.types or a.type in q.types)
            and (q.active is None or a.active == q.active)
            and (q.since is None or a.last_seen >= q.since)
            and (q.until is None or a.first_seen <= q.until)
            and (q.children or not self._hidden_child(a))
            and (q.search is None or self._found(a, q.search))
        )

    def _found(self, a: Alarm, search: TextSearch) -> bool:
        """Every word in a searchable field (as the SQL stores: case-insensitive substring, see store/alarm_sql.py)."""
        narrative = [
            str(r.details.get(k) or "")
            for r in list(self.database.audit.values())
            if r.object == f"alarm:{a.id}" and r.action in NARRATIVE_ACTIONS
            for k in NARRATIVE_KEYS
        ]
        fields = [a.type, a.zone or "", orjson.dumps(a.sources).decode(), a.explanation, *narrative]
        for index, word in enumerate(search.words):
            types, zones = search.names_for(index)
            needle = word.lower()
            if a.type in types or (a.zone is not None and a.zone in zones):
                continue
            if not any(needle in f.lower() for f in fields):
                return False
        return True

    def shelves(self, alarm_ids: Sequence[int] | None = None) -> dict[int, Shelf]:
        found = dict(self.database.shelves)
        return found if alarm_ids is None else {i: found[i] for i in alarm_ids if i in found}

    def _hidden_child(self, a: Alarm) -> bool:
        """A flood child shown only inside its group: resolved, or its parent is still unresolved."""
        parent_id = self.database.parents.get(a.id)
        if parent_id is None:
            return False
        parent = self.database.alarms.get(parent_id)
        return a.state is _RESOLVED or (parent is not None and parent.state is not _RESOLVED)

    def get_alarm(self, alarm_id: int) -> Alarm | None:
        found = self.database.alarms.get(alarm_id)
        return copy_alarm(found) if found else None

    def alarm_links(self, alarm_ids: Sequence[int]) -> dict[int, AlarmLinks]:
        wanted = set(alarm_ids)
        parents = {i: p for i, p in list(self.database.parents.items()) if i in wanted}
        counts: dict[int, int] = {}
        for parent in list(self.database.parents.values()):
            if parent in wanted:
                counts[parent] = counts.get(parent, 0) + 1
        return {i: AlarmLinks(parents.get(i), counts.get(i, 0)) for i in parents.keys() | counts.keys()}

    def children_of(self, parent_id: int) -> list[Alarm]:
        return MemoryTxn(self.database).children_of(parent_id)

    def occurrences(self, alarm_id: int, limit: int = 100) -> list[Occurrence]:
        mine = [o for o in list(self.database.occurrences.values()) if o.alarm_id == alarm_id]
        return mine[-limit:] if limit > 0 else []

    # -- events ---------------------------------------------------------------------------------------------
    def events_by_ids(self, ids: Sequence[str]) -> list[Event]:
        wanted = set(ids)
        return [e for e in list(self.database.events.values()) if e.id in wanted]

    def iter_events(self, since: float | None = None, until: float | None = None) -> Iterator[Event]:
        for e in list(self.database.events.values()):
            if (since is None or e.time >= since) and (until is None or e.time < until):
                yield e

    def count_events(self) -> int:
        return len(self.database.events)

    # -- audit ----------------------------------------------------------------------------------------------
    def history(self, obj: str) -> list[AuditRecord]:
        return [r for r in list(self.database.audit.values()) if r.object == obj]

    def history_since(self, obj: str, since: float) -> list[AuditRecord]:
        return [r for r in self.history(obj) if r.time >= since]

    def iter_audit(self, start_seq: int = 1) -> Iterator[AuditRecord]:
        yield from (r for r in list(self.database.audit.values()) if r.seq >= start_seq)

    def audit_head(self) -> AuditRecord | None:
        return MemoryTxn(self.database).head()

    def audit_since(self, since: float, limit: int = 5000) -> list[AuditRecord]:
        found = [r for r in list(self.database.audit.values()) if r.time >= since]
        return found[-limit:] if limit > 0 else []

    def audit_hashes(self, start_seq: int, end_seq: int) -> Iterator[tuple[int, str]]:
        records = self.database.audit
        for seq in range(start_seq, end_seq + 1):
            found = records.get(seq)
            if found is None:
                return
            yield seq, found.hash

    # -- access and small state ----------------------------------------------------------------------------
    def token_role(self, token_hash: str) -> Role | None:
        found = self.database.tokens.get(token_hash)
        return Role(found[1]) if found is not None and found[3] is None else None

    def get_user(self, name: str) -> User | None:
        found = self.database.users.get(name)
        return copy_user(found) if found else None

    def list_users(self) -> list[User]:
        return [copy_user(u) for _, u in sorted(list(self.database.users.items()))]

    def list_tokens(self) -> list[TokenInfo]:
        rows = sorted(list(self.database.tokens.values()), key=lambda t: (t[0], t[4]))
        return [TokenInfo(t[4], t[0], Role(t[1]), t[2], t[3]) for t in rows]

    def list_kiosks(self) -> list[Kiosk]:
        return [self.database.kiosks[n] for n in sorted(self.database.kiosks)]

    def kiosk_by_session(self, session_hash: str) -> Kiosk | None:
        found = [k for k in list(self.database.kiosks.values()) if k.session_hash == session_hash]
        return found[0] if found else None

    def get_session(self, id_hash: str) -> Session | None:
        return self.database.sessions.get(id_hash)

    def get_kv(self, key: str) -> str | None:
        return self.database.kv.get(key)

    # -- transparency and retention ----------------------------------------------------------------------------
    def latest_checkpoint(self) -> StoredCheckpoint | None:
        checkpoints = self.database.checkpoints
        return checkpoints[max(checkpoints)] if checkpoints else None

    def list_checkpoints(self) -> list[StoredCheckpoint]:
        return [self.database.checkpoints[k] for k in sorted(self.database.checkpoints)]

    def count_events_before(self, when: float) -> int:
        return sum(1 for e in list(self.database.events.values()) if e.time < when)

    def count_resolved_alarms_before(self, when: float) -> int:
        return len(MemoryTxn(self.database).resolved_before(when))

    def integrity_problems(self) -> list[str]:
        return []

    # -- notification log and CAP messages ------------------------------------------------------------------
    def due_notifications(self, now: float, limit: int = 100) -> list[Notification]:
        first_pending: dict[tuple[int, str], int] = {}
        for n in list(self.database.notifications.values()):
            if n.status == "pending":
                first_pending.setdefault((n.alarm_id, n.receiver), n.id)
        due = [
            n
            for n in list(self.database.notifications.values())
            if n.status == "pending"
            and n.next_attempt <= now
            and first_pending[(n.alarm_id, n.receiver)] == n.id
        ]
        due.sort(key=lambda n: (n.next_attempt, n.id))
        return due[:limit]

    def notifications_for(self, alarm_id: int) -> list[Notification]:
        return [n for n in list(self.database.notifications.values()) if n.alarm_id == alarm_id]

    def last_notified(self, alarm_ids: Sequence[int]) -> dict[tuple[int, str], float]:
        wanted = set(alarm_ids)
        out: dict[tuple[int, str], float] = {}
        for n in list(self.database.notifications.values()):
            if n.alarm_id in wanted:
                key = (n.alarm_id, n.receiver)
                out[key] = max(out.get(key, n.created), n.created)
        return out

    def cap_messages(self, alarm_id: int) -> list[CapMessage]:
        return MemoryTxn(self.database).cap_messages_for(alarm_id)

    def cap_message(self, identifier: str) -> CapMessage | None:
        return self.database.cap_messages.get(identifier)

    def recent_cap_messages(self, limit: int = 100) -> list[CapMessage]:
        newest = sorted(list(self.database.cap_messages.values()), key=lambda m: (-m.sent, -m.version))
        return newest[:limit]

    # -- silences -------------------------------------------------------------------------------------------
    def silences(self, limit: int = 500) -> list[Silence]:
        return [_copy_silence(s) for s in reversed(list(self.database.silences.values()))][:limit]

    def live_silences(self) -> list[Silence]:
        return [_copy_silence(s) for s in list(self.database.silences.values()) if s.expired_at is None]

    def get_silence(self, silence_id: int) -> Silence | None:
        found = self.database.silences.get(silence_id)
        return _copy_silence(found) if found else None


def _order(a: Alarm) -> tuple[int, float, int]:
    """The listing order: most severe first, then newest first (the cursor compares these tuples)."""
    return (a.severity.rank, -a.first_seen, -a.id)


def _copy_silence(s: Silence) -> Silence:
    return replace(s, matchers=orjson.loads(canonical_json(s.matchers)))


__all__ = ["MemoryDatabase", "MemoryStore"]
