"""Incident, control-log and task rows (fairwatch.incidents owns their rules; the store builds them from its
tables, so they are defined here, like the rows of store/rows.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Incident:
    """An incident as stored; enum-valued fields hold the values of fairwatch.incidents' enums."""

    number: str  # unique per site and year: 2026-0042
    site: str
    title: str
    type: str  # an alarm-type id of the guarded taxonomy
    severity: str
    priority: int  # 1 (highest) to 4
    state: str  # open | on_hold | closed
    occurred_at: float
    reported_at: float
    reporter: str  # the user who reported it, or a source
    created: float
    updated: float
    disposition: str | None = None
    closing_note: str | None = None
    owner: str | None = None
    lead_agency: str | None = None
    agencies: tuple[str, ...] = ()
    zone: str | None = None
    location: dict[str, float] | None = None  # {lat, lon} or {x, y}
    first_dispatch_at: float | None = None
    closed_at: float | None = None
    major_incident: str = "none"  # none | standby | declared | stand_down
    exercise: bool = False
    version: int = 1
    id: int = 0


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One entry of the control log: append-only; a correction names the entry it corrects."""

    incident_id: int | None  # None: the site-wide log
    kind: str
    text: str
    author: str
    occurred_at: float
    entered_at: float
    reason: str | None = None
    late_reason: str | None = None
    corrects: int | None = None
    methane: dict[str, Any] | None = None
    id: int = 0


@dataclass(frozen=True, slots=True)
class Task:
    """A step of an incident's action card, or one added by hand."""

    incident_id: int
    title: str
    state: str  # todo | doing | done | skipped
    created: float
    updated: float
    assignee: str | None = None
    due: float | None = None
    reason: str | None = None  # why it was skipped
    card: str | None = None  # the card (incident type) it came from
    id: int = 0


@dataclass(frozen=True, slots=True)
class IncidentQuery:
    """Filters for listing incidents, newest first; empty means any."""

    states: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    since: float | None = None  # occurred at or after
    limit: int = 100
    before_id: int | None = None  # cursor: the id of the last incident seen
