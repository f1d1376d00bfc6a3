"""`SqlStore`: the Store protocol on SQLAlchemy Core, for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    and_,
    create_engine,
    delete,
    event,
    exists,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import Engine, RootTransaction, Row
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import NullPool, StaticPool

from fairwatch.audit import Checkpoint, canonical_json, chain
from fairwatch.audit.roots import ChainHead, SignedRoot
from fairwatch.errors import Duplicate, StaleWrite, StoreUnavailable
from fairwatch.model import (
    Alarm,
    AlarmState,
    AuditEntry,
    AuditRecord,
    Disposition,
    Event,
    Location,
    Role,
    Severity,
)
from fairwatch.store import alarm_sql, audit_chains, failures, hot_sql, kiosk_sql, outbox, schema
from fairwatch.store.base import check_version_step
from fairwatch.store.incident_sql import IncidentSqlReads, IncidentSqlTxn
from fairwatch.store.rows import (
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
    TokenInfo,
    User,
)
from fairwatch.store.unit_sql import UnitSqlReads, UnitSqlTxn
from fairwatch.store.welfare_sql import WelfareSqlReads, WelfareSqlTxn

log = logging.getLogger(__name__)

_EVENT_COLS = ("eid", "source", "type", "time", "received", "site", "zone", "value", "location", "data")


def sqlite_url(data_dir: Path) -> str:
    """The default store: one SQLite file in the data directory."""
    return f"sqlite:///{(data_dir / 'fairwatch.db').resolve()}"


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")  # acknowledged means durable
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # The writer's IMMEDIATE takes the write lock up front, so the audit head read inside is consistent across
        # processes; readers use a plain (deferred) BEGIN and never wait for the writer.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("fairwatch_writer") else "BEGIN")


class SqlStore(IncidentSqlReads, UnitSqlReads, WelfareSqlReads):
    """Store on one SQLAlchemy engine. Writes are serialised by the caller's single writer task."""

    def __init__(
        self, url: str, *, chain: str = "", guard: Callable[[Connection], None] | None = None
    ) -> None:
        self.url = url
        self.chain = chain  # the audit chain this store's writes append to ("" = the single process's chain)
        # A cluster owner's fencing check (fairwatch/cluster/fence.py), run first in every write transaction;
        # it raises (e.g. `errors.Fenced`) to refuse the transaction. None: no check (the embedded default).
        self.guard = guard
        # A cluster worker sets this: due notification jobs are claimed (FOR UPDATE SKIP LOCKED, next attempt
        # pushed this many seconds ahead) so two processes never send one job twice (PostgreSQL only).
        self.claim_seconds: float | None = None
        self.dialect = url.split(":", 1)[0].split("+", 1)[0]
        try:
            if self.dialect == "sqlite":
                memory = ":memory:" in url or url.rstrip("/") == "sqlite:"
                self.engine = create_engine(
                    url,
                    poolclass=StaticPool if memory else NullPool,
                    connect_args={"check_same_thread": False},
                )
                _configure_sqlite(self.engine)
            else:
                self.engine = create_engine(url, pool_size=4, pool_pre_ping=True)
            schema.metadata.create_all(self.engine)
            audit_chains.migrate(self.engine, self.dialect)
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"cannot open store {self._safe_url()}: {exc}") from exc
        self._read = self.engine.connect() if self.dialect == "sqlite" else None
        # SQLite: the single writer keeps one connection open (no reconnect and PRAGMAs per transaction); after a
        # failed write it is rolled back, closed and replaced by a fresh one on the next write.
        self._one_writer = self.dialect == "sqlite"
        self._write: Connection | None = None
        if self._one_writer:
            self._writer()

    def _safe_url(self) -> str:
        return self.url.split("@")[-1] if "@" in self.url else self.url

    def _writer(self) -> Connection:
        """The single writer's connection, opened if there is none (at start, or after a failed write)."""
        if self._write is None:
            conn = self.engine.connect()
            conn.info["fairwatch_writer"] = True
            self._write = conn
        return self._write

    def _reset_writer(self) -> None:
        """After a failed write: roll back what is left and drop the connection, so that the next write starts
        clean on a new one (SQLite may have rolled back on its own, or opened the file read-only)."""
        conn, self._write = self._write, None
        if conn is None:
            return
        for step in (conn.rollback, conn.close):
            try:
                step()
            except Exception as exc:  # the connection is being thrown away: nothing more to do with it
                log.warning("resetting the writer connection: %s: %s", type(exc).__name__, exc)

    @contextmanager
    def transaction(self) -> Iterator[SqlTxn]:
        """One write transaction; commits on success, rolls back on any exception. A driver error becomes
        `StoreUnavailable` (naming the cause) or `Unstorable` (the data), and resets the writer connection."""
        if not self._one_writer:
            try:
                with self.engine.begin() as conn:
                    if self.guard is not None:
                        self.guard(conn)
                    yield SqlTxn(conn, self.dialect, self.chain)
            except SQLAlchemyError as exc:
                raise failures.translate(exc) from exc
            return
        try:
            conn = self._writer()
            with conn.begin():
                if self.guard is not None:
                    self.guard(conn)
                yield SqlTxn(conn, self.dialect, self.chain)
        except SQLAlchemyError as exc:
            self._reset_writer()
            raise failures.translate(exc) from exc
        except BaseException:
            if self._write is not None and self._write.in_transaction():
                self._reset_writer()
            raise

    @asynccontextmanager
    async def group_transaction(self) -> AsyncIterator[SqlTxn]:
        """Like `transaction`, but the COMMIT (the fsync) runs in a worker thread so the event loop keeps
        accepting requests meanwhile; sqlite3 releases the GIL while it commits. The caller must not start
        another write until this returns (the single writer guarantees it)."""
        if not self._one_writer:
            with self.transaction() as txn:
                yield txn
            return
        try:
            conn = self._writer()
            trans = conn.begin()
        except SQLAlchemyError as exc:
            self._reset_writer()
            raise failures.translate(exc) from exc
        try:
            if self.guard is not None:
                self.guard(conn)
            yield SqlTxn(conn, self.dialect, self.chain)
        except BaseException as exc:
            self._abandon(trans)
            if isinstance(exc, SQLAlchemyError):
                raise failures.translate(exc) from exc
            raise
        try:
            await asyncio.get_running_loop().run_in_executor(None, trans.commit)
        except SQLAlchemyError as exc:
            self._reset_writer()
            raise failures.translate(exc) from exc

    def _abandon(self, trans: RootTransaction) -> None:
        """Roll back a transaction that failed before its COMMIT; reset the connection if that is not clean."""
        try:
            trans.rollback()
        except SQLAlchemyError as exc:
            log.warning("rollback failed: %s", failures.cause(exc)[0])
        if self._write is not None and self._write.in_transaction():
            self._reset_writer()

    @contextmanager
    def _reader(self) -> Iterator[Connection]:
        if self._read is not None:
            yield self._read
            if self._read.in_transaction():
                self._read.rollback()
        else:
            with self.engine.connect() as conn:
                yield conn

    def close(self) -> None:
        if self._write is not None:
            self._write.close()
            self._write = None
        if self._read is not None:
            self._read.close()
        self.engine.dispose()

    def ping(self) -> bool:
        try:
            with self._reader() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except SQLAlchemyError:
            return False

    # -- alarms ---------------------------------------------------------------------------------------------
    def open_alarms(self) -> list[Alarm]:
        q = select(schema.alarms).where(schema.alarms.c.state != AlarmState.RESOLVED.value)
        with self._reader() as conn:
            return [_alarm(r) for r in conn.execute(q)]

    def list_alarms(self, query: AlarmQuery) -> list[Alarm]:
        a = schema.alarms.c
        q = select(schema.alarms)
        if query.states:
            q = q.where(a.state.in_(query.states))
        if query.severities:
            q = q.where(a.severity.in_(query.severities))
        if query.zones:
            q = q.where(a.zone.in_(query.zones))
        if query.types:
            q = q.where(a.type.in_(query.types))
        if query.active is not None:
            q = q.where(a.active == query.active)
        if query.since is not None:
            q = q.where(a.last_seen >= query.since)
        if query.until is not None:
            q = q.where(a.first_seen <= query.until)
        if query.search is not None and query.search.words:
            q = q.where(alarm_sql.search_clause(query.search, self.dialect))
        if not query.children:
            q = q.where(_not_hidden_child())
        if query.after is not None:
            rank, neg_first, last_id = query.after
            q = q.where(tuple_(a.severity_rank, -a.first_seen, -a.id) > tuple_(rank, neg_first, -last_id))
        q = q.order_by(a.severity_rank, a.first_seen.desc(), a.id.desc()).limit(query.limit)
        with self._reader() as conn:
            return [_alarm(r) for r in conn.execute(q)]

    def get_alarm(self, alarm_id: int) -> Alarm | None:
        with self._reader() as conn:
            row = conn.execute(select(schema.alarms).where(schema.alarms.c.id == alarm_id)).first()
        return _alarm(row) if row else None

    def shelves(self, alarm_ids: Sequence[int] | None = None) -> dict[int, Shelf]:
        with self._reader() as conn:
            return alarm_sql.shelves(conn, alarm_ids)

    def alarm_links(self, alarm_ids: Sequence[int]) -> dict[int, AlarmLinks]:
        """Parent and child count of each alarm in `alarm_ids` that has either (others are top-level, childless)."""
        with self._reader() as conn:
            return _alarm_links(conn, alarm_ids)

    def children_of(self, parent_id: int) -> list[Alarm]:
        with self._reader() as conn:
            return _children_of(conn, parent_id)

    def occurrences(self, alarm_id: int, limit: int = 100) -> list[Occurrence]:
        o = schema.occurrences.c
        q = select(schema.occurrences).where(o.alarm_id == alarm_id).order_by(o.id.desc()).limit(limit)
        with self._reader() as conn:
            rows = list(conn.execute(q))
        return [
            Occurrence(
                r.alarm_id, r.time, r.kind, r.reason, r.value, tuple(orjson.loads(r.event_ids)), r.explanation
            )
            for r in reversed(rows)
        ]

    # -- events ---------------------------------------------------------------------------------------------
    def events_by_ids(self, ids: Sequence[str]) -> list[Event]:
        if not ids:
            return []
        q = select(schema.events).where(schema.events.c.eid.in_(list(ids))).order_by(schema.events.c.seq)
        with self._reader() as conn:
            return [_event(r) for r in conn.execute(q)]

    def iter_events(self, since: float | None = None, until: float | None = None) -> Iterator[Event]:
        e = schema.events.c
        last = 0
        while True:
            q = select(schema.events).where(e.seq > last)
            if since is not None:
                q = q.where(e.time >= since)
            if until is not None:
                q = q.where(e.time < until)
            q = q.order_by(e.seq).limit(5000)
            with self._reader() as conn:
                rows = list(conn.execute(q))
            if not rows:
                return
            last = rows[-1].seq
            yield from (_event(r) for r in rows)

    def count_events(self) -> int:
        with self._reader() as conn:
            return int(conn.execute(select(func.count()).select_from(schema.events)).scalar_one())

    # -- audit ----------------------------------------------------------------------------------------------
    def history(self, obj: str) -> list[AuditRecord]:
        a = schema.audit.c
        with self._reader() as conn:
            rows = conn.execute(select(schema.audit).where(a.object == obj).order_by(a.seq))
            return [_audit(r) for r in rows]

    def iter_audit(self, start_seq: int = 1, chain: str | None = None) -> Iterator[AuditRecord]:
        """The records of chain `chain` (default: this store's) from `start_seq`, in seq order, paged."""
        a = schema.audit.c
        name = self.chain if chain is None else chain
        last = start_seq - 1
        while True:
            q = select(schema.audit).where(a.chain == name, a.seq > last).order_by(a.seq).limit(5000)
            with self._reader() as conn:
                rows = list(conn.execute(q))
            if not rows:
                return
            last = rows[-1].seq
            yield from (_audit(r) for r in rows)

    def audit_head(self) -> AuditRecord | None:
        with self._reader() as conn:
            row = conn.execute(_head_query(self.chain)).first()
        return _audit(row) if row else None

    def audit_chain_heads(self) -> list[ChainHead]:
        """Every audit chain's size and head hash, in chain-name order."""
        with self._reader() as conn:
            return audit_chains.chain_heads(conn)

    def list_roots(self) -> list[SignedRoot]:
        """Every signed root over the chain heads, oldest first."""
        with self._reader() as conn:
            return audit_chains.list_roots(conn)

    def latest_root(self) -> SignedRoot | None:
        with self._reader() as conn:
            return audit_chains.latest_root(conn)

    # -- access ---------------------------------------------------------------------------------------------
    def token_role(self, token_hash: str) -> Role | None:
        t = schema.tokens.c
        with self._reader() as conn:
            row = conn.execute(select(t.role).where(t.hash == token_hash, t.revoked.is_(None))).first()
        return Role(row.role) if row else None

    def get_user(self, name: str) -> User | None:
        with self._reader() as conn:
            row = conn.execute(select(schema.users).where(schema.users.c.name == name)).first()
        return _user(row) if row else None

    def list_users(self) -> list[User]:
        with self._reader() as conn:
            return [_user(r) for r in conn.execute(select(schema.users).order_by(schema.users.c.name))]

    def list_tokens(self) -> list[TokenInfo]:
        t = schema.tokens.c
        with self._reader() as conn:
            rows = conn.execute(select(t.id, t.name, t.role, t.created, t.revoked).order_by(t.name, t.id))
            return [TokenInfo(r.id, r.name, Role(r.role), r.created, r.revoked) for r in rows]

    def list_kiosks(self) -> list[Kiosk]:
        with self._reader() as conn:
            return kiosk_sql.list_kiosks(conn)

    def kiosk_by_session(self, session_hash: str) -> Kiosk | None:
        with self._reader() as conn:
            return kiosk_sql.kiosk_by_session(conn, session_hash)

    def get_kv(self, key: str) -> str | None:
        with self._reader() as conn:
            row = conn.execute(select(schema.kv.c.value).where(schema.kv.c.key == key)).first()
        return str(row.value) if row else None

    # -- transparency and retention ----------------------------------------------------------------------------
    def latest_checkpoint(self) -> StoredCheckpoint | None:
        """The signed checkpoint of the largest size, or None before the first."""
        c = schema.checkpoints.c
        with self._reader() as conn:
            row = conn.execute(select(schema.checkpoints).order_by(c.size.desc()).limit(1)).first()
        return _checkpoint(row) if row else None

    def list_checkpoints(self) -> list[StoredCheckpoint]:
        """Every signed checkpoint, smallest size first."""
        c = schema.checkpoints.c
        with self._reader() as conn:
            return [_checkpoint(r) for r in conn.execute(select(schema.checkpoints).order_by(c.size))]

    def audit_hashes(self, start_seq: int, end_seq: int) -> Iterator[tuple[int, str]]:
        """(seq, hash) of the records start_seq..end_seq in seq order, on a connection of its own.

        Safe from a worker thread, and on SQLite it never takes the write lock, so long proofs do not stall
        the writer (every statement reads its own WAL snapshot; the log is append-only, so pages agree).
        """
        a = schema.audit.c
        last = start_seq - 1
        raw = self.engine.raw_connection()
        try:
            while last < end_seq:
                q = select(a.seq, a.hash).where(a.chain == self.chain, a.seq > last, a.seq <= end_seq)
                q = q.order_by(a.seq).limit(20_000)
                sql = str(q.compile(dialect=self.engine.dialect, compile_kwargs={"literal_binds": True}))
                cur = raw.cursor()
                cur.execute(sql)
                rows = cur.fetchall()
                cur.close()
                if not rows:
                    return
                last = int(rows[-1][0])
                yield from ((int(seq), str(digest)) for seq, digest in rows)
        finally:
            raw.close()

    def count_events_before(self, when: float) -> int:
        """How many events a purge with cut-off `when` would delete."""
        q = select(func.count()).select_from(schema.events).where(schema.events.c.time < when)
        with self._reader() as conn:
            return int(conn.execute(q).scalar_one())

    def count_resolved_alarms_before(self, when: float) -> int:
        """How many resolved alarms a purge with cut-off `when` would delete."""
        a = schema.alarms.c
        q = select(func.count()).select_from(schema.alarms)
        q = q.where(a.state == AlarmState.RESOLVED.value, a.updated < when)
        with self._reader() as conn:
            return int(conn.execute(q).scalar_one())

    def integrity_problems(self) -> list[str]:
        """What SQLite's `PRAGMA quick_check` finds wrong with the database file; always [] elsewhere."""
        if self.dialect != "sqlite":
            return []
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute("PRAGMA quick_check")
            found = [str(row[0]) for row in cur.fetchall()]
            cur.close()
        except Exception as exc:  # a damaged file can fail the check itself
            return [f"quick_check failed: {exc}"]
        finally:
            raw.close()
        return [] if found == ["ok"] else found

    # -- console sessions and recent history -----------------------------------------------------------------
    def get_session(self, id_hash: str) -> Session | None:
        s = schema.sessions.c
        with self._reader() as conn:
            row = conn.execute(select(schema.sessions).where(s.id_hash == id_hash)).first()
        return Session(row.id_hash, row.user_name, row.created, row.last_seen) if row else None

    def audit_since(self, since: float, limit: int = 5000) -> list[AuditRecord]:
        """Audit records at or after `since`, oldest first, at most `limit` (the newest ones)."""
        a = schema.audit.c
        q = select(schema.audit).where(a.time >= since).order_by(a.seq.desc()).limit(limit)
        with self._reader() as conn:
            return [_audit(r) for r in reversed(list(conn.execute(q)))]

    def history_since(self, obj: str, since: float) -> list[AuditRecord]:
        """Audit records of one object at or after `since`, oldest first."""
        a = schema.audit.c
        q = select(schema.audit).where(a.object == obj, a.time >= since).order_by(a.seq)
        with self._reader() as conn:
            return [_audit(r) for r in conn.execute(q)]

    # -- notification log and CAP messages (SQL in store/outbox.py) -----------------------------------------
    def due_notifications(self, now: float, limit: int = 100) -> list[Notification]:
        if self.claim_seconds is not None and self.dialect == "postgresql":
            with self.transaction() as txn:
                return outbox.claim_due(txn.conn, now, limit, self.claim_seconds)
        with self._reader() as conn:
            return outbox.due_notifications(conn, now, limit)

    def notifications_for(self, alarm_id: int) -> list[Notification]:
        with self._reader() as conn:
            return outbox.notifications_for(conn, alarm_id)

    def last_notified(self, alarm_ids: Sequence[int]) -> dict[tuple[int, str], float]:
        with self._reader() as conn:
            return outbox.last_notified(conn, alarm_ids)

    def cap_messages(self, alarm_id: int) -> list[CapMessage]:
        with self._reader() as conn:
            return outbox.cap_messages(conn, alarm_id)

    def cap_message(self, identifier: str) -> CapMessage | None:
        with self._reader() as conn:
            return outbox.cap_message(conn, identifier)

    def recent_cap_messages(self, limit: int = 100) -> list[CapMessage]:
        with self._reader() as conn:
            return outbox.recent_cap_messages(conn, limit)

    # -- silences (notify/silences.py) -------------------------------------------------------------------------
    def silences(self, limit: int = 500) -> list[Silence]:
        """The newest silences first, ended ones included."""
        q = select(schema.silences).order_by(schema.silences.c.id.desc()).limit(limit)
        with self._reader() as conn:
            return [_silence(r) for r in conn.execute(q)]

    def live_silences(self) -> list[Silence]:
        """Silences whose end has not been handled yet (pending, active, or ended while the server was down)."""
        s = schema.silences.c
        q = select(schema.silences).where(s.expired_at.is_(None)).order_by(s.id)
        with self._reader() as conn:
            return [_silence(r) for r in conn.execute(q)]

    def get_silence(self, silence_id: int) -> Silence | None:
        q = select(schema.silences).where(schema.silences.c.id == silence_id)
        with self._reader() as conn:
            row = conn.execute(q).first()
        return _silence(row) if row else None


