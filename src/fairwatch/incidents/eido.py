"""An incident as a NENA EIDO JSON object (NENA-STA-021.1b; schema in standards/eido/, checked by the tests).

Mapping (docs/incidents.md): the incident component carries the type (our taxonomy id as the internal code), state,
number and priority; the owning agency is the control room (`issuer`), the lead agency and the other agencies
follow; the location (WGS 84 point as PIDF-LO, or the zone as text) and every log entry as a note. Merged alarms
are listed as alarm components with their API URL. EIDO is exchanged between agencies on request; it is not a
public feed.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from fairwatch.events.validate import rfc3339
from fairwatch.store import Incident, LogEntry

# The NENA incident type registry's broad classes, by our hazard class (the part of the type before the dot).
COMMON_TYPE: dict[str, str] = {
    "fire": "Fire",
    "medical": "Medical",
    "crowd_safety": "Public Safety",
    "structural": "Rescue",
    "weather": "Weather",
    "violence": "Law Enforcement",
    "weapon": "Law Enforcement",
    "intrusion": "Law Enforcement",
    "missing_person": "Law Enforcement",
    "traffic": "Traffic",
    "hazardous_material": "Hazmat",
}
# IANA urn:emergency:service:responder registry, for agency names we recognise.
AGENCY_TYPE: dict[str, str] = {"police": "police", "fire": "fire", "ambulance": "ems", "ems": "ems"}
_STATUS = {"open": "Active", "on_hold": "Pending", "closed": "Closed"}


def eido(
    incident: Incident, log: Sequence[LogEntry], alarm_ids: Sequence[int], issuer: str, base_url: str
) -> dict[str, Any]:
    """The EIDO document of `incident`; `issuer` names this control room (an agency id), `base_url` the API."""
    ref = {"$ref": issuer}
    stamp = rfc3339(incident.updated)

    def prologue(component_id: str, when: float | None = None) -> dict[str, Any]:
        return {
            "$id": component_id,
            "lastUpdateTimeStamp": rfc3339(when) if when is not None else stamp,
            "updatedByAgencyReference": ref,
        }

    notes = [
        {
            **prologue(f"urn:emergency:uid:noteid:{issuer}-log-{e.id}:{issuer}", e.entered_at),
            "notesActionComments": f"<p>[{escape(e.kind)}] {rfc3339(e.occurred_at)} {escape(e.author)}: "
            f"{escape(e.text)}</p>",
        }
        for e in log
    ]
    locations = _locations(incident, issuer, prologue)
    component: dict[str, Any] = {
        **prologue(f"urn:emergency:uid:incidentid:{issuer}-{incident.number}:{issuer}"),
        "incidentTypeCommonRegistryText": COMMON_TYPE.get(incident.type.split(".", 1)[0], "Other"),
        "incidentTypeInternalCode": incident.type,
        "incidentTypeInternalText": incident.title,
        "incidentStatusCommonRegistryText": [_STATUS[incident.state]],
        "incidentStatusInternalText": [
            incident.state,
            *([incident.disposition] if incident.disposition else []),
        ],
        "internalIncidentId": incident.number,
        "incidentPriorityInternalText": str(incident.priority),
        "incidentCommonPriorityNumber": incident.priority,
    }
    if locations:
        component["locationReference"] = [{"$ref": loc["$id"]} for loc in locations]
    if notes:
        component["notesReference"] = [{"$ref": n["$id"]} for n in notes]
    doc: dict[str, Any] = {
        **prologue(f"urn:emergency:uid:incidentid:{issuer}-{incident.number}:{issuer}"),
        "eidoVersion": "1.0",
        "issuingElementIdentification": issuer,
        "incidentComponent": component,
        "agencyComponent": _agencies(incident, issuer, prologue),
    }
    if locations:
        doc["locationComponent"] = locations
    if notes:
        doc["notesComponent"] = notes
    if alarm_ids:
        doc["alarmsSensorsComponent"] = [
            {
                **prologue(f"urn:emergency:uid:alarmid:{issuer}-alarm-{a}:{issuer}"),
                "alarmUrl": f"{base_url}/api/v1/alarms/{a}",
            }
            for a in alarm_ids
        ]
    return doc


def _agencies(incident: Incident, issuer: str, prologue: Any) -> list[dict[str, Any]]:
    owner = {
        **prologue(issuer),
        "agencyRoleDescriptionRegistryText": ["Dispatching"],
        "agencyType": ["other"],
        "incidentOwningAgencyIndicator": incident.lead_agency is None,
    }
    others = [incident.lead_agency] if incident.lead_agency else []
    others += [a for a in incident.agencies if a not in others]
    return [owner] + [
        {
            **prologue(name),
            "agencyRoleDescriptionRegistryText": ["Responding"],
            "agencyType": [AGENCY_TYPE.get(name.lower(), "other")],
            "incidentOwningAgencyIndicator": name == incident.lead_agency,
        }
        for name in others
    ]


def _locations(incident: Incident, issuer: str, prologue: Any) -> list[dict[str, Any]]:
    loc = incident.location
    if loc is None and incident.zone is None:
        return []
    out: dict[str, Any] = {
        **prologue(f"urn:emergency:uid:locationid:{issuer}-{incident.number}-1:{issuer}"),
        "locationTypeDescriptionRegistryText": "Incident",
    }
    if incident.zone is not None:
        out["locationDescriptionText"] = f"zone {incident.zone}"
    if loc is not None and "lat" in loc:
        out["locationByValue"] = (
            '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" '
            'xmlns:gml="http://www.opengis.net/gml" entity="pres:incident@fairwatch"><tuple id="loc"><status>'
            '<gp:geopriv><gp:location-info><gml:Point srsName="urn:ogc:def:crs:EPSG::4326">'
            f"<gml:pos>{loc['lat']} {loc['lon']}</gml:pos></gml:Point></gp:location-info></gp:geopriv>"
            "</status></tuple></presence>"
        )
    elif loc is not None:
        out["locationDescriptionText"] = (
            f"{out.get('locationDescriptionText', 'site')} plan x={loc['x']} y={loc['y']}"
        )
    return [out]
