"""A lost or found person is a welfare case, never an incident: the incidents API refuses every alarm type of
the hazard class `missing_person` (an incident is seen by every viewer and leaves in EIDO and reports), naming the
field, the value and the welfare cases API; other types are opened as before."""

from __future__ import annotations

import httpx
import pytest

from fairwatch.taxonomy import Taxonomy

MISSING = sorted(t.id for t in Taxonomy.builtin().active() if t.hazard_class == "missing_person")


def test_the_catalogue_has_missing_person_types() -> None:
    assert "missing_person.lost_child" in MISSING and "missing_person.case_escalated" in MISSING


@pytest.mark.parametrize("alarm_type", MISSING)
def test_a_missing_person_incident_is_refused_pointing_to_welfare_cases(
    alarm_type: str, op: httpx.Client, sup: httpx.Client
) -> None:
    body = {"title": "Lost child at the food court", "type": alarm_type, "zone": "food-court"}
    for client in (op, sup):
        r = client.post("/api/v1/incidents", json=body)
        assert r.status_code == 422, r.text
        [problem] = r.json()["problems"]
        assert (problem["field"], problem["value"]) == ("type", alarm_type)
        assert "POST /api/v1/welfare/cases" in problem["message"]
    assert op.get("/api/v1/incidents").json()["incidents"] == []


def test_other_incidents_are_opened_as_before(op: httpx.Client) -> None:
    r = op.post("/api/v1/incidents", json={"title": "Smoke at the food court", "type": "fire.smoke"})
    assert r.status_code == 201, r.text
