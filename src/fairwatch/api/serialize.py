"""JSON shapes of alarms, events and audit records as the API and the stream show them."""

from __future__ import annotations

from typing import Any

from fairwatch.alarms import AlarmChange
from fairwatch.alarms.serialize import alarm_fields
from fairwatch.events.validate import rfc3339
from fairwatch.model import Alarm, AuditRecord, Event
from fairwatch.store import AlarmLinks, Occurrence, Shelf


def alarm_json(
    a: Alarm, links: AlarmLinks | None = None, *, counted: bool = True, level: int | None = None
) -> dict[str, Any]:
    """An alarm as the API shows it; `links` are its flood parent and child count (none when None); `level` is
    the escalation level its current episode reached (docs/escalation.md).

    `counted=False` leaves `children` out, where the count is not known (the stream); `level=None` leaves
    `escalation_level` out.
    """
    out = alarm_fields(a)
    out["parent_id"] = links.parent_id if links else None
    if counted:
        out["children"] = links.children if links else 0
    if level is not None:
        out["escalation_level"] = level
    return out


def event_json(e: Event) -> dict[str, Any]:
    """A stored event in the shape it was sent."""
    out: dict[str, Any] = {"id": e.id, "source": e.source, "type": e.type, "time": rfc3339(e.time)}
    for name in ("site", "zone", "value"):
        value = getattr(e, name)
        if value is not None:
            out[name] = value
    if e.location is not None:
        out["location"] = e.location.as_dict()
    if e.data:
        out["data"] = e.data
    out["received"] = rfc3339(e.received)
    return out


def audit_json(r: AuditRecord) -> dict[str, Any]:
    """An audit record."""
    return {
        "seq": r.seq,
        "time": rfc3339(r.time),
        "actor": r.actor,
        "action": r.action,
        "object": r.object,
        "details": r.details,
        "prev_hash": r.prev_hash,
        "hash": r.hash,
    }


def occurrence_json(o: Occurrence) -> dict[str, Any]:
    """One decision recorded against an alarm."""
    return {
        "time": rfc3339(o.time),
        "kind": o.kind,
        "reason": o.reason,
        "value": o.value,
        "event_ids": list(o.event_ids),
        "explanation": o.explanation,
    }


def change_json(c: AlarmChange) -> dict[str, Any]:
    """A committed alarm change as streamed."""
    return {
        "change": c.kind,
        "actor": c.actor,
        "time": rfc3339(c.time),
        "details": c.details,
        "alarm": alarm_json(c.alarm, AlarmLinks(c.parent_id), counted=False),
    }


def shelf_json(s: Shelf) -> dict[str, Any]:
    """A shelved alarm's shelf: since and until when, by whom and why (internal: the console and the API only)."""
    return {"since": rfc3339(s.since), "until": rfc3339(s.until), "by": s.actor, "reason": s.reason}
