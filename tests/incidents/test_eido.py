"""The EIDO export validates against NENA's EmergencyIncidentDataObjectType (standards/eido/)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest
from jsonschema import Draft7Validator

from fairwatch.incidents.eido import eido
from fairwatch.store import Incident, LogEntry
from tests.incidents.conftest import T0, create, raise_alarm
from tests.incidents.eido_schema import eido_validator


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    return eido_validator()


def problems(validator: Draft7Validator, doc: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_the_validator_refuses_what_is_not_an_eido(validator: Draft7Validator) -> None:
    assert problems(validator, {"eidoVersion": "1.0"})  # the check would catch a broken export


def test_an_incident_over_http_is_a_valid_eido(validator: Draft7Validator, op: httpx.Client) -> None:
    alarm = raise_alarm(op, "stage")
    inc = create(op, alarms=[alarm], location={"lat": 51.5, "lon": -0.12}, zone="stage", severity="high")
    base = f"/api/v1/incidents/{inc['id']}"
    op.patch(base, json={"lead_agency": "police", "agencies": ["ambulance", "stewards"]})
    op.post(f"{base}/log", json={"kind": "note", "text": "Stewards <b>on</b> scene & holding"})
    op.post(f"{base}/close", json={"disposition": "resolved", "note": "crowd dispersed"})
    doc = op.get(f"{base}/eido").json()
    assert problems(validator, doc) == []
    component = doc["incidentComponent"]
    assert component["internalIncidentId"] == inc["number"]
    assert component["incidentTypeInternalCode"] == "crowd_safety.crush_risk"
    assert component["incidentStatusInternalText"] == ["closed", "resolved"]
    assert [a["agencyType"] for a in doc["agencyComponent"]] == [["other"], ["police"], ["ems"], ["other"]]
    assert [a["incidentOwningAgencyIndicator"] for a in doc["agencyComponent"]] == [False, True, False, False]
    assert "51.5 -0.12" in doc["locationComponent"][0]["locationByValue"]
    assert any("&lt;b&gt;on&lt;/b&gt;" in n["notesActionComments"] for n in doc["notesComponent"])
    assert doc["alarmsSensorsComponent"][0]["alarmUrl"].endswith(f"/api/v1/alarms/{alarm}")


@pytest.mark.parametrize(
    "change",
    [{}, {"location": {"x": 3.0, "y": 4.0}}, {"zone": None}, {"state": "on_hold", "priority": 4}],
    ids=["zone-only", "plan-point", "no-location", "on-hold"],
)
def test_variants_validate(validator: Draft7Validator, change: dict[str, Any]) -> None:
    incident = Incident("2026-0007", "riverside", "Smoke", "fire.smoke", "medium", 3, "open", T0, T0, "ana", T0, T0,
                        zone="bar", id=7)  # fmt: skip
    incident = replace(incident, **change)
    log = [LogEntry(7, "decision", "Evacuate bar", "ana", T0, T0 + 1, reason="smoke", id=1)] if change else []
    assert problems(validator, eido(incident, log, [], "control-room.riverside.fairwatch", "http://x")) == []
