"""Units as JSON (the API, the console's board, the /field app and the `unit` stream event)."""

from __future__ import annotations

from typing import Any

from fairwatch.events.validate import rfc3339
from fairwatch.store import Unit


def unit_json(unit: Unit) -> dict[str, Any]:
    """A unit with its status, position and current assignment; times as RFC 3339."""
    return {
        "id": unit.id,
        "name": unit.name,
        "kind": unit.kind,
        "members": unit.members,
        "status": unit.status,
        "status_since": rfc3339(unit.status_since),
        "last_check_in": rfc3339(unit.last_check_in),
        "location": unit.location,
        "position_at": None if unit.position_at is None else rfc3339(unit.position_at),
        "zone": unit.zone,
        "assignment": _assignment(unit),
        "updated": rfc3339(unit.updated),
        "version": unit.version,
    }


def _assignment(unit: Unit) -> dict[str, Any] | None:
    if unit.incident_id is None and unit.alarm_id is None:
        return None
    return {
        "incident": unit.incident_id,
        "alarm": unit.alarm_id,
        "accepted_at": None if unit.accepted_at is None else rfc3339(unit.accepted_at),
    }
