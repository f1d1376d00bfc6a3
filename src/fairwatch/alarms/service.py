"""The only writer of alarms: turns rule decisions and operator actions into alarm rows and audit records.

It keeps the open alarms in memory (one per dedup key), stages changes during a transaction and makes them
visible only after the caller has committed (`commit_staged`), so a rolled-back batch leaves no trace.
A new alarm that floods its type and zone is grouped under an older one (`flood.py`, docs/flood-control.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from fairwatch.alarms import dedupe, shelving
from fairwatch.alarms.dedupe import Change
from fairwatch.alarms.flood import FloodMember, flood_parent
from fairwatch.alarms.lifecycle import Action, allowed_actions, transition
from fairwatch.errors import Conflict, InvalidInput, NotFound, Problem, StaleWrite
from fairwatch.events.validate import rfc3339
from fairwatch.model import (
    Alarm,
    AlarmState,
    AuditEntry,
    Decision,
    DecisionKind,
    Disposition,
)
from fairwatch.rules.explain import public_group
from fairwatch.store import AlarmReads, AlarmTxn, Occurrence, Shelf

MAX_NOTE = 4000


@dataclass(frozen=True, slots=True)
class AlarmChange:
    """One committed change to an alarm, as the stream and notifiers see it."""

    kind: str  # raised | repeated | escalated | cleared | reactivated | acknowledged | assigned | commented | ...
    alarm: Alarm
    actor: str
    time: float
    details: dict[str, Any] = field(default_factory=dict)
    parent_id: int | None = None  # the flood parent the alarm is grouped under


def stream_changes(changes: Sequence[AlarmChange]) -> list[AlarmChange]:
    """The changes of one commit as the event stream carries them: of consecutive repeats of one alarm (no other
    change of that alarm between them) only the last, which has the final count; every other change as it is, in
    order. The console merges an alarm's state by id, so the dropped repeats carry nothing it still shows; an
    alarm storm then costs one stream message per alarm per commit instead of one per matching event.
    Notifications and webhooks get every change (the caller passes them the full list)."""
    repeated = Change.REPEATED.kind
    later: dict[int, str] = {}  # alarm id -> the kind of its next change in this commit (walking backwards)
    kept: list[AlarmChange] = []
    for change in reversed(changes):
        alarm_id = change.alarm.id
        if change.kind == repeated and later.get(alarm_id) == repeated:
            continue
        later[alarm_id] = change.kind
        kept.append(change)
    if len(kept) == len(changes):
        return list(changes)
    kept.reverse()
    return kept


FloodIndex = dict[tuple[str, str | None, str | None], list[FloodMember]]


@dataclass(slots=True)
class _Staged:
    touched: dict[str, Alarm] = field(default_factory=dict)  # key -> alarm (new or updated)
    changes: list[AlarmChange] = field(default_factory=list)
    parents: dict[int, int | None] = field(default_factory=dict)  # alarm id -> flood parent, as now known
    flood: FloodIndex | None = None  # open alarms by flood group, built on the first new alarm
    # Alarm id -> shelved until, or None when its shelf was taken down in this transaction.
    shelves: dict[int, float | None] = field(default_factory=dict)


class AlarmService:
    """Applies decisions and actions inside a store transaction."""

    def __init__(
        self,
        store: AlarmReads,
        flood_threshold: int = 3,
        flood_window: float = 600.0,
        *,
        sites: Callable[[str | None], bool] | None = None,
        key_prefix: str = "",
    ) -> None:
        self.store = store
        # A cluster partition keeps only the open alarms of its own sites (`sites`) and prefixes the dedup keys
        # of its decisions (`key_prefix`), so equal rules and groups of two partitions make two alarms.
        self.key_prefix = key_prefix
        self.open: dict[str, Alarm] = {
            a.key: a for a in store.open_alarms() if sites is None or sites(a.site)
        }
        links = store.alarm_links([a.id for a in self.open.values()])
        # Flood parents of open alarms (alarm id -> parent id); only children are in here.
        self.parents: dict[int, int] = {i: p.parent_id for i, p in links.items() if p.parent_id is not None}
        self.flood_threshold = flood_threshold
        self.flood_window = flood_window
        # Shelved alarms (alarm id -> until when), so the tick knows without a query when one is due back.
        mine = {a.id for a in self.open.values()}
        self.shelves: dict[int, float] = {
            i: s.until for i, s in store.shelves().items() if sites is None or i in mine
        }
        self._staged = _Staged()
        # RS-9: types the policy or integrity check at start refused; their RAISE decisions are dropped.
        self.blocked_types: frozenset[str] = frozenset()

    def block_types(self, types: Iterable[str]) -> None:
        """From now on, drop RAISE decisions for `types` (and only those) (RS-9: the compliance verdict)."""
        self.blocked_types = frozenset(types)

    # -- decisions from rules --------------------------------------------------------------------------------
    def apply_decisions(
        self, txn: AlarmTxn, decisions: Sequence[tuple[Decision, str | None]], now: float
    ) -> None:
        """Open, repeat, escalate or clear alarms for rule decisions (`dedupe.apply`); `str` is the triggering
        event's source."""
        occurrences: list[tuple[int, Decision]] = []
        dirty: dict[int, Alarm] = {}
        read_at: dict[int, int] = {}  # alarm id -> its version as stored, for the optimistic check
        blocked = self.blocked_types
        prefix = self.key_prefix
        for decision, source in decisions:
            if blocked and decision.kind is DecisionKind.RAISE and decision.alarm_type in blocked:
                continue
            if prefix:
                decision = replace(decision, key=prefix + decision.key)
            before = self._current(decision.key)
            if before is not None:
                read_at.setdefault(before.id, before.version)
            alarm, change = dedupe.apply(before, decision, now, source)
            if alarm is None or change is Change.NONE:
                continue
            if change is Change.RAISED:
                alarm = self._open_new(txn, alarm, decision, now)
            else:
                assert before is not None
                self._staged.touched[alarm.key] = dirty[alarm.id] = alarm
                self._record(txn, change, before, alarm, decision, now)
            occurrences.append((alarm.id, decision))
        for alarm in dirty.values():
            self._update(txn, alarm, read_at[alarm.id])
        txn.insert_occurrences(
            [
                Occurrence(i, d.time, d.kind.value, d.reason.value, d.value, d.event_ids[:20], d.explanation)
                for i, d in occurrences
            ]
        )

    def _current(self, key: str) -> Alarm | None:
        """The key's open alarm as this transaction sees it (alarms are frozen: no copy needed)."""
        staged = self._staged.touched.get(key)
        if staged is not None:
            return staged if staged.state is not AlarmState.RESOLVED else None
        return self.open.get(key)

    def _open_new(self, txn: AlarmTxn, alarm: Alarm, d: Decision, now: float) -> Alarm:
        alarm = replace(alarm, id=txn.insert_alarm(alarm))
        parent = self._flood(alarm, now)
        if parent is not None:
            txn.set_alarm_parent(alarm.id, parent)
        self._staged.parents[alarm.id] = parent
        self._staged.touched[d.key] = alarm
        details: dict[str, Any] = {
            "rule": d.rule,
            "type": d.alarm_type,
            "severity": d.severity.value,
            "group": public_group(d.group),  # never the key: it spells group values from event data
            "reason": d.reason.value,
            "explanation": d.explanation,
        }
        if parent is not None:
            details["parent_id"] = parent
        self._audit(txn, "alarm-raised", alarm, f"rule:{d.rule}", now, details)
        self._emit(Change.RAISED.kind, alarm, f"rule:{d.rule}", now, details)
        return alarm

    def _record(
        self, txn: AlarmTxn, change: Change, before: Alarm, alarm: Alarm, d: Decision, now: float
    ) -> None:
        """The audit records and the stream change of a change to an existing alarm."""
        actor = f"rule:{d.rule}"
        if change is Change.REPEATED:  # the alarm storm's change: counted, not audited (kept short)
            self._emit(change.kind, alarm, actor, now, {"count": alarm.count})
            return
        severity = {"from": before.severity.value, "to": alarm.severity.value}
        audit_details: dict[str, dict[str, Any]] = {
            "alarm-escalated": severity,
            "alarm-reactivated": {"reason": d.reason.value},
            "alarm-cleared": {"reason": d.reason.value},
        }
        for action in change.audit:
            self._audit(txn, action, alarm, actor, now, audit_details[action])
        details: dict[str, Any] = {"count": alarm.count}
        if change in (Change.ESCALATED, Change.REACTIVATED_ESCALATED):
            details = severity
        elif change is Change.CLEARED:
            details = {"explanation": d.explanation}
        self._emit(change.kind, alarm, actor, now, details)

    def _flood(self, alarm: Alarm, now: float) -> int | None:
        """The flood parent of a newly opened alarm (or None); records it in the flood index either way."""
        if self.flood_threshold <= 0:
            return None
        member = FloodMember.of(alarm)
        group = self._flood_index().setdefault(member.group, [])
        parent = flood_parent(group, member, now, self.flood_threshold, self.flood_window)
        group.append(FloodMember.of(alarm, parent))
        return parent

    def _flood_index(self) -> FloodIndex:
        """Open alarms (committed and staged) by flood group; built once per transaction, then kept current."""
        index = self._staged.flood
        if index is None:
            index = {}
            touched = self._staged.touched
            live = [a for a in touched.values() if a.state is not AlarmState.RESOLVED]
            live += [a for k, a in self.open.items() if k not in touched]
            for a in live:
                member = FloodMember.of(a, self._parent(a.id))
                index.setdefault(member.group, []).append(member)
            self._staged.flood = index
        return index

    def _parent(self, alarm_id: int) -> int | None:
        staged = self._staged.parents
        return staged[alarm_id] if alarm_id in staged else self.parents.get(alarm_id)

    # -- actions by people -----------------------------------------------------------------------------------
    def act(
        self,
        txn: AlarmTxn,
        alarm_id: int,
        action: Action,
        actor: str,
        params: dict[str, Any],
        now: float,
        expected: int | None = None,
    ) -> Alarm:
        """Apply a person's action; Conflict for an illegal transition, InvalidInput for bad parameters.

        `{"cascade": true}` on ack or resolve applies the same action to the alarm's flood children that
        allow it, each audited on its own with `cascade_from`. `expected`: the version the person saw (the
        API's `If-Match`); another one stored is `StaleWrite` (409) and nothing is written.
        """
        alarm = txn.get_alarm(alarm_id)
        if alarm is None:
            raise NotFound(f"alarm {alarm_id} not found")
        if expected is not None and alarm.version != expected:
            raise StaleWrite(f"alarm {alarm_id}", expected, alarm.version)
        new_state = transition(alarm.state, action)
        details = _details(action, params, now)
        if action is Action.REOPEN and txn.open_alarm_for_key(alarm.key) is not None:
            raise Conflict(
                f"cannot reopen alarm {alarm_id}: another alarm for the same key is open",
                alarm.state.value,
                ["comment"],
            )
        children: list[Alarm] = []
        if details.pop("cascade", False):
            children = [c for c in txn.children_of(alarm.id) if action in allowed_actions(c.state)]
            details["cascade"] = [c.id for c in children]
        self._staged.flood = None  # states change: rebuild the flood index if this transaction needs it
        done = self._apply(txn, alarm, action, new_state, actor, details, now, txn.parent_of(alarm.id))
        for child in children:
            own = {k: v for k, v in details.items() if k != "cascade"} | {"cascade_from": alarm.id}
            self._apply(txn, child, action, transition(child.state, action), actor, own, now, alarm.id)
        return done

    def _apply(
        self,
        txn: AlarmTxn,
        alarm: Alarm,
        action: Action,
        new_state: AlarmState,
        actor: str,
        details: dict[str, Any],
        now: float,
        parent: int | None,
    ) -> Alarm:
        """Make one checked action current on `alarm`: row, audit record, change; returns the alarm after it."""
        self._staged.parents[alarm.id] = parent
        assignee, disposition = alarm.assignee, alarm.disposition
        if action is Action.ASSIGN:
            assignee = details["to"]
        if action is Action.RESOLVE:
            disposition = Disposition(details["disposition"])
        if action is Action.REOPEN:
            disposition = None
        alarm = replace(
            alarm,
            assignee=assignee,
            disposition=disposition,
            state=new_state,
            updated=now,
            version=alarm.version + 1,
        )
        self._update(txn, alarm, alarm.version - 1)
        self._shelve(txn, alarm, action, actor, details, now)
        kind = _PAST[action]
        self._audit(txn, f"alarm-{kind}", alarm, actor, now, details)
        self._emit(kind, alarm, actor, now, details)
        self._staged.touched[alarm.key] = alarm
        return alarm

    def _shelve(
        self, txn: AlarmTxn, alarm: Alarm, action: Action, actor: str, details: dict[str, Any], now: float
    ) -> None:
        """Put up the shelf of an alarm just shelved; take it down when a shelved alarm leaves the state."""
        if action is Action.SHELVE:
            until = now + details["minutes"] * 60
            txn.put_shelf(Shelf(alarm.id, now, until, actor, details["reason"]))
            self._staged.shelves[alarm.id] = until
        elif alarm.state is not AlarmState.SHELVED and alarm.id in self._shelf_times():
            txn.delete_shelf(alarm.id)
            self._staged.shelves[alarm.id] = None

    def _shelf_times(self) -> dict[int, float]:
        """Shelved alarms as this transaction sees them: alarm id -> shelved until."""
        times = dict(self.shelves)
        for alarm_id, until in self._staged.shelves.items():
            if until is None:
                times.pop(alarm_id, None)
            else:
                times[alarm_id] = until
        return times

    def shelves_due(self, now: float) -> bool:
        """True when a shelved alarm's time is up at `now` (no I/O: the tick asks before opening a transaction)."""
        return bool(shelving.due(self.shelves, now))

    def return_shelved(self, txn: AlarmTxn, now: float) -> int:
        """Bring back every shelved alarm whose time is up at `now`, unacknowledged; returns how many."""
        times = self._shelf_times()
        returned = 0
        for alarm_id in shelving.due(times, now):
            alarm = txn.get_alarm(alarm_id)
            if alarm is None or alarm.state is not AlarmState.SHELVED:  # resolved or purged meanwhile
                txn.delete_shelf(alarm_id)
                self._staged.shelves[alarm_id] = None
                continue
            details = {"why": "expired", "until": rfc3339(times[alarm_id])}
            self._staged.flood = None
            parent = txn.parent_of(alarm_id)
            self._apply(txn, alarm, Action.UNSHELVE, AlarmState.OPEN, shelving.ACTOR, details, now, parent)
            returned += 1
        return returned

    def _update(self, txn: AlarmTxn, alarm: Alarm, read_at: int) -> None:
        """Write the alarm if its row is still at version `read_at`; on StaleWrite (another writer changed it)
        replace the in-memory copy with the stored alarm, so the next transaction starts from it."""
        try:
            txn.update_alarm(alarm, read_at)
        except StaleWrite:
            self.open.pop(alarm.key, None)
            stored = txn.open_alarm_for_key(alarm.key)
            if stored is not None:
                self.open[alarm.key] = stored
            raise

    # -- staging ---------------------------------------------------------------------------------------------
    def commit_staged(self) -> list[AlarmChange]:
        """After the transaction committed: make staged alarms current; return the changes to publish."""
        for alarm_id, parent in self._staged.parents.items():
            if parent is None:
                self.parents.pop(alarm_id, None)
            else:
                self.parents[alarm_id] = parent
        for key, alarm in self._staged.touched.items():
            if alarm.state is AlarmState.RESOLVED:
                self.parents.pop(alarm.id, None)
                if key in self.open and self.open[key].id == alarm.id:
                    del self.open[key]
            else:
                self.open[key] = alarm
        for alarm_id, until in self._staged.shelves.items():
            if until is None:
                self.shelves.pop(alarm_id, None)
            else:
                self.shelves[alarm_id] = until
        changes = self._staged.changes
        self._staged = _Staged()
        return changes

    def staged_changes(self) -> list[AlarmChange]:
        """The changes of the transaction in progress, as `commit_staged` will return them (a cluster worker
        writes them to its outbox in the same transaction)."""
        return list(self._staged.changes)

    def discard_staged(self) -> None:
        """After a rollback: forget staged work."""
        self._staged = _Staged()

    def _audit(
        self, txn: AlarmTxn, action: str, alarm: Alarm, actor: str, now: float, details: dict[str, Any]
    ) -> None:
        txn.append_audit(AuditEntry(now, actor, action, f"alarm:{alarm.id}", details))

    def _emit(self, kind: str, alarm: Alarm, actor: str, now: float, details: dict[str, Any]) -> None:
        change = AlarmChange(kind, alarm, actor, now, dict(details), self._parent(alarm.id))
        self._staged.changes.append(change)


