"""The welfare desk: opening a lost/found-person case, closing it when the person is found, and escalating it.
Every function runs inside the single writer's transaction and writes its audit record there; audit records
carry ids and the action, never the description (it is narrative, kept in the case row only)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from fairwatch.errors import Conflict, NotFound, PolicyViolation, Problem
from fairwatch.incidents.fields import Fields
from fairwatch.incidents.log import AHEAD
from fairwatch.model import AuditEntry
from fairwatch.policy import check_event, check_name
from fairwatch.store import WelfareCase, WelfareTxn
from fairwatch.welfare import escalation
from fairwatch.welfare.model import AgeBand, CaseKind, CaseState, HeightBand

CREATE_FIELDS = (
    "kind", "age_band", "height_band", "clothing", "last_seen_zone", "last_seen_at", "vulnerable", "contact",
)  # fmt: skip
MAX_NARRATIVE = 1000
# The case's structured fields, as the person-data ban judges data keys (RS-4): refused keys never reach a case.
_BAN_TYPE = "missing_person.report"


@dataclass
class WelfareDesk:
    """Welfare cases of one site: its zones (None: any zone name) and the escalation delay in seconds."""

    site: str = "site"
    zones: frozenset[str] | None = None
    delay: float = 20 * 60.0

    def create(self, txn: WelfareTxn, actor: str, doc: Any, now: float) -> WelfareCase:
        """A new open case; 422 names every bad field, a person-attribute key is refused naming its ground."""
        _ban(doc)
        f = Fields(doc, CREATE_FIELDS, "welfare case")
        kind = f.choice("kind", [k.value for k in CaseKind], required=True)
        age = f.choice("age_band", [a.value for a in AgeBand], required=True)
        height = f.choice("height_band", [h.value for h in HeightBand]) or HeightBand.UNKNOWN.value
        zone = self._zone(f)
        seen = f.time("last_seen_at")
        if seen is not None and seen > now + AHEAD:
            f.fail("last_seen_at", f.doc["last_seen_at"], "is more than 5 minutes in the future")
        vulnerable = bool(f.boolean("vulnerable"))
        clothing = f.text("clothing", limit=MAX_NARRATIVE)
        contact = f.text("contact", limit=MAX_NARRATIVE)
        f.done()
        assert kind is not None and age is not None and zone is not None
        case = WelfareCase(
            kind=kind, site=self.site, age_band=age, height_band=height, last_seen_zone=zone,
            last_seen_at=now if seen is None else min(seen, now), vulnerable=vulnerable,
            state=CaseState.OPEN.value, reported_by=actor, reported_at=now,
            escalate_at=escalation.escalate_at(now, vulnerable, self.delay), clothing=clothing, contact=contact,
        )  # fmt: skip
        case = replace(case, id=txn.insert_welfare_case(case))
        _audit(txn, now, actor, "welfare-case-opened", case.id, {"kind": kind})
        return case

    def found(self, txn: WelfareTxn, actor: str, case_id: int, doc: Any, now: float) -> WelfareCase:
        """Close an open case with its reunification note; a closed case answers 409."""
        before = self.get(txn, case_id)
        if before.state == CaseState.CLOSED:
            raise Conflict(f"welfare case {case_id} is closed already", before.state, [])
        f = Fields(doc, ("note",), "found request")
        note = f.text("note", required=True, limit=MAX_NARRATIVE)
        f.done()
        after = replace(
            before, state=CaseState.CLOSED.value, closed_at=now, closed_by=actor, note=note,
            version=before.version + 1,
        )  # fmt: skip
        txn.update_welfare_case(after, before.version)
        _audit(txn, now, actor, "welfare-case-found", case_id, {})
        return after

    def escalate_due(self, txn: WelfareTxn, now: float) -> list[tuple[WelfareCase, escalation.Escalation]]:
        """Mark every case due at `now` escalated (audited); returns them with the reason, for their alarms."""
        out = []
        for case in txn.due_welfare_cases(now):
            why = escalation.due(case, now)
            if why is None:
                continue
            after = replace(case, escalated_at=now, version=case.version + 1)
            txn.update_welfare_case(after, case.version)
            _audit(txn, now, "system", "welfare-case-escalated", case.id, {"reason": why.value})
            out.append((after, why))
        return out

    def get(self, txn: WelfareTxn, case_id: int) -> WelfareCase:
        found = txn.get_welfare_case(case_id)
        if found is None:
            raise NotFound(f"welfare case {case_id} not found")
        return found

    def _zone(self, f: Fields) -> str | None:
        """A zone of the site; without a site file, any name that passes the name check (it names the alarm's
        zone, which receivers see)."""
        value = f.name("last_seen_zone", required=True)
        if value is None:
            return None
        if self.zones is not None and value not in self.zones:
            f.fail("last_seen_zone", value, "is not a zone of the site")
            return None
        refused = check_name(value) if self.zones is None else None
        if refused is not None:
            f.fail("last_seen_zone", value, f"refused by the rights guard: {refused.reason}")
            return None
        return value


def _ban(doc: Any) -> None:
    """Keys that carry person attributes are refused naming the ground (RS-4), before anything else."""
    if isinstance(doc, dict):
        problems = [
            Problem(p.field.removeprefix("data."), p.value, p.message)
            for p in check_event(_BAN_TYPE, doc)
            if p.field != "type"
        ]
        if problems:
            raise PolicyViolation(problems)


def _audit(
    txn: WelfareTxn, now: float, actor: str, action: str, case_id: int, details: dict[str, Any]
) -> None:
    txn.append_audit(AuditEntry(now, actor, action, f"welfare:{case_id}", {"case": case_id, **details}))
