"""Welfare-case and scene-photo rows (fairwatch.welfare owns their rules; the store builds them from its tables,
so they are defined here, like the rows of store/incident_rows.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WelfareCase:
    """A lost or found person, described only by closed bands and narrative text (never a photo or a name
    field). `clothing`, `contact` and `note` are narrative: stored, shown to welfare staff, never published."""

    kind: str  # missing_person | found_person
    site: str
    age_band: str
    height_band: str
    last_seen_zone: str
    last_seen_at: float
    vulnerable: bool
    state: str  # open | closed
    reported_by: str
    reported_at: float
    escalate_at: float  # when the case escalates to the police liaison unless closed before
    clothing: str | None = None
    contact: str | None = None
    escalated_at: float | None = None
    closed_at: float | None = None
    closed_by: str | None = None
    note: str | None = None  # the reunification note written when the person is found
    version: int = 1
    id: int = 0


@dataclass(frozen=True, slots=True)
class Photo:
    """A scene photo of an incident as stored: re-encoded without metadata; the file is in the data directory."""

    incident_id: int
    sha256: str  # of the stored (re-encoded) file
    size: int  # bytes of the stored file
    media_type: str  # image/jpeg | image/png | image/webp
    width: int
    height: int
    uploaded_by: str
    uploaded_at: float
    id: int = 0
