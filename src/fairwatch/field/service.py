"""The field writer: every function runs inside the single writer's transaction (`pipeline.call`) and writes its
audit record there. Units, one-time sign-in, status changes, dispatch, check-ins, help-now and the timers' tick.

Functions that raise or clear alarms return `Decision`s; the caller applies them with the alarm service in the same
transaction, so an alarm exists exactly when the unit change that caused it committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from fairwatch.errors import Conflict, Gone, InvalidInput, NotFound, Problem
from fairwatch.field import invites, timers
from fairwatch.field.model import (
    DISPATCHABLE,
    ON_DUTY,
    WITH_ASSIGNMENT,
    UnitKind,
    UnitStatus,
    refusal_message,
    status_refusal,
)
from fairwatch.field.position import zone_at
from fairwatch.field.timers import Fire, Timers
from fairwatch.incidents.fields import Fields
from fairwatch.model import AuditEntry, Decision, DecisionKind, Reason, Severity
from fairwatch.policy import check_name
from fairwatch.policy.grounds import Violation
from fairwatch.site import Site
from fairwatch.store import Device, Invite, LogEntry, Unit, UnitTxn

HELP_NOW = "other_safety.field_help_now"
RESCAN_SECONDS = 60.0
MAX_UNIT_NAME = 64
MAX_MEMBERS = 500
KINDS = tuple(k.value for k in UnitKind)
STATUSES = tuple(s.value for s in UnitStatus)


@dataclass
class FieldDesk:
    """Units of one site and the timers that watch them. `next_due` is when the writer's tick should next look
    (0: at the next tick); it only ever makes the tick look early, never late."""

    timers: Timers = field(default_factory=Timers)
    site: str = "site"
    zones: frozenset[str] | None = None
    invite_hours: float = invites.DEFAULT_HOURS
    plan: Site | None = None  # the site's zones, to place a unit's shared position in one
    next_due: float = 0.0

    # -- units --------------------------------------------------------------------------------------------------
    def create_unit(self, txn: UnitTxn, actor: str, doc: Any, now: float) -> Unit:
        """A new unit, available and checked in now."""
        f = Fields(doc, ("name", "kind", "members"), "unit")
        name = unit_name(f.doc.get("name"), f)
        kind = f.choice("kind", KINDS) or UnitKind.STEWARD.value
        members = f.integer("members", 1, MAX_MEMBERS) or 1
        f.done()
        return self.add_unit(txn, actor, name or "", kind, members, now)

    def add_unit(self, txn: UnitTxn, actor: str, name: str, kind: str, members: int, now: float) -> Unit:
        """Store a unit whose fields are already checked; audited as unit-created."""
        unit = Unit(name, kind, members, UnitStatus.AVAILABLE.value, now, now, now, now)
        unit = replace(unit, id=txn.insert_unit(unit))
        details = {"name": name, "kind": kind, "members": members}
        txn.append_audit(AuditEntry(now, actor, "unit-created", f"unit:{unit.id}", details))
        self.next_due = 0.0
        return unit

    def invite(
        self, txn: UnitTxn, actor: str, unit_id: int, hours: float | None, now: float
    ) -> tuple[str, Invite]:
        """A one-time sign-in code for the unit (returned once; only its hash is stored)."""
        unit = self._unit(txn, unit_id)
        hours = self.invite_hours if hours is None else hours
        if not 0 < hours <= invites.MAX_HOURS:
            raise InvalidInput(
                [Problem("hours", hours, f"must be more than 0 and at most {invites.MAX_HOURS:g}")]
            )
        code = invites.new_code()
        invite = Invite(invites.code_hash(code), unit.id, now, now + hours * 3600.0, actor)
        invite = replace(invite, id=txn.insert_invite(invite))
        details = {"unit": unit.name, "invite": invite.id, "expires": invite.expires}
        txn.append_audit(AuditEntry(now, actor, "unit-invited", f"unit:{unit.id}", details))
        return code, invite

    def join(self, txn: UnitTxn, code: str, session_hash: str, client: str | None, now: float) -> Unit:
        """Use a one-time code: bind a new phone session (stored by `session_hash`) to its unit. Gone (410) when
        the code was used, expired or revoked; NotFound when there is no such code."""
        invite = txn.invite_by_hash(invites.code_hash(code))
        state = invites.invite_state(invite, now)
        if invite is None or state is invites.InviteState.UNKNOWN:
            raise NotFound("no such sign-in link")
        if state is not invites.InviteState.VALID or not txn.use_invite(invite.id, now):
            why = state.value if state is not invites.InviteState.VALID else "used"
            raise Gone(f"this sign-in link was {why}: ask the control room for a new one")
        unit = self._unit(txn, invite.unit_id)
        txn.insert_device(
            Device(session_hash, unit.id, invite.id, now, now + invites.DEVICE_HOURS * 3600, now)
        )
        details = {"unit": unit.name, "invite": invite.id, "client": client}
        txn.append_audit(AuditEntry(now, f"unit:{unit.id}", "unit-signed-in", f"unit:{unit.id}", details))
        return unit

    def revoke(self, txn: UnitTxn, actor: str, unit_id: int, now: float) -> list[str]:
        """Revoke the unit's unused links and sign its phones out; returns the revoked sessions' hashes."""
        unit = self._unit(txn, unit_id)
        count, hashes = txn.revoke_unit_access(unit.id, now)
        details = {"unit": unit.name, "invites": count, "devices": len(hashes)}
        txn.append_audit(AuditEntry(now, actor, "unit-access-revoked", f"unit:{unit.id}", details))
        return hashes

    # -- status, dispatch, check-in -----------------------------------------------------------------------------
    def set_status(
        self, txn: UnitTxn, actor: str, unit_id: int, doc: Any, now: float
    ) -> tuple[Unit, list[Decision]]:
        """Change the unit's status (409 naming what may follow when the change is not allowed); a change is
        also a check-in, and goes onto the log of the incident the unit is assigned to."""
        f = Fields(doc, ("status", "location"), "status change")
        wanted = f.choice("status", STATUSES, required=True)
        location = f.location("location")
        f.done()
        before = self._unit(txn, unit_id)
        current, target = UnitStatus(before.status), UnitStatus(str(wanted))
        assigned = before.incident_id is not None or before.alarm_id is not None
        why = status_refusal(current, target, assigned)
        if why is not None:
            allowed = sorted(s.value for s in UnitStatus if status_refusal(current, s, assigned) is None)
            raise Conflict(
                f"unit {before.id} ({before.name}): {refusal_message(current, target, why)}",
                current.value,
                allowed,
            )
        unit = replace(
            before,
            status=target.value,
            status_since=now,
            status_alarmed=None,
            updated=now,
            version=before.version + 1,
        )
        if target not in WITH_ASSIGNMENT:
            unit = replace(unit, incident_id=None, alarm_id=None, accepted_at=None)
        unit, decisions = self._checked_in(unit, location, now)
        decisions += self._clear_status(before)
        txn.update_unit(unit, before.version)
        details = {
            "unit": unit.name,
            "from": current.value,
            "to": target.value,
            "incident": before.incident_id,
            "alarm": before.alarm_id,
        }
        txn.append_audit(AuditEntry(now, actor, "unit-status-changed", f"unit:{unit.id}", details))
        if before.incident_id is not None:
            text = f"Unit {unit.name}: {current.value} -> {target.value}"
            txn.insert_log_entry(LogEntry(before.incident_id, "status", text, actor, now, now))
        self.next_due = 0.0
        return unit, decisions

    def dispatch(
        self, txn: UnitTxn, actor: str, unit_id: int, doc: Any, now: float, reason: str | None = None
    ) -> Unit:
        """Send the unit to an incident or an alarm (exactly one); it becomes `dispatched` until it accepts and
        moves. Audited (with `reason` when the dispatch was automatic), and written onto the incident's log."""
        f = Fields(doc, ("incident", "alarm"), "dispatch")
        incident_id, alarm_id = f.integer("incident"), f.integer("alarm")
        if (incident_id is None) == (alarm_id is None):
            f.fail(
                "incident",
                doc.get("incident") if isinstance(doc, dict) else None,
                "give exactly one of incident and alarm",
            )
        f.done()
        before = self._unit(txn, unit_id)
        current = UnitStatus(before.status)
        if current not in DISPATCHABLE:
            allowed = sorted(s.value for s in DISPATCHABLE)
            raise Conflict(
                f"unit {before.id} ({before.name}) is {current.value}: only a unit that is {', '.join(allowed)} can be dispatched",
                current.value,
                allowed,
            )
        if incident_id is not None and txn.get_incident(incident_id) is None:
            raise NotFound(f"incident {incident_id} not found")
        if alarm_id is not None and txn.get_alarm(alarm_id) is None:
            raise NotFound(f"alarm {alarm_id} not found")
        unit = replace(
            before, status=UnitStatus.DISPATCHED.value, status_since=now, status_alarmed=None, incident_id=incident_id,
            alarm_id=alarm_id, accepted_at=None, updated=now, version=before.version + 1,
        )  # fmt: skip
        txn.update_unit(unit, before.version)
        details: dict[str, Any] = {
            "unit": unit.name,
            "from": current.value,
            "incident": incident_id,
            "alarm": alarm_id,
        }
        if reason is not None:
            details["reason"] = reason
        txn.append_audit(AuditEntry(now, actor, "unit-dispatched", f"unit:{unit.id}", details))
        if incident_id is not None:
            txn.insert_log_entry(
                LogEntry(incident_id, "status", f"Unit {unit.name} dispatched", actor, now, now)
            )
        self.next_due = 0.0
        return unit

    def accept(self, txn: UnitTxn, actor: str, unit_id: int, now: float) -> Unit:
        """The unit accepts its current assignment."""
        before = self._unit(txn, unit_id)
        if before.incident_id is None and before.alarm_id is None:
            raise Conflict(f"unit {before.id} ({before.name}) has no assignment to accept", before.status, [])
        unit = replace(before, accepted_at=now, updated=now, version=before.version + 1)
        txn.update_unit(unit, before.version)
        details = {"unit": unit.name, "incident": unit.incident_id, "alarm": unit.alarm_id}
        txn.append_audit(AuditEntry(now, actor, "unit-assignment-accepted", f"unit:{unit.id}", details))
        if unit.incident_id is not None:
            txn.insert_log_entry(
                LogEntry(unit.incident_id, "status", f"Unit {unit.name} accepted", actor, now, now)
            )
        return unit

    def check_in(
        self, txn: UnitTxn, actor: str, unit_id: int, doc: Any, now: float
    ) -> tuple[Unit, list[Decision]]:
        """The unit confirms it is fine (and where it is, when the phone shares it)."""
        f = Fields(doc, ("location",), "check-in")
        location = f.location("location")
        f.done()
        before = self._unit(txn, unit_id)
        unit, decisions = self._checked_in(
            replace(before, updated=now, version=before.version + 1), location, now
        )
        txn.update_unit(unit, before.version)
        txn.append_audit(AuditEntry(now, actor, "unit-checked-in", f"unit:{unit.id}", {"unit": unit.name}))
        self.next_due = 0.0
        return unit, decisions

    def help_now(
        self, txn: UnitTxn, actor: str, unit_id: int, doc: Any, now: float
    ) -> tuple[Unit, list[Decision]]:
        """Help now: a critical alarm naming the unit and its last known position."""
        unit, decisions = self.check_in(txn, actor, unit_id, doc, now)
        where = _where(unit)
        decision = Decision(
            DecisionKind.RAISE, Reason.THRESHOLD, "field.help-now", HELP_NOW, Severity.CRITICAL,
            f"field:help-now:unit-{unit.id}", {"unit": unit.name}, now, zone=unit.zone, site=self.site,
            explanation=f"Unit {unit.name} ({unit.kind}) pressed Help now; last known position {where}.",
        )  # fmt: skip
        txn.append_audit(
            AuditEntry(
                now, actor, "unit-help-now", f"unit:{unit.id}", {"unit": unit.name, "location": unit.location}
            )
        )
        return unit, [*decisions, decision]

    # -- the police liaison for an escalated welfare case (welfare/timer.py asks through api/field.py) ----------
    def free_liaison(self, txn: UnitTxn) -> tuple[Unit | None, str]:
        """The police liaison unit to send at once (on duty and free: available or clear; the lowest id) and
        what the escalation alarm says about it. A busy liaison (dispatched, en route, on scene) is not pulled
        off its task: the alarm names it, and the control room decides."""
        liaisons = sorted(
            (u for u in txn.list_units() if u.kind == UnitKind.POLICE_LIAISON.value),
            key=lambda u: u.id,
        )
        on_duty = [u for u in liaisons if UnitStatus(u.status) in ON_DUTY]
        free = [u for u in on_duty if UnitStatus(u.status) in (UnitStatus.AVAILABLE, UnitStatus.CLEAR)]
        if free:
            return free[0], f"police liaison unit {free[0].name} dispatched"
        if not on_duty:
            return None, "no police liaison unit on duty"
        busy = ", ".join(f"{u.name} {u.status}" for u in on_duty)
        return None, f"no police liaison unit free ({busy})"

    def dispatch_liaison(self, txn: UnitTxn, unit_id: int, alarm_id: int, case_id: int, now: float) -> Unit:
        """Dispatch a police liaison unit to an escalated case's alarm, by the system: audited on the unit (with
        the reason) and on the alarm, so it is on the alarm's timeline. Only ids and the unit's name."""
        reason = f"welfare case {case_id} escalated"
        unit = self.dispatch(txn, "system", unit_id, {"alarm": alarm_id}, now, reason)
        details = {"unit": unit.name, "unit_id": unit.id, "reason": reason}
        txn.append_audit(AuditEntry(now, "system", "unit-dispatched", f"alarm:{alarm_id}", details))
        return unit

    # -- timers (the writer's tick) -----------------------------------------------------------------------------
    def due(self, now: float) -> bool:
        """Whether the tick should look at the units now."""
        return now >= self.next_due

    def fire(self, txn: UnitTxn, now: float) -> list[Decision]:
        """Raise the alarms of the timers due at `now` (each once) and note when to look next."""
        decisions: list[Decision] = []
        upcoming = []
        for unit in txn.list_units():
            fired = timers.due(unit, self.timers, now)
            if fired:
                marked = unit
                for what in fired:
                    decisions.append(self._timer_decision(unit, what, now))
                    if what is Fire.MISSED_CHECK_IN:
                        marked = replace(marked, check_in_alarmed=unit.last_check_in)
                    else:
                        marked = replace(marked, status_alarmed=unit.status_since)
                marked = replace(marked, version=unit.version + 1)
                txn.update_unit(marked, unit.version)
                unit = marked
            upcoming.append(timers.next_deadline(unit, self.timers))
        # At least once a minute: units changed by another process (the CLI, a second server) are seen too.
        self.next_due = min([*upcoming, now + RESCAN_SECONDS])
        return decisions

    def reset(self) -> None:
        """A tick's transaction failed: look again at the next tick."""
        self.next_due = 0.0

    # -- helpers ------------------------------------------------------------------------------------------------
    def _unit(self, txn: UnitTxn, unit_id: int) -> Unit:
        unit = txn.get_unit(unit_id)
        if unit is None:
            raise NotFound(f"unit {unit_id} not found")
        return unit

    def _checked_in(
        self, unit: Unit, location: dict[str, float] | None, now: float
    ) -> tuple[Unit, list[Decision]]:
        decisions = []
        if unit.check_in_alarmed is not None:
            decisions.append(self._clear(unit, timers.MISSED_CHECK_IN, "check-in", Reason.RETURNED, now))
        unit = replace(unit, last_check_in=now, check_in_alarmed=None)
        if location is not None:
            unit = replace(unit, location=location, position_at=now, zone=zone_at(self.plan, location))
        return unit, decisions

    def _clear_status(self, before: Unit) -> list[Decision]:
        if before.status_alarmed is None:
            return []
        return [self._clear(before, timers.STATUS_OVERDUE, "status", Reason.CLEARED, before.updated)]

    def _clear(self, unit: Unit, alarm_type: str, what: str, reason: Reason, now: float) -> Decision:
        return Decision(
            DecisionKind.CLEAR, reason, f"field.{what}", alarm_type, Severity.INFO, _timer_key(unit, what),
            {"unit": unit.name}, now, site=self.site, explanation=f"Unit {unit.name} is heard from again.",
        )  # fmt: skip

    def _timer_decision(self, unit: Unit, what: Fire, now: float) -> Decision:
        if what is Fire.MISSED_CHECK_IN:
            minutes = round((now - unit.last_check_in) / 60)
            text = f"Unit {unit.name} ({unit.kind}) has not checked in for {minutes} min; last known position {_where(unit)}."
            return Decision(
                DecisionKind.RAISE, Reason.ABSENT, "field.check-in", timers.MISSED_CHECK_IN, Severity.HIGH,
                _timer_key(unit, "check-in"), {"unit": unit.name}, now, zone=unit.zone, site=self.site, explanation=text,
            )  # fmt: skip
        minutes = round((now - unit.status_since) / 60)
        text = f"Unit {unit.name} ({unit.kind}) has been {unit.status} for {minutes} min without moving on."
        return Decision(
            DecisionKind.RAISE, Reason.HELD, "field.status", timers.STATUS_OVERDUE, Severity.HIGH,
            _timer_key(unit, "status"), {"unit": unit.name}, now, zone=unit.zone, site=self.site, explanation=text,
        )  # fmt: skip


