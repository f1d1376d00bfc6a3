"""What the incident console needs of the API: a PATCH with JSON null clears an optional field, and the incident
list carries each incident's newest log line."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fairwatch.clock import FakeClock
from tests.harness import Server
from tests.incidents.conftest import create

LOCATION = {"lat": 51.501, "lon": -0.12}


def updates(srv: Server, incident_id: int) -> list[dict[str, Any]]:
    assert srv.app is not None
    records = srv.app.store.history(f"incident:{incident_id}")
    return [dict(r.details["changed"]) for r in records if r.action == "incident-updated"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("owner", "olga"), ("zone", "gate-b"), ("location", LOCATION), ("lead_agency", "police")],
    ids=["owner", "zone", "location", "lead-agency"],
)
def test_a_patch_with_null_clears_an_optional_field(
    srv: Server, op: httpx.Client, field: str, value: Any
) -> None:
    made = create(op)
    url = f"/api/v1/incidents/{made['id']}"
    assert op.patch(url, json={field: value}).json()[field] == value
    cleared = op.patch(url, json={field: None})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()[field] is None
    assert op.get(url).json()[field] is None  # stored, not only answered
    assert updates(srv, made["id"])[-1] == {field: None}  # and audited


def test_null_on_an_empty_field_changes_nothing_and_null_does_not_clear_a_required_one(
    srv: Server, op: httpx.Client
) -> None:
    made = create(op)
    url = f"/api/v1/incidents/{made['id']}"
    same = op.patch(url, json={"lead_agency": None, "title": None})
    assert same.status_code == 200
    assert (same.json()["version"], same.json()["title"]) == (made["version"], made["title"])
    assert updates(srv, made["id"]) == []


def test_the_list_carries_each_incidents_newest_log_line(op: httpx.Client, clock: FakeClock) -> None:
    quiet = create(op, title="Quiet")
    busy = create(op, title="Busy")
    log = f"/api/v1/incidents/{busy['id']}/log"
    assert op.post(log, json={"kind": "radio", "text": "first"}).status_code == 201
    clock.advance(30)
    assert op.post(log, json={"kind": "phone", "text": "second"}).status_code == 201
    listed = {i["id"]: i for i in op.get("/api/v1/incidents").json()["incidents"]}
    last = listed[busy["id"]]["last_log"]
    assert (last["kind"], last["text"], last["author"]) == ("phone", "second", busy["reporter"])
    assert listed[quiet["id"]]["last_log"] is None
