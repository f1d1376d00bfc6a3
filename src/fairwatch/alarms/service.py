"""The only writer of alarms: turns rule decisions and operator actions into alarm rows and audit records.

It keeps the open alarms in memory (one per dedup key), stages changes during a transaction and makes them
visible only after the caller has committed (`commit_staged`), so a rolled-back batch leaves no trace.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fairwatch.alarms.lifecycle import Action, transition
from fairwatch.errors import Conflict, InvalidInput, NotFound, Problem
from fairwatch.model import (
    Alarm,
    AlarmState,
    AuditEntry,
    Decision,
    DecisionKind,
    Disposition,
)
from fairwatch.store import Occurrence, Store, Txn

MAX_SOURCES = 20
MAX_NOTE = 4000


@dataclass(frozen=True, slots=True)
class AlarmChange:
    """One committed change to an alarm, as the stream and notifiers see it."""

    kind: str  # raised | repeated | escalated | cleared | reactivated | acknowledged | assigned | commented | ...
    alarm: Alarm
    actor: str
    time: float
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Staged:
    touched: dict[str, Alarm] = field(default_factory=dict)  # key -> alarm (new or updated)
    changes: list[AlarmChange] = field(default_factory=list)


class AlarmService:
    """Applies decisions and actions inside a store transaction."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.open: dict[str, Alarm] = {a.key: a for a in store.open_alarms()}
        self._staged = _Staged()
        # RS-9: types the policy or integrity check at start refused; their RAISE decisions are dropped.
        self.blocked_types: set[str] = set()

    # -- decisions from rules --------------------------------------------------------------------------------
    def apply_decisions(self, txn: Txn, decisions: Sequence[tuple[Decision, str | None]], now: float) -> None:
        """Open, repeat, escalate or clear alarms for rule decisions; `str` is the triggering event's source."""
        occurrences: list[tuple[Alarm, Decision]] = []
        dirty: dict[int, Alarm] = {}
        blocked = self.blocked_types
        for decision, source in decisions:
            if blocked and decision.kind is DecisionKind.RAISE and decision.alarm_type in blocked:
                continue
            alarm = self._current(decision.key)
            if decision.kind is DecisionKind.RAISE:
                if alarm is None:
                    alarm = self._open_new(txn, decision, source, now)
                else:
                    self._repeat(txn, alarm, decision, source, now)
                    dirty[alarm.id] = alarm
                occurrences.append((alarm, decision))
            elif alarm is not None and alarm.active:
                alarm.active = False
                alarm.updated = now
                alarm.version += 1
                dirty[alarm.id] = alarm
                occurrences.append((alarm, decision))
                self._audit(txn, "alarm-cleared", alarm, f"rule:{decision.rule}", now, {"reason": decision.reason})
                self._emit("cleared", alarm, f"rule:{decision.rule}", now, {"explanation": decision.explanation})
        for alarm in dirty.values():
            txn.update_alarm(alarm)
        txn.insert_occurrences(
            [
                Occurrence(
                    a.id, d.time, d.kind.value, d.reason.value, d.value, d.event_ids[:20], d.explanation
                )
                for a, d in occurrences
            ]
        )

    def _current(self, key: str) -> Alarm | None:
        staged = self._staged.touched.get(key)
        if staged is not None:
            return staged if staged.state is not AlarmState.RESOLVED else None
        found = self.open.get(key)
        if found is None:
            return None
        mine = copy.deepcopy(found)
        self._staged.touched[key] = mine
        return mine

    def _open_new(self, txn: Txn, d: Decision, source: str | None, now: float) -> Alarm:
        alarm = Alarm(
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
            sources=[source] if source else [],
        )
        alarm.id = txn.insert_alarm(alarm)
        self._staged.touched[d.key] = alarm
        details = {
            "rule": d.rule,
            "type": d.alarm_type,
            "severity": d.severity.value,
            "key": d.key,
            "reason": d.reason.value,
            "explanation": d.explanation,
        }
        self._audit(txn, "alarm-raised", alarm, f"rule:{d.rule}", now, details)
        self._emit("raised", alarm, f"rule:{d.rule}", now, details)
        return alarm

    def _repeat(self, txn: Txn, alarm: Alarm, d: Decision, source: str | None, now: float) -> None:
        alarm.count += 1
        alarm.last_seen = max(alarm.last_seen, d.time)
        alarm.updated = now
        alarm.version += 1
        alarm.explanation = d.explanation or alarm.explanation
        if source and source not in alarm.sources and len(alarm.sources) < MAX_SOURCES:
            alarm.sources.append(source)
        kind = "repeated"
        details: dict[str, Any] = {"count": alarm.count}
        if d.severity.rank < alarm.severity.rank:
            details = {"from": alarm.severity.value, "to": d.severity.value}
            alarm.severity = d.severity
            kind = "escalated"
            self._audit(txn, "alarm-escalated", alarm, f"rule:{d.rule}", now, details)
        if not alarm.active:
            alarm.active = True
            kind = "reactivated"
            self._audit(txn, "alarm-reactivated", alarm, f"rule:{d.rule}", now, {"reason": d.reason.value})
        self._emit(kind, alarm, f"rule:{d.rule}", now, details)

    # -- actions by people -----------------------------------------------------------------------------------
    def act(self, txn: Txn, alarm_id: int, action: Action, actor: str, params: dict[str, Any], now: float) -> Alarm:
        """Apply a person's action; Conflict for an illegal transition, InvalidInput for bad parameters."""
        alarm = txn.get_alarm(alarm_id)
        if alarm is None:
            raise NotFound(f"alarm {alarm_id} not found")
        new_state = transition(alarm.state, action)
        details = _action_details(action, params)
        if action is Action.REOPEN and txn.open_alarm_for_key(alarm.key) is not None:
            raise Conflict(
                f"cannot reopen alarm {alarm_id}: another alarm for the same key is open",
                alarm.state.value,
                ["comment"],
            )
        if action is Action.ASSIGN:
            alarm.assignee = details["to"]
        if action is Action.RESOLVE:
            alarm.disposition = Disposition(details["disposition"])
        if action is Action.REOPEN:
            alarm.disposition = None
        alarm.state = new_state
        alarm.updated = now
        alarm.version += 1
        txn.update_alarm(alarm)
        kind = _PAST[action]
        self._audit(txn, f"alarm-{kind}", alarm, actor, now, details)
        self._emit(kind, alarm, actor, now, details)
        self._staged.touched[alarm.key] = alarm
        return alarm

    # -- staging ---------------------------------------------------------------------------------------------
    def commit_staged(self) -> list[AlarmChange]:
        """After the transaction committed: make staged alarms current; return the changes to publish."""
        for key, alarm in self._staged.touched.items():
            if alarm.state is AlarmState.RESOLVED:
                if key in self.open and self.open[key].id == alarm.id:
                    del self.open[key]
            else:
                self.open[key] = alarm
        changes = self._staged.changes
        self._staged = _Staged()
        return changes

    def discard_staged(self) -> None:
        """After a rollback: forget staged work."""
        self._staged = _Staged()

    def _audit(self, txn: Txn, action: str, alarm: Alarm, actor: str, now: float, details: dict[str, Any]) -> None:
        txn.append_audit(AuditEntry(now, actor, action, f"alarm:{alarm.id}", details))

    def _emit(self, kind: str, alarm: Alarm, actor: str, now: float, details: dict[str, Any]) -> None:
        self._staged.changes.append(AlarmChange(kind, copy.deepcopy(alarm), actor, now, dict(details)))


