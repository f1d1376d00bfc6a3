"""Incidents, their alarms, control log and tasks in memory: mixed into `MemoryStore`/`MemoryTxn`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import orjson

from fairwatch.errors import Duplicate, StaleWrite
from fairwatch.store.incident_rows import Incident, IncidentQuery, LogEntry, Task

if TYPE_CHECKING:
    from fairwatch.store.memory_txn import Journal, MemoryDatabase


class IncidentMemoryReads:
    """The `IncidentReads` part of `MemoryStore`."""

    database: MemoryDatabase

    def list_incidents(self, query: IncidentQuery) -> list[Incident]:
        found = [
            i
            for i in reversed(list(self.database.incidents.values()))
            if (not query.states or i.state in query.states)
            and (not query.zones or i.zone in query.zones)
            and (not query.types or i.type in query.types)
            and (query.since is None or i.occurred_at >= query.since)
            and (query.before_id is None or i.id < query.before_id)
        ]
        return [_copy(i) for i in found[: query.limit]]

    def get_incident(self, incident_id: int) -> Incident | None:
        found = self.database.incidents.get(incident_id)
        return _copy(found) if found else None

    def incident_alarm_ids(self, incident_id: int) -> list[int]:
        links = [
            (added, a) for a, (i, added) in list(self.database.incident_alarms.items()) if i == incident_id
        ]
        return [a for _, a in sorted(links)]

    def incident_log(self, incident_id: int | None, order: str = "entered") -> list[LogEntry]:
        found = [e for e in list(self.database.incident_log.values()) if e.incident_id == incident_id]
        found.sort(key=lambda e: (e.occurred_at if order == "occurred" else e.entered_at, e.id))
        return [_copy_entry(e) for e in found]

    def incident_tasks(self, incident_id: int) -> list[Task]:
        return [t for t in list(self.database.incident_tasks.values()) if t.incident_id == incident_id]

    def incident_number_for_alarm(self, alarm_id: int) -> str | None:
        link = self.database.incident_alarms.get(alarm_id)
        found = self.database.incidents.get(link[0]) if link else None
        return found.number if found else None


class IncidentMemoryTxn:
    """The `IncidentTxn` part of `MemoryTxn`."""

    db: MemoryDatabase
    journal: Journal

    def next_incident_number(self, site: str, prefix: str) -> int:
        numbers = [
            i.number[len(prefix) :]
            for i in self.db.incidents.values()
            if i.site == site and i.number.startswith(prefix)
        ]
        return 1 + max((int(n) for n in numbers if n.isdigit()), default=0)

    def insert_incident(self, incident: Incident) -> int:
        if any(i.site == incident.site and i.number == incident.number for i in self.db.incidents.values()):
            raise Duplicate(f"incident number {incident.number} is taken at site {incident.site!r}")
        incident_id = self.db.next_id("incidents")
        self.journal.put(self.db.incidents, incident_id, _copy(replace(incident, id=incident_id)))
        return incident_id

    def update_incident(self, incident: Incident, expected_version: int) -> None:
        stored = self.db.incidents.get(incident.id)
        if stored is None or stored.version != expected_version:
            found = None if stored is None else stored.version
            raise StaleWrite(f"incident {incident.id}", expected_version, found)
        self.journal.put(self.db.incidents, incident.id, _copy(incident))

    def get_incident(self, incident_id: int) -> Incident | None:
        found = self.db.incidents.get(incident_id)
        return _copy(found) if found else None

    def incidents_of_alarms(self, alarm_ids: Sequence[int]) -> dict[int, int]:
        links = self.db.incident_alarms
        return {a: links[a][0] for a in alarm_ids if a in links}

    def link_alarm(self, incident_id: int, alarm_id: int, now: float) -> None:
        if alarm_id in self.db.incident_alarms:
            raise Duplicate(f"alarm {alarm_id} belongs to an incident already")
        self.journal.put(self.db.incident_alarms, alarm_id, (incident_id, now))

    def unlink_alarm(self, alarm_id: int) -> bool:
        if alarm_id not in self.db.incident_alarms:
            return False
        self.journal.pop(self.db.incident_alarms, alarm_id)
        return True

    def insert_log_entry(self, entry: LogEntry) -> int:
        entry_id = self.db.next_id("incident_log")
        self.journal.put(self.db.incident_log, entry_id, _copy_entry(replace(entry, id=entry_id)))
        return entry_id

    def get_log_entry(self, entry_id: int) -> LogEntry | None:
        found = self.db.incident_log.get(entry_id)
        return _copy_entry(found) if found else None

    def insert_task(self, task: Task) -> int:
        task_id = self.db.next_id("incident_tasks")
        self.journal.put(self.db.incident_tasks, task_id, replace(task, id=task_id))
        return task_id

    def update_task(self, task: Task) -> None:
        if task.id in self.db.incident_tasks:
            self.journal.put(self.db.incident_tasks, task.id, task)

    def get_task(self, task_id: int) -> Task | None:
        return self.db.incident_tasks.get(task_id)


def _copy(i: Incident) -> Incident:
    """A copy that shares nothing mutable with the stored row."""
    return replace(i, location=None if i.location is None else dict(i.location))


def _copy_entry(e: LogEntry) -> LogEntry:
    return replace(e, methane=None if e.methane is None else orjson.loads(orjson.dumps(e.methane)))