def unit_name(value: Any, f: Fields | None = None, field_name: str = "name") -> str | None:
    """A unit name: 1-64 characters, no control characters, passing the rights guard's name check."""
    problem: Problem | None = None
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > MAX_UNIT_NAME
        or value != value.strip()
    ):
        problem = Problem(
            field_name, value, f"must be 1-{MAX_UNIT_NAME} characters without leading or trailing spaces"
        )
    else:
        found = check_name(value)
        if isinstance(found, Violation):
            problem = Problem(
                field_name,
                value,
                f"refused by the rights guard: {found.ground.value}: '{found.term}' ({found.reason})",
            )
        elif found is not None:
            problem = Problem(field_name, value, f"refused by the rights guard: {found.reason}")
        elif any(ord(c) < 32 or ord(c) == 127 for c in value):
            problem = Problem(field_name, value, "must not hold control characters")
    if problem is None:
        return str(value)
    if f is None:
        raise InvalidInput([problem], "invalid unit")
    f.problems.append(problem)
    return None


def _timer_key(unit: Unit, what: str) -> str:
    return f"field:{what}:unit-{unit.id}"


def _where(unit: Unit) -> str:
    if unit.location is None:
        return "unknown"
    text = ", ".join(f"{k} {v:g}" for k, v in unit.location.items())
    return f"{text} ({unit.zone})" if unit.zone else text


def field_link(
    txn: UnitTxn,
    desk: FieldDesk,
    name: str,
    kind: str | None,
    hours: float | None,
    now: float,
    actor: str = "cli",
) -> tuple[str, Invite]:
    """A one-time code for the unit named `name`, creating the unit (of `kind`, default steward) when there is
    none; a `kind` that differs from an existing unit's is refused."""
    f = Fields({"name": name, "kind": kind}, ("name", "kind"), "unit")
    checked = unit_name(name, f, "unit")
    chosen = f.choice("kind", KINDS)
    f.done()
    unit = txn.unit_by_name(checked or "")
    if unit is None:
        unit = desk.add_unit(txn, actor, checked or "", chosen or UnitKind.STEWARD.value, 1, now)
    elif chosen is not None and chosen != unit.kind:
        raise InvalidInput(
            [Problem("kind", chosen, f"unit {unit.name!r} is a {unit.kind} unit")], "invalid unit"
        )
    return desk.invite(txn, actor, unit.id, hours, now)
