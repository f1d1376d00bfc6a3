"""The JSON fields of an alarm, shared by the HTTP API, the stream and every notifier.

RS-13: the group shows zone, site and source ids only; the explanation is a closed template
(rules/explain.py). Comments and notes are never part of it.
"""

from __future__ import annotations

from typing import Any

from fairwatch.alarms.lifecycle import allowed_actions
from fairwatch.events.validate import rfc3339
from fairwatch.model import Alarm
from fairwatch.rules.explain import WITHHELD, public_group, public_id


def alarm_fields(a: Alarm) -> dict[str, Any]:
    """An alarm as the API shows it (without flood links, which only the store knows)."""
    return {
        "id": a.id,
        "rule": a.rule,
        "type": a.type,
        "severity": a.severity.value,
        "state": a.state.value,
        "active": a.active,
        "site": _id(a.site),
        "zone": _id(a.zone),
        "group": public_group(a.group),  # RS-13: zone/site/source ids only, never event data
        "count": a.count,
        "first_seen": rfc3339(a.first_seen),
        "last_seen": rfc3339(a.last_seen),
        "updated": rfc3339(a.updated),
        "assignee": a.assignee,
        "disposition": a.disposition.value if a.disposition else None,
        "explanation": a.explanation,
        "sources": [public_id(s) or WITHHELD for s in a.sources],
        "version": a.version,
        "allowed_actions": [x.value for x in allowed_actions(a.state)],
    }


def _id(value: str | None) -> str | None:
    """A zone or site id as it is, None as None; text posted in its place is withheld."""
    return None if value is None else public_id(value) or WITHHELD
