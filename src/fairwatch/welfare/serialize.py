"""JSON shapes of welfare cases and photos as the API shows them (pure). A case is shown only to callers with
the welfare permission; nothing here is ever put on a stream, a feed or a webhook."""

from __future__ import annotations

from typing import Any

from fairwatch.events.validate import rfc3339
from fairwatch.store import Photo, WelfareCase


def _time(ts: float | None) -> str | None:
    return None if ts is None else rfc3339(ts)


def case_json(c: WelfareCase) -> dict[str, Any]:
    """A case with its narrative (clothing, contact, note)."""
    return {
        "id": c.id, "kind": c.kind, "state": c.state, "age_band": c.age_band, "height_band": c.height_band,
        "clothing": c.clothing, "contact": c.contact, "last_seen_zone": c.last_seen_zone,
        "last_seen_at": _time(c.last_seen_at), "vulnerable": c.vulnerable, "reported_by": c.reported_by,
        "reported_at": _time(c.reported_at), "escalate_at": _time(c.escalate_at),
        "escalated_at": _time(c.escalated_at), "closed_at": _time(c.closed_at), "closed_by": c.closed_by,
        "note": c.note, "version": c.version,
    }  # fmt: skip


def photo_json(p: Photo, base: str) -> dict[str, Any]:
    """A photo's metadata and where to fetch it (`base` is the incident's photos path)."""
    return {
        "id": p.id, "incident_id": p.incident_id, "sha256": p.sha256, "size": p.size, "media_type": p.media_type,
        "width": p.width, "height": p.height, "uploaded_by": p.uploaded_by, "uploaded_at": _time(p.uploaded_at),
        "url": f"{base}/{p.id}",
    }  # fmt: skip
