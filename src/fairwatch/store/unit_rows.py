"""Field unit, one-time invite and device-session rows (fairwatch.field owns their rules; the store builds them
from its tables, so they are defined here, like the rows of store/incident_rows.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Unit:
    """A field team or person as stored; `status` holds a value of fairwatch.field's `UnitStatus`."""

    name: str  # unique: "Medic 2"
    kind: str  # steward | security | medic | fire | police_liaison
    members: int
    status: str
    status_since: float
    last_check_in: float
    created: float
    updated: float
    location: dict[str, float] | None = None  # {lat, lon} or {x, y}: the last position the phone shared
    position_at: float | None = None
    zone: str | None = None
    incident_id: int | None = None  # the current assignment (at most one of incident and alarm)
    alarm_id: int | None = None
    accepted_at: float | None = None  # when the unit accepted its current assignment
    check_in_alarmed: float | None = None  # the check-in a missed-check-in alarm was raised for (fires once)
    status_alarmed: float | None = None  # the status_since an overdue-status alarm was raised for
    version: int = 1
    id: int = 0


@dataclass(frozen=True, slots=True)
class Invite:
    """A one-time sign-in link for a unit: only the SHA-256 of its code is stored."""

    code_hash: str
    unit_id: int
    created: float
    expires: float
    created_by: str
    used_at: float | None = None
    revoked_at: float | None = None
    id: int = 0


@dataclass(frozen=True, slots=True)
class Device:
    """A phone signed in with an invite: its session id is stored as a SHA-256, bound to the unit."""

    id_hash: str
    unit_id: int
    invite_id: int
    created: float
    expires: float
    last_seen: float
    revoked_at: float | None = None
