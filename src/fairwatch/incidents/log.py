"""The control log's rules (pure): what an entry must carry, decided from the entry and the server's `now`.

Entries are never edited or deleted; a `correction` names the entry it corrects and both stay. A `decision` needs
its reason; an entry about something more than `LATE_AFTER` seconds before it was entered needs `late_reason`.
"""

from __future__ import annotations

from typing import Any

from fairwatch.errors import Problem
from fairwatch.events.validate import rfc3339
from fairwatch.incidents.fields import Fields
from fairwatch.incidents.model import METHANE_FIELDS, LogKind
from fairwatch.store import LogEntry

LATE_AFTER = 300.0  # seconds between occurred_at and entered_at before an entry is late
AHEAD = 300.0  # how far past the server's clock occurred_at may be (clock skew), as for events
ENTRY_FIELDS = ("kind", "text", "occurred_at", "reason", "late_reason", "corrects", "methane")
WRITABLE_KINDS = tuple(k.value for k in LogKind if k is not LogKind.SYSTEM)  # system entries are the server's


def entry_problems(entry: LogEntry) -> list[Problem]:
    """Every rule `entry` breaks, each naming the field it needs."""
    problems: list[Problem] = []
    kind = LogKind(entry.kind)
    if kind is LogKind.DECISION and not entry.reason:
        problems.append(Problem("reason", None, "a decision must give its reason"))
    lag = entry.entered_at - entry.occurred_at
    if lag > LATE_AFTER and not entry.late_reason:
        message = f"is required: occurred_at is {lag / 60:.0f} minutes before the entry (more than 5 minutes)"
        problems.append(Problem("late_reason", None, message))
    if -lag > AHEAD:
        problems.append(
            Problem("occurred_at", rfc3339(entry.occurred_at), "is more than 5 minutes in the future")
        )
    if (kind is LogKind.CORRECTION) != (entry.corrects is not None):
        message = (
            "a correction names the entry it corrects"
            if entry.corrects is None
            else "only a correction names one"
        )
        problems.append(Problem("corrects", entry.corrects, message))
    if (kind is LogKind.METHANE) != (entry.methane is not None):
        message = (
            "an M/ETHANE entry carries the seven fields" if entry.methane is None else "only for kind methane"
        )
        problems.append(Problem("methane", None, message))
    return problems


def read_entry(doc: Any, incident_id: int | None, author: str, now: float) -> tuple[LogEntry, list[Problem]]:
    """The entry a request body asks for and the problems of its fields (the rules are checked by the caller
    with `entry_problems` once the fields are good)."""
    f = Fields(doc, ENTRY_FIELDS, "log entry")
    kind = f.choice("kind", WRITABLE_KINDS, required=True)
    text = f.text("text", required=kind != LogKind.METHANE)
    occurred = f.time("occurred_at")
    entry = LogEntry(
        incident_id=incident_id,
        kind=kind or LogKind.NOTE.value,
        text=text or "",
        author=author,
        occurred_at=now if occurred is None else occurred,
        entered_at=now,
        reason=f.text("reason"),
        late_reason=f.text("late_reason"),
        corrects=f.integer("corrects"),
        methane=read_methane(f),
    )
    return entry, f.problems


def read_methane(f: Fields) -> dict[str, Any] | None:
    """The seven M/ETHANE fields: short texts (casualties may be a count)."""
    value = f.doc.get("methane")
    if value is None:
        return None
    if not isinstance(value, dict):
        f.fail("methane", value, f"must be an object with {', '.join(METHANE_FIELDS)}")
        return None
    out: dict[str, Any] = {}
    for key in value:
        if key not in METHANE_FIELDS:
            f.fail(f"methane.{key}", None, f"is not an M/ETHANE field (expected {', '.join(METHANE_FIELDS)})")
    for key in METHANE_FIELDS:
        item = value.get(key)
        if _methane_value(key, item):
            out[key] = item
        else:
            f.fail(f"methane.{key}", item, "is required: a text of 1 to 1000 characters")
    return out


def _methane_value(key: str, item: Any) -> bool:
    if key == "casualties" and isinstance(item, int) and not isinstance(item, bool):
        return 0 <= item <= 100_000
    return isinstance(item, str) and bool(item.strip()) and len(item) <= 1000
