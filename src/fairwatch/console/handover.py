"""The shift handover: what is open now, what changed in the last hours and the notes people left (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fairwatch.errors import InvalidInput, Problem
from fairwatch.model import Alarm, AlarmState, AuditRecord

DEFAULT_HOURS = 8
MAX_HOURS = 72
MAX_NOTE = 4000
# Translates a line's English words (console/i18n.py's gettext for the page's language); the default keeps English.
Say = Callable[[str], str]


def _same(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class Change:
    """One thing that happened to an alarm, in words."""

    time: float
    actor: str
    action: str  # alarm-acknowledged, ...
    alarm_id: int | None
    summary: str


@dataclass(frozen=True, slots=True)
class Note:
    """Free text someone left: a comment, a resolution note, a reopen reason or a handover note."""

    time: float
    actor: str
    kind: str
    alarm_id: int | None
    text: str


@dataclass(frozen=True, slots=True)
class Handover:
    """Everything the handover page shows."""

    since: float
    until: float
    hours: int
    open: list[Alarm]
    changes: list[Change]
    notes: list[Note]
    totals: dict[str, int] = field(default_factory=dict)


def parse_hours(raw: str | None) -> int:
    """The `hours` query parameter: 1 to MAX_HOURS, default DEFAULT_HOURS."""
    if raw is None or raw == "":
        return DEFAULT_HOURS
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_HOURS:
        raise InvalidInput(
            [Problem("hours", raw, f"must be a whole number from 1 to {MAX_HOURS}")], "invalid query"
        )
    return int(raw)


def check_note(text: str) -> str:
    """A handover note: not blank, at most MAX_NOTE characters."""
    text = text.strip()
    if not text:
        raise InvalidInput([Problem("text", text, "required field is missing")], "invalid handover note")
    if len(text) > MAX_NOTE:
        message = f"must be at most {MAX_NOTE} characters"
        raise InvalidInput([Problem("text", text[:50] + "…", message)], "invalid handover note")
    return text


def build(
    open_alarms: Sequence[Alarm], records: Sequence[AuditRecord], now: float, hours: int, gettext: Say = _same
) -> Handover:
    """The handover view of the open alarms and the audit records of the last `hours`, its lines in `gettext`'s words."""
    since = now - hours * 3600
    recent = [r for r in records if r.time >= since]
    changes = [_change(r, gettext) for r in recent if r.object.startswith("alarm:")]
    notes = [n for n in (_note(r) for r in recent) if n is not None]
    # As the queue orders them: most severe, then unacknowledged before acknowledged, then oldest.
    ordered = sorted(
        open_alarms, key=lambda a: (a.severity.rank, a.state is not AlarmState.OPEN, a.first_seen, a.id)
    )
    counted = Counter(c.action for c in changes)
    totals = {
        "open": len(ordered),
        "unacknowledged": sum(1 for a in ordered if a.state is AlarmState.OPEN),
        "raised": counted["alarm-raised"],
        "acknowledged": counted["alarm-acknowledged"],
        "resolved": counted["alarm-resolved"],
        "reopened": counted["alarm-reopened"],
    }
    return Handover(since, now, hours, ordered, changes[::-1], notes[::-1], totals)


def _alarm_id(obj: str) -> int | None:
    _, _, tail = obj.partition(":")
    return int(tail) if tail.isdigit() else None


def _change(r: AuditRecord, gettext: Say) -> Change:
    return Change(r.time, r.actor, r.action, _alarm_id(r.object), summarise(r.action, r.details, gettext))


def summarise(action: str, d: dict[str, Any], gettext: Say = _same) -> str:
    """One line saying what an alarm audit record means (the record itself stays as written)."""

    def word(value: object) -> str:  # a severity or a disposition as a word
        return gettext(str(value))

    if action == "alarm-raised":
        line = gettext("raised: %(severity)s %(type)s") % {
            "severity": word(d.get("severity", "?")),
            "type": d.get("type", "?"),
        }
        return line + (f" ({d['explanation']})" if d.get("explanation") else "")
    if action == "alarm-escalated":
        return gettext("escalated from %(from)s to %(to)s") % {
            "from": word(d.get("from")),
            "to": word(d.get("to")),
        }
    if action == "alarm-assigned":
        return gettext("assigned to %(name)s") % {"name": d.get("to")}
    if action == "alarm-resolved":
        disposition = str(d.get("disposition", "?")).replace("_", " ")
        return gettext("resolved as %(disposition)s") % {"disposition": word(disposition)}
    if action == "alarm-reopened":
        return gettext("reopened: %(reason)s") % {"reason": d.get("reason", "")}
    if action == "alarm-commented":
        return gettext("commented")
    if action in ("alarm-escalation-notified", "alarm-ack-timeout"):
        what = (
            gettext("acknowledged too long")
            if action == "alarm-ack-timeout"
            else gettext("escalation level %(level)s") % {"level": d.get("level")}
        )
        return gettext("%(what)s: notified %(names)s") % {
            "what": what,
            "names": ", ".join(d.get("receivers") or []),
        }
    fixed = {
        "alarm-cleared": gettext("condition cleared"),
        "alarm-reactivated": gettext("condition active again"),
    }
    return fixed.get(action, action.removeprefix("alarm-"))


_NOTE_FIELDS = {
    "alarm-commented": ("comment", "text"),
    "alarm-resolved": ("resolution", "note"),
    "alarm-reopened": ("reopen", "reason"),
    "handover-noted": ("handover", "text"),
}


def _note(r: AuditRecord) -> Note | None:
    spec = _NOTE_FIELDS.get(r.action)
    if spec is None or not r.details.get(spec[1]):
        return None
    return Note(r.time, r.actor, spec[0], _alarm_id(r.object), str(r.details[spec[1]]))