_PAST = {
    Action.ACK: "acknowledged",
    Action.ASSIGN: "assigned",
    Action.COMMENT: "commented",
    Action.RESOLVE: "resolved",
    Action.REOPEN: "reopened",
}

_DISPOSITIONS = ", ".join(d.value for d in Disposition)


def _action_details(action: Action, params: dict[str, Any]) -> dict[str, Any]:
    """Validate an action's parameters; every problem names the field and the bad value."""
    problems: list[Problem] = []

    def text(name: str, required: bool, limit: int = MAX_NOTE) -> str | None:
        value = params.get(name)
        if value is None or value == "":
            if required:
                problems.append(Problem(name, value, "required field is missing"))
            return None
        if not isinstance(value, str):
            problems.append(Problem(name, value, "must be a string"))
            return None
        if len(value) > limit:
            problems.append(Problem(name, value[:50] + "…", f"must be at most {limit} characters"))
            return None
        return value

    details: dict[str, Any] = {}
    allowed = {Action.ACK: set(), Action.ASSIGN: {"to"}, Action.COMMENT: {"text"}}
    allowed |= {Action.RESOLVE: {"disposition", "note"}, Action.REOPEN: {"reason"}}
    for key in params:
        if key not in allowed[action]:
            problems.append(Problem(key, params[key], f"unknown field for {action.value}"))
    if action is Action.ASSIGN:
        details["to"] = text("to", True, 128)
    elif action is Action.COMMENT:
        details["text"] = text("text", True)
    elif action is Action.RESOLVE:
        disposition = params.get("disposition")
        if disposition not in {d.value for d in Disposition}:
            message = f"must be one of {_DISPOSITIONS}"
            if disposition is None:
                message = f"required field is missing (one of {_DISPOSITIONS})"
            problems.append(Problem("disposition", disposition, message))
        details["disposition"] = disposition
        details["note"] = text("note", False)
    elif action is Action.REOPEN:
        details["reason"] = text("reason", True)
    if problems:
        raise InvalidInput(problems, f"invalid {action.value} request")
    return details
