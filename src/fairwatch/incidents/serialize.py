"""JSON shapes of incidents, log entries and tasks as the API shows them, and the timeline (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fairwatch.events.validate import rfc3339
from fairwatch.incidents.lifecycle import allowed_actions
from fairwatch.incidents.model import IncidentState, LogKind
from fairwatch.model import AuditRecord
from fairwatch.store import Incident, LogEntry, Task


def _time(ts: float | None) -> str | None:
    return None if ts is None else rfc3339(ts)


def incident_json(i: Incident) -> dict[str, Any]:
    """An incident's record, with the actions its state allows."""
    return {
        "id": i.id, "number": i.number, "site": i.site, "title": i.title, "type": i.type,
        "severity": i.severity, "priority": i.priority, "state": i.state,
        "actions": [a.value for a in allowed_actions(IncidentState(i.state))],
        "disposition": i.disposition, "closing_note": i.closing_note, "owner": i.owner,
        "lead_agency": i.lead_agency, "agencies": list(i.agencies), "zone": i.zone, "location": i.location,
        "occurred_at": _time(i.occurred_at), "reported_at": _time(i.reported_at),
        "first_dispatch_at": _time(i.first_dispatch_at), "closed_at": _time(i.closed_at), "reporter": i.reporter,
        "major_incident": i.major_incident, "exercise": i.exercise, "version": i.version,
        "updated": _time(i.updated),
    }  # fmt: skip


def entry_json(e: LogEntry) -> dict[str, Any]:
    """A stored log entry."""
    out: dict[str, Any] = {
        "id": e.id, "incident_id": e.incident_id, "kind": e.kind, "text": e.text, "author": e.author,
        "occurred_at": _time(e.occurred_at), "entered_at": _time(e.entered_at), "source": "log",
    }  # fmt: skip
    for name in ("reason", "late_reason", "corrects", "methane"):
        value = getattr(e, name)
        if value is not None:
            out[name] = value
    return out


def entry_summary(e: LogEntry) -> dict[str, Any]:
    """What the event stream says of a new entry: never its text (narrative stays out of every stream)."""
    return {
        "id": e.id, "incident_id": e.incident_id, "kind": e.kind, "author": e.author,
        "occurred_at": _time(e.occurred_at), "entered_at": _time(e.entered_at), "corrects": e.corrects,
    }  # fmt: skip


def task_json(t: Task) -> dict[str, Any]:
    return {
        "id": t.id, "incident_id": t.incident_id, "title": t.title, "state": t.state, "assignee": t.assignee,
        "due": _time(t.due), "reason": t.reason, "card": t.card, "updated": _time(t.updated),
    }  # fmt: skip


def timeline(
    entries: Sequence[LogEntry], alarm_history: Iterable[tuple[int, AuditRecord]], order: str
) -> list[dict[str, Any]]:
    """The log with the merged alarms' history (raised, acknowledged, resolved, ...) as `system` entries, by
    `occurred_at` or `entered_at`; an alarm's history is read from its audit records, so it is never copied."""
    items = [entry_json(e) for e in entries]
    for alarm_id, rec in alarm_history:
        what = rec.action.removeprefix("alarm-")
        items.append(
            {
                "id": None,
                "incident_id": None,
                "kind": LogKind.SYSTEM.value,
                "text": f"alarm {alarm_id} {what}",
                "author": rec.actor,
                "occurred_at": rfc3339(rec.time),
                "entered_at": rfc3339(rec.time),
                "source": "alarm",
                "alarm_id": alarm_id,
                "audit_seq": rec.seq,
            }
        )
    key = "occurred_at" if order == "occurred" else "entered_at"
    # rfc3339 strings of one format sort as times; stored entries first on a tie, then by id / audit sequence.
    items.sort(key=lambda e: (e[key], e["source"] != "log", e["id"] or e.get("audit_seq", 0)))
    return items
