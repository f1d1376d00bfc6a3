"""The incident writer: every function runs inside the single writer's transaction (`pipeline.call`) and writes
its audit record in that same transaction. Free text (titles, log text, notes) is bound into the audit chain by
its SHA-256 only: the narrative stays in the incident tables, never in records that leave the building."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from fairwatch.errors import Conflict, InvalidInput, NotFound, PolicyViolation, Problem
from fairwatch.events.validate import rfc3339
from fairwatch.incidents import lifecycle
from fairwatch.incidents.cards import Cards
from fairwatch.incidents.fields import Fields
from fairwatch.incidents.log import AHEAD, entry_problems, read_entry
from fairwatch.incidents.model import Disposition, IncidentState, LogKind, MajorIncident, TaskState
from fairwatch.model import AuditEntry, Severity
from fairwatch.policy import check_text
from fairwatch.site import Site
from fairwatch.store import Incident, IncidentTxn, LogEntry, Task
from fairwatch.taxonomy import Taxonomy

CREATE_FIELDS = (
    "title",
    "type",
    "severity",
    "priority",
    "zone",
    "location",
    "occurred_at",
    "alarms",
    "exercise",
)
UPDATE_FIELDS = (
    "title", "severity", "priority", "owner", "lead_agency", "agencies", "zone", "location", "major_incident",
    "first_dispatch_at", "exercise",
)  # fmt: skip
# Optional fields a PATCH clears with JSON null (other fields read null as absent).
CLEARABLE = ("owner", "lead_agency", "zone", "location")
PRIORITY_BY_SEVERITY = {"critical": 1, "high": 2, "medium": 3, "low": 4, "info": 4}
SEVERITIES = tuple(s.value for s in Severity)
MAX_TITLE = 200

# Missing and found persons are welfare cases (welfare/), never incidents: see `_type`.
RESTRICTED_HAZARD = "missing_person"
RESTRICTED_MESSAGE = (
    "a lost or found person is a welfare case, not an incident: open it with POST /api/v1/welfare/cases"
    " (welfare staff, supervisors and admins; docs/welfare.md)"
)


def digest(text: str) -> str:
    """What the audit chain keeps of a free text: its SHA-256."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class IncidentDesk:
    """Incidents for one site: the taxonomy their types come from and the action cards their tasks come from."""

    taxonomy: Taxonomy
    cards: Cards
    site: str = "site"
    zones: frozenset[str] | None = None  # the site's zone ids; None: any zone name (no site file)

    @classmethod
    def default(cls) -> IncidentDesk:
        """The built-in taxonomy and no cards (an API built without a deployment's configuration)."""
        return cls(Taxonomy.builtin(), Cards())

    @classmethod
    def for_site(cls, taxonomy: Taxonomy, cards: Cards, site: Site | None) -> IncidentDesk:
        """Incidents of `site` (its id and zones), or of an unnamed site when there is no site file."""
        if site is None:
            return cls(taxonomy, cards)
        return cls(taxonomy, cards, site.id, frozenset(z.id for z in site.zones))

    @property
    def agency(self) -> str:
        """This control room as an agency in EIDO documents."""
        return f"control-room.{self.site}.fairwatch"

    # -- incidents ------------------------------------------------------------------------------------------
    def create(self, txn: IncidentTxn, actor: str, doc: Any, now: float) -> Incident:
        """A new open incident, its card's tasks, and the alarms it starts with."""
        f = Fields(doc, CREATE_FIELDS, "incident")
        title = f.text("title", required=True, limit=MAX_TITLE)
        itype = self._type(f)
        severity = f.choice("severity", SEVERITIES) or "medium"
        occurred = f.time("occurred_at")
        if occurred is not None and occurred > now + AHEAD:
            f.fail("occurred_at", f.doc["occurred_at"], "is more than 5 minutes in the future")
        incident = Incident(
            number="",
            site=self.site,
            title=title or "",
            type=itype or "",
            severity=severity,
            priority=f.integer("priority", 1, 4) or PRIORITY_BY_SEVERITY[severity],
            state=IncidentState.OPEN.value,
            occurred_at=now if occurred is None else min(occurred, now),
            reported_at=now,
            reporter=actor,
            created=now,
            updated=now,
            owner=actor,
            zone=self._zone(f),
            location=f.location("location"),
            exercise=bool(f.boolean("exercise")),
        )
        alarm_ids = f.ids("alarms")
        f.done()
        year = datetime.fromtimestamp(now, UTC).year
        seq = txn.next_incident_number(self.site, f"{year}-")
        incident = replace(incident, number=f"{year}-{seq:04d}")
        incident = replace(incident, id=txn.insert_incident(incident))
        details = {
            "number": incident.number, "type": incident.type, "severity": incident.severity,
            "priority": incident.priority, "zone": incident.zone, "exercise": incident.exercise,
            "title_sha256": digest(incident.title),
        }  # fmt: skip
        _audit(txn, now, actor, "incident-created", incident.id, details)
        for step in self.cards.for_type(incident.type):
            self._insert_task(txn, incident.id, step, now, card=incident.type)
        if alarm_ids:
            self._merge(txn, actor, incident, alarm_ids, move=False, now=now)
        return incident

    def update(self, txn: IncidentTxn, actor: str, incident_id: int, doc: Any, now: float) -> Incident:
        """Change the record's fields (owner, agencies, major-incident status, first dispatch, ...); JSON null
        clears one of CLEARABLE. Audited with every changed field's new value (texts by digest)."""
        before = self._open(txn, incident_id, "change")
        f = Fields(doc, UPDATE_FIELDS, "incident change")
        values: dict[str, Any] = {
            "title": f.text("title", limit=MAX_TITLE),
            "severity": f.choice("severity", SEVERITIES),
            "priority": f.integer("priority", 1, 4),
            "owner": f.name("owner"),
            "lead_agency": f.name("lead_agency"),
            "agencies": f.names("agencies"),
            "zone": self._zone(f),
            "location": f.location("location"),
            "major_incident": f.choice("major_incident", [m.value for m in MajorIncident]),
            "first_dispatch_at": f.time("first_dispatch_at"),
            "exercise": f.boolean("exercise"),
        }
        if not f.doc and not f.problems:
            f.fail("body", {}, f"names no field to change (any of {', '.join(UPDATE_FIELDS)})")
        f.done()
        _guard(values["lead_agency"], "lead_agency")
        for i, agency in enumerate(values["agencies"] or ()):
            _guard(agency, f"agencies[{i}]")
        changed = {k: v for k, v in values.items() if v is not None and v != getattr(before, k)}
        cleared = [k for k in CLEARABLE if k in f.doc and f.doc[k] is None and getattr(before, k) is not None]
        changed.update(dict.fromkeys(cleared))
        if not changed:
            return before
        after = replace(before, **changed, updated=now, version=before.version + 1)
        txn.update_incident(after, before.version)
        shown = {
            k: (digest(v) if k == "title" else list(v) if k == "agencies" else v) for k, v in changed.items()
        }
        _audit(txn, now, actor, "incident-updated", incident_id, {"changed": shown})
        if "major_incident" in changed:
            text = f"major incident: {before.major_incident} -> {after.major_incident}"
            self._system(txn, incident_id, actor, text, now)
        return after

    def act(
        self, txn: IncidentTxn, actor: str, incident_id: int, action: lifecycle.Action, doc: Any, now: float
    ) -> Incident:
        """hold | resume | close {disposition, note} | reopen {reason}: the lifecycle decides, 409 otherwise."""
        before = self._incident(txn, incident_id)
        state, reason = lifecycle.transition(IncidentState(before.state), action)
        f = Fields(
            doc if doc is not None else {}, ("disposition", "note", "reason"), f"{action.value} request"
        )
        disposition = f.choice(
            "disposition", [d.value for d in Disposition], required=action is lifecycle.Action.CLOSE
        )
        note = f.text("note", required=action is lifecycle.Action.CLOSE)
        why = f.text("reason", required=action is lifecycle.Action.REOPEN)
        f.done()
        after = replace(before, state=state.value, updated=now, version=before.version + 1)
        if action is lifecycle.Action.CLOSE:
            after = replace(after, disposition=disposition, closing_note=note, closed_at=now)
        elif action is lifecycle.Action.REOPEN:
            after = replace(after, disposition=None, closing_note=None, closed_at=None)
        txn.update_incident(after, before.version)
        details: dict[str, Any] = {"from": before.state, "to": state.value}
        if disposition:
            details["disposition"] = disposition
        for name, text in (("note", note), ("reason", why)):
            if text:
                details[f"{name}_sha256"] = digest(text)
        _audit(txn, now, actor, f"incident-{reason.value}", incident_id, details)
        summary = f"{before.state} -> {state.value}" + (f" ({disposition})" if disposition else "")
        self._system(txn, incident_id, actor, " ".join(filter(None, [summary, note or why])), now)
        return after

    # -- alarms ---------------------------------------------------------------------------------------------
    def merge(self, txn: IncidentTxn, actor: str, incident_id: int, doc: Any, now: float) -> list[int]:
        """Merge alarms into the incident; one that belongs to another incident moves only with `move: true`."""
        incident = self._open(txn, incident_id, "merge alarms into")
        f = Fields(doc, ("alarms", "move"), "merge request")
        ids = f.ids("alarms", required=True)
        move = bool(f.boolean("move"))
        f.done()
        return self._merge(txn, actor, incident, ids, move=move, now=now)

    def _merge(
        self, txn: IncidentTxn, actor: str, incident: Incident, ids: list[int], *, move: bool, now: float
    ) -> list[int]:
        missing = [i for i in ids if txn.get_alarm(i) is None]
        if missing:
            raise InvalidInput([Problem("alarms", missing, "no such alarm")], "invalid merge")
        owners = txn.incidents_of_alarms(ids)
        taken = {a: i for a, i in owners.items() if i != incident.id}
        if taken and not move:
            alarm_id, other = next(iter(taken.items()))
            other_inc = txn.get_incident(other)
            number = other_inc.number if other_inc else str(other)
            raise Conflict(
                f"alarm {alarm_id} belongs to incident {number}; send move: true to move it",
                "merged",
                ["move"],
            )
        merged = [a for a in ids if owners.get(a) != incident.id]
        for alarm_id in merged:
            if alarm_id in taken:
                txn.unlink_alarm(alarm_id)
                details = {"alarm": alarm_id, "from": taken[alarm_id], "to": incident.id}
                _audit(txn, now, actor, "incident-alarm-moved", incident.id, details)
                self._system(
                    txn, taken[alarm_id], actor, f"alarm {alarm_id} moved to incident {incident.number}", now
                )
            txn.link_alarm(incident.id, alarm_id, now)
            _audit(txn, now, actor, "incident-alarm-merged", incident.id, {"alarm": alarm_id})
            self._system(txn, incident.id, actor, f"alarm {alarm_id} merged", now)
        return merged

    def detach(self, txn: IncidentTxn, actor: str, incident_id: int, alarm_id: int, now: float) -> None:
        """Take an alarm out of the incident."""
        self._incident(txn, incident_id)
        if txn.incidents_of_alarms([alarm_id]).get(alarm_id) != incident_id:
            raise NotFound(f"alarm {alarm_id} is not merged into incident {incident_id}")
        txn.unlink_alarm(alarm_id)
        _audit(txn, now, actor, "incident-alarm-detached", incident_id, {"alarm": alarm_id})
        self._system(txn, incident_id, actor, f"alarm {alarm_id} detached", now)

    # -- the log --------------------------------------------------------------------------------------------
    def log(self, txn: IncidentTxn, actor: str, incident_id: int | None, doc: Any, now: float) -> LogEntry:
        """Append an entry to the incident's log (the site-wide log for None); 422 names any missing field."""
        if incident_id is not None:
            self._incident(txn, incident_id)
        entry, problems = read_entry(doc, incident_id, actor, now)
        if not problems:
            problems = entry_problems(entry)
        if not problems and entry.corrects is not None:
            target = txn.get_log_entry(entry.corrects)
            if target is None or target.incident_id != incident_id:
                problems = [Problem("corrects", entry.corrects, "no such entry in this log")]
        if problems:
            raise InvalidInput(problems, "invalid log entry")
        entry = replace(entry, id=txn.insert_log_entry(entry))
        _audit_log(txn, entry)
        return entry

    def _system(self, txn: IncidentTxn, incident_id: int, actor: str, text: str, now: float) -> None:
        entry = LogEntry(incident_id, LogKind.SYSTEM.value, text, actor, now, now)
        _audit_log(txn, replace(entry, id=txn.insert_log_entry(entry)))

    # -- tasks ----------------------------------------------------------------------------------------------
    def add_task(self, txn: IncidentTxn, actor: str, incident_id: int, doc: Any, now: float) -> Task:
        """A task added by hand: {title, assignee?, due?}; the title passes the rights guard like a card's."""
        self._open(txn, incident_id, "add a task to")
        f = Fields(doc, ("title", "assignee", "due"), "task")
        title = f.text("title", required=True, free=False, limit=MAX_TITLE)
        assignee, due = f.name("assignee"), f.time("due")
        f.done()
        assert title is not None
        _guard(title, "title")
        return self._insert_task(txn, incident_id, title, now, assignee=assignee, due=due, actor=actor)

    def _insert_task(
        self, txn: IncidentTxn, incident_id: int, title: str, now: float, *, card: str | None = None,
        assignee: str | None = None, due: float | None = None, actor: str = "system",
    ) -> Task:  # fmt: skip
        task = Task(incident_id, title, TaskState.TODO.value, now, now, assignee, due, card=card)
        task = replace(task, id=txn.insert_task(task))
        details = {"task": task.id, "title": title, "card": card, "assignee": assignee}
        _audit(txn, now, actor, "task-created", incident_id, details)
        return task

    def task_state(self, txn: IncidentTxn, actor: str, task_id: int, doc: Any, now: float) -> Task:
        """{state, reason?, assignee?}: skipping needs a reason."""
        task = txn.get_task(task_id)
        if task is None:
            raise NotFound(f"task {task_id} not found")
        self._open(txn, task.incident_id, "change a task of")
        f = Fields(doc, ("state", "reason", "assignee"), "task state")
        state = f.choice("state", [s.value for s in TaskState], required=True)
        reason = f.text("reason")
        assignee = f.name("assignee")
        if state == TaskState.SKIPPED and reason is None and not f.has("reason"):
            f.fail("reason", None, "skipping a task needs a reason")
        f.done()
        assert state is not None
        after = replace(task, state=state, reason=reason, assignee=assignee or task.assignee, updated=now)
        txn.update_task(after)
        details: dict[str, Any] = {
            "task": task_id,
            "from": task.state,
            "to": state,
            "assignee": after.assignee,
        }
        if reason:
            details["reason_sha256"] = digest(reason)
        _audit(txn, now, actor, "task-state-changed", task.incident_id, details)
        return after

    # -- reading inside the transaction ---------------------------------------------------------------------
    def _type(self, f: Fields) -> str | None:
        value = f.name("type", required=True)
        if value is not None and not self.taxonomy.is_active(value):
            f.fail("type", value, "is not an active alarm type of the taxonomy")
            return None
        known = self.taxonomy.get(value) if value is not None else None
        if known is not None and known.hazard_class == RESTRICTED_HAZARD:
            # A lost or found person is described only in a welfare case, which only welfare staff, supervisors
            # and admins see and which never leaves the building (docs/welfare.md); an incident is seen by every
            # viewer and goes out in EIDO exports and the post-event report.
            f.fail("type", value, RESTRICTED_MESSAGE)
            return None
        return value

    def _zone(self, f: Fields) -> str | None:
        value = f.name("zone")
        if value is not None and self.zones is not None and value not in self.zones:
            f.fail("zone", value, "is not a zone of the site")
            return None
        return value

    def _incident(self, txn: IncidentTxn, incident_id: int) -> Incident:
        found = txn.get_incident(incident_id)
        if found is None:
            raise NotFound(f"incident {incident_id} not found")
        return found

    def _open(self, txn: IncidentTxn, incident_id: int, what: str) -> Incident:
        """The incident, unless it is closed (then a Conflict naming the state and `reopen`)."""
        found = self._incident(txn, incident_id)
        if found.state == IncidentState.CLOSED:
            raise Conflict(
                f"cannot {what} an incident that is closed; allowed actions: reopen", "closed", ["reopen"]
            )
        return found


def _guard(label: str | None, field: str) -> None:
    """A label others act on (a task title, an agency) passes the rights guard; 422 naming the ground."""
    refused = check_text(label) if label else None
    if refused is not None:
        message = f"refused by the rights guard: {refused.ground.value} ({refused.reason})"
        raise PolicyViolation([Problem(field, label, message)])


def _audit(
    txn: IncidentTxn, now: float, actor: str, action: str, incident_id: int, details: dict[str, Any]
) -> None:
    txn.append_audit(AuditEntry(now, actor, action, f"incident:{incident_id}", details))


def _audit_log(txn: IncidentTxn, entry: LogEntry) -> None:
    obj = "log:site" if entry.incident_id is None else f"incident:{entry.incident_id}"
    details: dict[str, Any] = {
        "entry": entry.id, "kind": entry.kind, "occurred_at": rfc3339(entry.occurred_at),
        "text_sha256": digest(entry.text), "corrects": entry.corrects,
    }  # fmt: skip
    txn.append_audit(AuditEntry(entry.entered_at, entry.author, "log-entry-added", obj, details))
