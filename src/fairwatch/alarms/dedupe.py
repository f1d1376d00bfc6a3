"""The pure dedup decision: what one rule decision does to the open alarm of its key.

`apply(existing, decision, now)` returns the alarm as it is afterwards (a new frozen value; `existing` is never
changed) and a `Change` that names what happened. The alarm service writes the row, the audit records
(`Change.audit`) and the stream change (`Change.kind`) from it; a replay books activations from it. Both use this
one function, so a replay raises exactly the alarms the live system would.
"""

from __future__ import annotations

from dataclasses import replace
from enum import Enum

from fairwatch.model import Alarm, AlarmState, Decision, DecisionKind

MAX_SOURCES = 20


class Change(Enum):
    """What a decision did to its key's alarm."""

    NONE = "none"  # a CLEAR for a key with no alarm, or one already inactive
    RAISED = "raised"  # a RAISE with no open alarm: a new alarm
    REPEATED = "repeated"  # a RAISE on the active alarm: counted
    ESCALATED = "escalated"  # a RAISE on the active alarm, more severe than it: counted, severity raised
    REACTIVATED = "reactivated"  # a RAISE on the inactive (cleared) alarm: counted, active again
    REACTIVATED_ESCALATED = "reactivated-escalated"  # both of the above at once
    CLEARED = "cleared"  # a CLEAR on the active alarm: inactive, still open for people to handle

    @property
    def kind(self) -> str:
        """The change's name on the stream and for notification routes (`raised`, `escalated`, ...)."""
        return _KIND.get(self, self.value)

    @property
    def audit(self) -> tuple[str, ...]:
        """The audit record actions (kebab-case) written for it, in order; a repeat is counted, not audited."""
        return _AUDIT[self]

    @property
    def activates(self) -> bool:
        """True when the alarm went active: an annunciation an operator sees (the alarm-load report counts them)."""
        return self in (Change.RAISED, Change.REACTIVATED, Change.REACTIVATED_ESCALATED)


_KIND = {Change.REACTIVATED_ESCALATED: "reactivated"}
_AUDIT: dict[Change, tuple[str, ...]] = {
    Change.NONE: (),
    Change.RAISED: ("alarm-raised",),
    Change.REPEATED: (),
    Change.ESCALATED: ("alarm-escalated",),
    Change.REACTIVATED: ("alarm-reactivated",),
    Change.REACTIVATED_ESCALATED: ("alarm-escalated", "alarm-reactivated"),
    Change.CLEARED: ("alarm-cleared",),
}


def apply(
    existing: Alarm | None, decision: Decision, now: float, source: str | None = None
) -> tuple[Alarm | None, Change]:
    """The key's alarm after `decision`, and what changed. `existing` is the key's open (unresolved) alarm;
    `source` is the triggering event's source, kept with the alarm's sources. A new alarm has id 0."""
    d = decision
    if d.kind is DecisionKind.CLEAR:
        if existing is None or not existing.active:
            return existing, Change.NONE
        return replace(existing, active=False, updated=now, version=existing.version + 1), Change.CLEARED
    if existing is None:
        return _new(d, now, source), Change.RAISED
    escalated = d.severity.rank < existing.severity.rank
    alarm = replace(
        existing,
        count=existing.count + 1,
        version=existing.version + 1,
        last_seen=max(existing.last_seen, d.time),
        updated=now,
        explanation=d.explanation or existing.explanation,
        sources=merge_sources(existing.sources, source, d.sources),
        severity=d.severity if escalated else existing.severity,
        active=True,
    )
    if not existing.active:
        return alarm, Change.REACTIVATED_ESCALATED if escalated else Change.REACTIVATED
    return alarm, Change.ESCALATED if escalated else Change.REPEATED


def merge_sources(known: list[str], source: str | None, confirming: tuple[str, ...]) -> list[str]:
    """The alarm's distinct sources: the triggering event's and those a corroborated decision names, capped."""
    merged = list(known)
    for s in (source, *confirming):
        if s and s not in merged and len(merged) < MAX_SOURCES:
            merged.append(s)
    return merged


def _new(d: Decision, now: float, source: str | None) -> Alarm:
    return Alarm(
        id=0,
        key=d.key,
        rule=d.rule,
        type=d.alarm_type,
        severity=d.severity,
        state=AlarmState.OPEN,
        active=True,
        site=d.site,
        zone=d.zone,
        group=dict(d.group),
        count=1,
        first_seen=d.time,
        last_seen=d.time,
        updated=now,
        explanation=d.explanation,
        sources=merge_sources([], source, d.sources),
    )
