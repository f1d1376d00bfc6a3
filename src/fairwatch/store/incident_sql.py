"""Incidents, their alarms, control log and tasks on SQL (SQLite, PostgreSQL): mixed into `SqlStore`/`SqlTxn`."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict
from typing import Any

import orjson
from sqlalchemy import Connection, delete, select, update
from sqlalchemy.engine import Row

from fairwatch.errors import StaleWrite
from fairwatch.store import schema
from fairwatch.store.incident_rows import Incident, IncidentQuery, LogEntry, Task

_I = schema.incidents.c
_L = schema.incident_log.c
_T = schema.incident_tasks.c
_A = schema.incident_alarms.c


class IncidentSqlReads:
    """The `IncidentReads` part of `SqlStore`."""

    def _reader(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def list_incidents(self, query: IncidentQuery) -> list[Incident]:
        q = select(schema.incidents).order_by(_I.id.desc()).limit(query.limit)
        if query.states:
            q = q.where(_I.state.in_(query.states))
        if query.zones:
            q = q.where(_I.zone.in_(query.zones))
        if query.types:
            q = q.where(_I.type.in_(query.types))
        if query.since is not None:
            q = q.where(_I.occurred_at >= query.since)
        if query.before_id is not None:
            q = q.where(_I.id < query.before_id)
        with self._reader() as conn:
            return [incident_of(r) for r in conn.execute(q)]

    def get_incident(self, incident_id: int) -> Incident | None:
        with self._reader() as conn:
            return _get_incident(conn, incident_id)

    def incident_alarm_ids(self, incident_id: int) -> list[int]:
        q = select(_A.alarm_id).where(_A.incident_id == incident_id).order_by(_A.added, _A.alarm_id)
        with self._reader() as conn:
            return [int(i) for i in conn.execute(q).scalars()]

    def incident_log(self, incident_id: int | None, order: str = "entered") -> list[LogEntry]:
        where = _L.incident_id.is_(None) if incident_id is None else _L.incident_id == incident_id
        by = _L.occurred_at if order == "occurred" else _L.entered_at
        q = select(schema.incident_log).where(where).order_by(by, _L.id)
        with self._reader() as conn:
            return [_entry(r) for r in conn.execute(q)]

    def incident_tasks(self, incident_id: int) -> list[Task]:
        q = select(schema.incident_tasks).where(_T.incident_id == incident_id).order_by(_T.id)
        with self._reader() as conn:
            return [_task(r) for r in conn.execute(q)]

    def incident_number_for_alarm(self, alarm_id: int) -> str | None:
        q = (
            select(_I.number)
            .join(schema.incident_alarms, _A.incident_id == _I.id)
            .where(_A.alarm_id == alarm_id)
        )
        with self._reader() as conn:
            found = conn.execute(q).scalar()
        return None if found is None else str(found)


class IncidentSqlTxn:
    """The `IncidentTxn` part of `SqlTxn`."""

    conn: Connection

    def next_incident_number(self, site: str, prefix: str) -> int:
        q = select(_I.number).where(_I.site == site, _I.number.startswith(prefix, autoescape=True))
        numbers = [str(n)[len(prefix) :] for n in self.conn.execute(q).scalars()]
        return 1 + max((int(n) for n in numbers if n.isdigit()), default=0)

    def insert_incident(self, incident: Incident) -> int:
        row = _incident_row(incident)
        del row["id"]
        with _unique(f"incident number {incident.number} is taken at site {incident.site!r}"):
            result = self.conn.execute(schema.incidents.insert().values(**row))
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def update_incident(self, incident: Incident, expected_version: int) -> None:
        q = update(schema.incidents).where(_I.id == incident.id, _I.version == expected_version)
        if self.conn.execute(q.values(**_incident_row(incident))).rowcount != 1:
            found = self.conn.execute(select(_I.version).where(_I.id == incident.id)).scalar()
            raise StaleWrite(
                f"incident {incident.id}", expected_version, None if found is None else int(found)
            )

    def get_incident(self, incident_id: int) -> Incident | None:
        return _get_incident(self.conn, incident_id)

    def incidents_of_alarms(self, alarm_ids: Sequence[int]) -> dict[int, int]:
        q = select(_A.alarm_id, _A.incident_id).where(_A.alarm_id.in_(list(alarm_ids)))
        return {int(a): int(i) for a, i in self.conn.execute(q)}

    def link_alarm(self, incident_id: int, alarm_id: int, now: float) -> None:
        with _unique(f"alarm {alarm_id} belongs to an incident already"):
            values = {"alarm_id": alarm_id, "incident_id": incident_id, "added": now}
            self.conn.execute(schema.incident_alarms.insert().values(**values))

    def unlink_alarm(self, alarm_id: int) -> bool:
        done = self.conn.execute(delete(schema.incident_alarms).where(_A.alarm_id == alarm_id))
        return int(done.rowcount) == 1

    def insert_log_entry(self, entry: LogEntry) -> int:
        row = asdict(entry)
        del row["id"]
        row["methane"] = None if entry.methane is None else orjson.dumps(entry.methane).decode()
        result = self.conn.execute(schema.incident_log.insert().values(**row))
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def get_log_entry(self, entry_id: int) -> LogEntry | None:
        row = self.conn.execute(select(schema.incident_log).where(_L.id == entry_id)).first()
        return _entry(row) if row else None

    def insert_task(self, task: Task) -> int:
        row = asdict(task)
        del row["id"]
        result = self.conn.execute(schema.incident_tasks.insert().values(**row))
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def update_task(self, task: Task) -> None:
        self.conn.execute(update(schema.incident_tasks).where(_T.id == task.id).values(**asdict(task)))

    def get_task(self, task_id: int) -> Task | None:
        row = self.conn.execute(select(schema.incident_tasks).where(_T.id == task_id)).first()
        return _task(row) if row else None


def _unique(message: str) -> AbstractContextManager[None]:
    # The one translation of unique violations; sql.py imports this module, so it is read when first needed.
    from fairwatch.store.sql import _unique as unique

    return unique(message)


def _get_incident(conn: Connection, incident_id: int) -> Incident | None:
    row = conn.execute(select(schema.incidents).where(_I.id == incident_id)).first()
    return incident_of(row) if row else None


def _incident_row(incident: Incident) -> dict[str, Any]:
    row = asdict(incident)
    row["agencies"] = orjson.dumps(list(incident.agencies)).decode()
    row["location"] = None if incident.location is None else orjson.dumps(incident.location).decode()
    return row


def incident_of(r: Row[Any]) -> Incident:
    """An incident from its row."""
    values = dict(r._mapping)
    values["agencies"] = tuple(orjson.loads(values["agencies"]))
    values["location"] = None if values["location"] is None else orjson.loads(values["location"])
    values["exercise"] = bool(values["exercise"])
    return Incident(**values)


def _entry(r: Row[Any]) -> LogEntry:
    values = dict(r._mapping)
    values["methane"] = None if values["methane"] is None else orjson.loads(values["methane"])
    return LogEntry(**values)


def _task(r: Row[Any]) -> Task:
    return Task(**dict(r._mapping))