class SqlTxn(IncidentSqlTxn, UnitSqlTxn, WelfareSqlTxn):
    """The write side of one transaction."""

    def __init__(self, conn: Connection, dialect: str, chain: str = "") -> None:
        self.conn = conn
        self.dialect = dialect
        self.chain = chain
        self._head: AuditRecord | None = None
        self._head_loaded = False

    def existing_event_keys(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        if not keys:
            return set()
        e = schema.events.c
        found: set[tuple[str, str]] = set()
        ids = list({k[0] for k in keys})
        if self.dialect == "sqlite":  # the hot path, through the driver (store/hot_sql.py)
            return hot_sql.existing_keys(self.conn, ids)
        for i in range(0, len(ids), hot_sql.IN_CHUNK):
            q = select(e.eid, e.source).where(e.eid.in_(ids[i : i + hot_sql.IN_CHUNK]))
            found.update((r.eid, r.source) for r in self.conn.execute(q))
        return found

    def insert_events(self, events: Sequence[Event]) -> None:
        if events:
            rows = [_event_row(ev) for ev in events]
            with _unique("an event with the same (id, source) is stored already"):
                if self.dialect == "sqlite":  # the hot path, through the driver (store/hot_sql.py)
                    hot_sql.insert(self.conn, schema.events, rows)
                else:
                    self.conn.execute(schema.events.insert(), rows)

    def insert_alarm(self, alarm: Alarm) -> int:
        row = _alarm_row(alarm)
        del row["id"]
        with _unique(f"alarm key {alarm.key!r} has an open alarm already"):
            result = self.conn.execute(schema.alarms.insert().values(**row))
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def update_alarm(self, alarm: Alarm, expected_version: int) -> None:
        """Write `alarm` over its row if the row is still at `expected_version`; StaleWrite if another writer
        changed it since (a compare-and-set: a lost race is refused, never silently overwritten)."""
        check_version_step(alarm, expected_version)
        a = schema.alarms.c
        q = update(schema.alarms).where(a.id == alarm.id, a.version == expected_version)
        with _unique(f"alarm key {alarm.key!r} has an open alarm already"):
            done = self.conn.execute(q.values(**_alarm_row(alarm))).rowcount
        if done != 1:
            found = self.conn.execute(select(a.version).where(a.id == alarm.id)).scalar()
            raise StaleWrite(f"alarm {alarm.id}", expected_version, None if found is None else int(found))

    def get_alarm(self, alarm_id: int) -> Alarm | None:
        row = self.conn.execute(select(schema.alarms).where(schema.alarms.c.id == alarm_id)).first()
        return _alarm(row) if row else None

    def open_alarm_for_key(self, key: str) -> Alarm | None:
        a = schema.alarms.c
        q = select(schema.alarms).where(a.key == key, a.state != AlarmState.RESOLVED.value)
        row = self.conn.execute(q).first()
        return _alarm(row) if row else None

    def set_alarm_parent(self, alarm_id: int, parent_id: int) -> None:
        a = schema.alarms.c
        self.conn.execute(update(schema.alarms).where(a.id == alarm_id).values(parent_id=parent_id))

    def parent_of(self, alarm_id: int) -> int | None:
        a = schema.alarms.c
        found = self.conn.execute(select(a.parent_id).where(a.id == alarm_id)).scalar()
        return int(found) if found is not None else None

    def children_of(self, parent_id: int) -> list[Alarm]:
        return _children_of(self.conn, parent_id)

    def insert_occurrences(self, rows: Sequence[Occurrence]) -> None:
        if not rows:
            return
        values = [
            {
                "alarm_id": o.alarm_id,
                "time": o.time,
                "kind": o.kind,
                "reason": o.reason,
                "value": o.value,
                "event_ids": orjson.dumps(list(o.event_ids)).decode(),
                "explanation": o.explanation,
            }
            for o in rows
        ]
        if self.dialect == "sqlite":  # the alarm storm's hot path, through the driver (store/hot_sql.py)
            hot_sql.insert(self.conn, schema.occurrences, values)
        else:
            self.conn.execute(schema.occurrences.insert(), values)

    def put_shelf(self, shelf: Shelf) -> None:
        alarm_sql.put_shelf(self.conn, shelf)

    def delete_shelf(self, alarm_id: int) -> bool:
        return alarm_sql.delete_shelf(self.conn, alarm_id)

    def append_audit(self, entry: AuditEntry) -> AuditRecord:
        if not self._head_loaded:
            if self.dialect == "postgresql":  # one lock per chain: appends to other chains do not wait
                self.conn.exec_driver_sql(
                    f"SELECT pg_advisory_xact_lock({audit_chains.chain_lock_key(self.chain)})"
                )
            row = self.conn.execute(_head_query(self.chain)).first()
            self._head = _audit(row) if row else None
            self._head_loaded = True
        rec = chain(self._head, entry)
        self.conn.execute(
            schema.audit.insert().values(
                seq=rec.seq,
                time=rec.time,
                actor=rec.actor,
                action=rec.action,
                object=rec.object,
                details=canonical_json(rec.details).decode(),
                prev_hash=rec.prev_hash,
                hash=rec.hash,
                chain=self.chain,
            )
        )
        self._head = rec
        return rec

    def insert_root(self, signed: SignedRoot) -> None:
        """Store a signed root over the chain heads (cluster/checkpointer.py)."""
        audit_chains.insert_root(self.conn, signed)

    def insert_token(self, name: str, role: Role, token_hash: str, now: float) -> int:
        with _unique(f"token {name!r}: its hash is in use already"):
            result = self.conn.execute(
                schema.tokens.insert().values(name=name, role=role.value, hash=token_hash, created=now)
            )
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def revoke_tokens(self, name: str, now: float) -> list[str]:
        t = schema.tokens.c
        live = (t.name == name) & t.revoked.is_(None)
        hashes = [r.hash for r in self.conn.execute(select(t.hash).where(live))]
        if hashes:
            self.conn.execute(update(schema.tokens).where(live).values(revoked=now))
        return hashes

    def set_user_disabled(self, name: str, disabled: bool) -> bool:
        u = schema.users.c
        return bool(
            self.conn.execute(update(schema.users).where(u.name == name).values(disabled=disabled)).rowcount
        )

    def delete_user_sessions(self, name: str) -> int:
        s = schema.sessions.c
        return int(self.conn.execute(delete(schema.sessions).where(s.user_name == name)).rowcount)

    def get_kiosk(self, name: str) -> Kiosk | None:
        return kiosk_sql.get_kiosk(self.conn, name)

    def put_kiosk(self, kiosk: Kiosk) -> None:
        with _unique("a kiosk link or session is stored already"):
            kiosk_sql.put_kiosk(self.conn, kiosk)

    def claim_kiosk(self, link_hash: str, session_hash: str, now: float) -> Kiosk | None:
        return kiosk_sql.claim_kiosk(self.conn, link_hash, session_hash, now)

    def revoke_kiosk(self, name: str, now: float) -> Kiosk | None:
        return kiosk_sql.revoke_kiosk(self.conn, name, now)

    def upsert_user(self, user: User) -> None:
        u = schema.users.c
        values = {
            "role": user.role.value,
            "password_hash": user.password_hash,
            "created": user.created,
            "disabled": user.disabled,
        }
        done = self.conn.execute(update(schema.users).where(u.name == user.name).values(**values))
        if done.rowcount == 0:
            self.conn.execute(schema.users.insert().values(name=user.name, **values))

    def delete_events_before(self, when: float) -> int:
        return int(self.conn.execute(delete(schema.events).where(schema.events.c.time < when)).rowcount)

    def delete_resolved_alarms_before(self, when: float) -> int:
        a = schema.alarms.c
        old = select(a.id).where(a.state == AlarmState.RESOLVED.value, a.updated < when)
        self.conn.execute(delete(schema.occurrences).where(schema.occurrences.c.alarm_id.in_(old)))
        done = self.conn.execute(
            delete(schema.alarms).where(a.state == AlarmState.RESOLVED.value, a.updated < when)
        )
        return int(done.rowcount)

    def set_kv(self, key: str, value: str) -> None:
        k = schema.kv.c
        done = self.conn.execute(update(schema.kv).where(k.key == key).values(value=value))
        if done.rowcount == 0:
            self.conn.execute(schema.kv.insert().values(key=key, value=value))

    def insert_checkpoint(self, stored: StoredCheckpoint) -> None:
        cp = stored.checkpoint
        statement = schema.checkpoints.insert().values(
            size=cp.size,
            root=cp.root,
            time=cp.time,
            key_id=cp.key_id,
            signature=cp.signature,
            last_hash=stored.last_hash,
            compact=",".join(h.hex() for h in stored.compact),
        )
        with _unique(f"a checkpoint of size {cp.size} exists already"):
            self.conn.execute(statement)

    def insert_session(self, session: Session) -> None:
        with _unique("a session with this id exists already"):
            self._insert_session(session)

    def _insert_session(self, session: Session) -> None:
        self.conn.execute(
            schema.sessions.insert().values(
                id_hash=session.id_hash,
                user_name=session.user,
                created=session.created,
                last_seen=session.last_seen,
            )
        )

    def touch_session(self, id_hash: str, now: float) -> None:
        s = schema.sessions.c
        self.conn.execute(
            update(schema.sessions).where(s.id_hash == id_hash, s.last_seen < now).values(last_seen=now)
        )

    def delete_session(self, id_hash: str) -> int:
        return int(
            self.conn.execute(delete(schema.sessions).where(schema.sessions.c.id_hash == id_hash)).rowcount
        )

    def delete_sessions_before(self, idle_before: float, created_before: float) -> int:
        """Remove sessions idle since before `idle_before` or created before `created_before`."""
        s = schema.sessions.c
        stale = (s.last_seen < idle_before) | (s.created < created_before)
        return int(self.conn.execute(delete(schema.sessions).where(stale)).rowcount)

    # -- notification log and CAP messages (SQL in store/outbox.py) -----------------------------------------
    def insert_notifications(self, rows: Sequence[Notification]) -> int:
        return outbox.insert_notifications(self.conn, rows)

    def update_notifications(self, rows: Sequence[Notification]) -> None:
        outbox.update_notifications(self.conn, rows)

    def cap_messages_for(self, alarm_id: int) -> list[CapMessage]:
        return outbox.cap_messages(self.conn, alarm_id)

    def insert_cap_message(self, message: CapMessage) -> bool:
        return outbox.insert_cap_message(self.conn, message)

    def delete_notifications_before(self, when: float) -> int:
        return outbox.delete_before(self.conn, when)

    # -- silences (notify/silences.py) -------------------------------------------------------------------------
    def insert_silence(self, silence: Silence) -> int:
        result = self.conn.execute(
            schema.silences.insert().values(
                matchers=orjson.dumps(silence.matchers).decode(),
                starts_at=silence.starts_at,
                ends_at=silence.ends_at,
                reason=silence.reason,
                created_by=silence.created_by,
                created_at=silence.created_at,
            )
        )
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def expire_silence(self, silence_id: int, ends_at: float, expired_at: float, expired_by: str) -> bool:
        """Mark a silence's end handled; False if it was handled already (so it is audited once)."""
        s = schema.silences.c
        done = self.conn.execute(
            update(schema.silences)
            .where(s.id == silence_id, s.expired_at.is_(None))
            .values(ends_at=ends_at, expired_at=expired_at, expired_by=expired_by)
        )
        return int(done.rowcount) == 1


@contextmanager
def _unique(message: str) -> Iterator[None]:
    """Translate the database's unique-constraint error into `Duplicate` (no driver text leaves the store); any
    other refusal (a trigger, a check, a value the store cannot hold) goes on to become `Unstorable`."""
    try:
        yield
    except IntegrityError as exc:
        if _unique_violation(exc):
            raise Duplicate(message) from exc
        raise


def _unique_violation(exc: IntegrityError) -> bool:
    orig = exc.orig
    state = getattr(orig, "sqlstate", None)
    if isinstance(state, str):
        return state == "23505"  # PostgreSQL unique_violation
    name = getattr(orig, "sqlite_errorname", "")
    return name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY")


# -- flood groups (alarms/flood.py) ------------------------------------------------------------------------
def _not_hidden_child() -> Any:
    """A top-level alarm, or an unresolved child whose parent is resolved or purged: no alarm that still needs
    handling is ever hidden, and children handled with their parent stay in its group."""
    a = schema.alarms.c
    parent = schema.alarms.alias("parent")
    resolved = AlarmState.RESOLVED.value
    open_parent = exists().where(parent.c.id == a.parent_id, parent.c.state != resolved)
    return or_(a.parent_id.is_(None), and_(a.state != resolved, ~open_parent))


def _alarm_links(conn: Connection, alarm_ids: Sequence[int]) -> dict[int, AlarmLinks]:
    a = schema.alarms.c
    parents: dict[int, int] = {}
    counts: dict[int, int] = {}
    ids = list(dict.fromkeys(alarm_ids))
    for i in range(0, len(ids), 900):
        chunk = ids[i : i + 900]
        q = select(a.id, a.parent_id).where(and_(a.id.in_(chunk), a.parent_id.is_not(None)))
        parents.update((int(r.id), int(r.parent_id)) for r in conn.execute(q))
        q = select(a.parent_id, func.count()).where(a.parent_id.in_(chunk)).group_by(a.parent_id)
        counts.update((int(pid), int(n)) for pid, n in conn.execute(q))
    return {i: AlarmLinks(parents.get(i), counts.get(i, 0)) for i in parents.keys() | counts.keys()}


def _children_of(conn: Connection, parent_id: int) -> list[Alarm]:
    a = schema.alarms.c
    q = select(schema.alarms).where(a.parent_id == parent_id).order_by(a.id)
    return [_alarm(r) for r in conn.execute(q)]


# -- row mapping -------------------------------------------------------------------------------------------
def _event_row(ev: Event) -> dict[str, Any]:
    return {
        "eid": ev.id,
        "source": ev.source,
        "type": ev.type,
        "time": ev.time,
        "received": ev.received,
        "site": ev.site,
        "zone": ev.zone,
        "value": ev.value,
        "location": orjson.dumps(ev.location.as_dict()).decode() if ev.location else None,
        "data": orjson.dumps(ev.data).decode() if ev.data else None,
    }


def _event(r: Row[Any]) -> Event:
    loc = orjson.loads(r.location) if r.location else None
    return Event(
        id=r.eid,
        source=r.source,
        type=r.type,
        time=r.time,
        received=r.received,
        site=r.site,
        zone=r.zone,
        value=r.value,
        location=Location(**loc) if loc else None,
        data=orjson.loads(r.data) if r.data else {},
    )


def _alarm_row(a: Alarm) -> dict[str, Any]:
    return {
        "id": a.id,
        "key": a.key,
        "rule": a.rule,
        "type": a.type,
        "severity": a.severity.value,
        "severity_rank": a.severity.rank,
        "state": a.state.value,
        "active": a.active,
        "site": a.site,
        "zone": a.zone,
        "group_json": orjson.dumps(a.group).decode(),
        "count": a.count,
        "first_seen": a.first_seen,
        "last_seen": a.last_seen,
        "assignee": a.assignee,
        "disposition": a.disposition.value if a.disposition else None,
        "updated": a.updated,
        "version": a.version,
        "explanation": a.explanation,
        "sources_json": orjson.dumps(a.sources).decode(),
    }


def _alarm(r: Row[Any]) -> Alarm:
    return Alarm(
        id=int(r.id),
        key=r.key,
        rule=r.rule,
        type=r.type,
        severity=Severity(r.severity),
        state=AlarmState(r.state),
        active=bool(r.active),
        site=r.site,
        zone=r.zone,
        group=orjson.loads(r.group_json),
        count=r._mapping["count"],
        first_seen=r.first_seen,
        last_seen=r.last_seen,
        assignee=r.assignee,
        disposition=Disposition(r.disposition) if r.disposition else None,
        updated=r.updated,
        version=r.version,
        explanation=r.explanation,
        sources=orjson.loads(r.sources_json),
    )


def _head_query(chain: str) -> Any:
    a = schema.audit.c
    return select(schema.audit).where(a.chain == chain).order_by(a.seq.desc()).limit(1)


def _audit(r: Row[Any]) -> AuditRecord:
    return AuditRecord(
        seq=int(r.seq),
        time=r.time,
        actor=r.actor,
        action=r.action,
        object=r.object,
        details=orjson.loads(r.details),
        prev_hash=r.prev_hash,
        hash=r.hash,
    )


def _checkpoint(r: Row[Any]) -> StoredCheckpoint:
    cp = Checkpoint(int(r.size), r.root, float(r.time), r.key_id, r.signature)
    compact = tuple(bytes.fromhex(h) for h in r.compact.split(",") if h)
    return StoredCheckpoint(cp, r.last_hash, compact)


def _silence(r: Row[Any]) -> Silence:
    return Silence(
        matchers=orjson.loads(r.matchers),
        starts_at=float(r.starts_at),
        ends_at=float(r.ends_at),
        reason=r.reason,
        created_by=r.created_by,
        created_at=float(r.created_at),
        expired_at=None if r.expired_at is None else float(r.expired_at),
        expired_by=r.expired_by,
        id=int(r.id),
    )


def _user(r: Row[Any]) -> User:
    return User(r.name, Role(r.role), r.password_hash, r.created, bool(r.disabled))