_PAST = {
    Action.ACK: "acknowledged",
    Action.ASSIGN: "assigned",
    Action.COMMENT: "commented",
    Action.RESOLVE: "resolved",
    Action.REOPEN: "reopened",
    Action.SHELVE: "shelved",
    Action.UNSHELVE: "unshelved",
}

_DISPOSITIONS = ", ".join(d.value for d in Disposition)


def _details(action: Action, params: dict[str, Any], now: float) -> dict[str, Any]:
    """An action's checked parameters as its audit record and change carry them."""
    if action is Action.SHELVE:
        minutes, reason = shelving.check_shelve(params)
        return {"minutes": minutes, "until": rfc3339(now + minutes * 60), "reason": reason}
    if action is Action.UNSHELVE:
        shelving.check_unshelve(params)
        return {"why": "unshelved"}
    return _action_details(action, params)


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
    allowed = {Action.ACK: {"cascade"}, Action.ASSIGN: {"to"}, Action.COMMENT: {"text"}}
    allowed |= {Action.RESOLVE: {"disposition", "note", "cascade"}, Action.REOPEN: {"reason"}}
    for key in params:
        if key not in allowed[action]:
            problems.append(Problem(key, params[key], f"unknown field for {action.value}"))
    if action is Action.ASSIGN:
        details["to"] = text("to", True, 128)
    elif action is Action.COMMENT:
        details["text"] = text("text", True)
    elif action is Action.RESOLVE:
        disposition = params.get("disposition")
        if not isinstance(disposition, str) or disposition not in {d.value for d in Disposition}:
            message = f"must be one of {_DISPOSITIONS}"
            if disposition is None:
                message = f"required field is missing (one of {_DISPOSITIONS})"
            problems.append(Problem("disposition", disposition, message))
        details["disposition"] = disposition
        details["note"] = text("note", False)
    elif action is Action.REOPEN:
        details["reason"] = text("reason", True)
    cascade = params.get("cascade", False) if action in (Action.ACK, Action.RESOLVE) else False
    if not isinstance(cascade, bool):
        problems.append(Problem("cascade", cascade, "must be true or false"))
    elif cascade:
        details["cascade"] = True
    if problems:
        raise InvalidInput(problems, f"invalid {action.value} request")
    return details
