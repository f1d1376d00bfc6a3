"""The demo's control log: a few incidents with log traffic, written through the incident writer functions
(the same ones the API calls), marked as exercises."""

from __future__ import annotations

from fairwatch.incidents import Action, IncidentDesk
from fairwatch.store import Txn

ACTOR = "demo-controller"


def seed_incidents(txn: Txn, desk: IncidentDesk, now: float) -> int:
    """Open the demo incidents once (none when the store has incidents already); how many were opened."""
    if txn_has_incidents(txn):
        return 0
    desk.log(
        txn, ACTOR, None, {"kind": "note", "text": "Shift start: control room staffed, radios checked"}, now
    )
    crush = desk.create(txn, ACTOR, _incident("Crowd building at the main stage barrier",
                                              "crowd_safety.crush_risk", "main-stage", "high"), now)  # fmt: skip
    for doc in (
        {"kind": "radio", "text": "Stewards report pushing at the front-of-stage barrier"},
        {"kind": "decision", "text": "Hold inflow at the north gates", "reason": "density rising towards 4/m2"},
        {"kind": "methane", "text": "First M/ETHANE report", "methane": {
            "major_incident": "not declared", "exact_location": "main stage, front barrier",
            "type_of_incident": "crowd crush risk", "hazards": "high density, heat",
            "access": "service road east", "casualties": 0, "emergency_services": "police and ambulance on site",
        }},
    ):  # fmt: skip
        desk.log(txn, ACTOR, crush.id, doc, now)
    desk.update(txn, ACTOR, crush.id, {"lead_agency": "police", "agencies": ["ambulance"]}, now)
    # (a lost child would be a welfare case, never an incident: docs/welfare.md)
    bag = desk.create(txn, ACTOR, _incident("Unattended bag at the food court",
                                            "other_safety.unattended_item", "food-court", "medium"), now)  # fmt: skip
    desk.log(
        txn, ACTOR, bag.id, {"kind": "phone", "text": "Stall holder says the owner went to the toilets"}, now
    )
    desk.act(
        txn, ACTOR, bag.id, Action.CLOSE, {"disposition": "resolved", "note": "owner came back for it"}, now
    )
    return 2


def _incident(title: str, itype: str, zone: str, severity: str) -> dict[str, object]:
    return {"title": title, "type": itype, "zone": zone, "severity": severity, "exercise": True}


def txn_has_incidents(txn: Txn) -> bool:
    """Whether incident 1 exists (ids start at 1 and are never reused)."""
    return txn.get_incident(1) is not None
