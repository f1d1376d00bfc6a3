"""The incident API over real HTTP: response, stored rows (read back), audit records and the event stream."""

from __future__ import annotations

import httpx
import pytest

from fairwatch.audit import verify_chain
from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.harness import Server
from tests.incidents.conftest import create, raise_alarm


def actions(srv: Server, obj: str) -> list[str]:
    assert srv.app is not None
    return [r.action for r in srv.app.store.history(obj)]


def test_creating_an_incident_numbers_it_creates_its_card_tasks_and_audits(
    srv: Server, op: httpx.Client
) -> None:
    first = create(op, zone="gate-b", severity="critical")
    second = create(op, title="Second", type="medical.emergency")
    assert (first["number"], second["number"]) == ("2026-0001", "2026-0002")
    assert (first["state"], first["priority"], first["actions"]) == ("open", 1, ["hold", "close"])
    assert [t["title"] for t in first["tasks"]] == [
        "Hold inflow at the gates",
        "Show-stop yellow card to stage manager",
        "Open relief exits",
    ]
    assert second["tasks"] == []
    assert actions(srv, f"incident:{first['id']}")[0] == "incident-created"
    listed = op.get("/api/v1/incidents", params={"zone": "gate-b"}).json()
    assert [i["id"] for i in listed["incidents"]] == [first["id"]]
    page = op.get("/api/v1/incidents", params={"limit": 1}).json()
    assert [i["id"] for i in page["incidents"]] == [second["id"]]
    rest = op.get("/api/v1/incidents", params={"limit": 1, "cursor": page["next"]}).json()
    assert [i["id"] for i in rest["incidents"]] == [first["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x", "type": "no.such_type"}, "type"),
        ({"type": "fire.smoke"}, "title"),
        ({"title": "x", "type": "fire.smoke", "priority": 7}, "priority"),
        ({"title": "x", "type": "fire.smoke", "reporter_religion": "x"}, "reporter_religion"),
    ],
    ids=["unknown-type", "no-title", "priority-range", "no-person-fields"],
)
def test_a_bad_incident_is_refused_naming_the_field(
    op: httpx.Client, body: dict[str, object], field: str
) -> None:
    r = op.post("/api/v1/incidents", json=body)
    assert r.status_code == 422
    assert field in [p["field"] for p in r.json()["problems"]]


def test_viewers_read_but_do_not_write(srv: Server) -> None:
    with srv.client(Role.VIEWER) as viewer:
        assert viewer.post("/api/v1/incidents", json={"title": "x", "type": "fire.smoke"}).status_code == 403
        assert viewer.get("/api/v1/incidents").status_code == 200


def test_lifecycle_over_http_409_names_state_and_actions_and_reopen_needs_a_supervisor(
    srv: Server, op: httpx.Client, sup: httpx.Client
) -> None:
    inc = create(op)
    base = f"/api/v1/incidents/{inc['id']}"
    assert op.post(f"{base}/resume").status_code == 409
    r = op.post(f"{base}/reopen", json={"reason": "x"})
    assert r.status_code == 403
    assert op.post(f"{base}/hold", json={"reason": "waiting for police"}).json()["state"] == "on_hold"
    r = op.post(f"{base}/hold")
    assert r.status_code == 409
    assert "on_hold" in r.json()["message"] and "resume, close" in r.json()["message"]
    assert op.post(f"{base}/resume").json()["state"] == "open"
    r = op.post(f"{base}/close", json={"disposition": "resolved"})
    assert r.status_code == 422 and [p["field"] for p in r.json()["problems"]] == ["note"]
    closed = op.post(f"{base}/close", json={"disposition": "handed_over", "note": "to police"}).json()
    assert (closed["state"], closed["disposition"], closed["actions"]) == (
        "closed",
        "handed_over",
        ["reopen"],
    )
    assert closed["closed_at"] is not None
    assert op.post(f"{base}/log", json={"kind": "note", "text": "after close"}).status_code == 201
    assert op.post(f"{base}/tasks", json={"title": "Sweep"}).status_code == 409
    reopened = sup.post(f"{base}/reopen", json={"reason": "crowd building again"}).json()
    assert (reopened["state"], reopened["disposition"], reopened["closed_at"]) == ("open", None, None)
    assert actions(srv, f"incident:{inc['id']}").count("incident-closed") == 1
    assert "incident-reopened" in actions(srv, f"incident:{inc['id']}")


def test_log_rules_decision_reason_late_reason_correction_and_405(op: httpx.Client, clock: FakeClock) -> None:
    inc = create(op)
    log = f"/api/v1/incidents/{inc['id']}/log"
    r = op.post(log, json={"kind": "decision", "text": "Close gate B"})
    assert r.status_code == 422 and [p["field"] for p in r.json()["problems"]] == ["reason"]
    decision = op.post(log, json={"kind": "decision", "text": "Close gate B", "reason": "density 5/m2"})
    assert decision.status_code == 201
    ten_minutes_ago = "2026-07-02T13:36:40Z"
    r = op.post(log, json={"kind": "radio", "text": "Gate B asked", "occurred_at": ten_minutes_ago})
    assert r.status_code == 422 and [p["field"] for p in r.json()["problems"]] == ["late_reason"]
    late = op.post(
        log,
        json={"kind": "radio", "text": "Gate B asked", "occurred_at": ten_minutes_ago, "late_reason": "busy"},
    )
    assert late.status_code == 201
    four_minutes_ago = "2026-07-02T13:42:40Z"
    assert (
        op.post(log, json={"kind": "phone", "text": "x", "occurred_at": four_minutes_ago}).status_code == 201
    )
    r = op.post(log, json={"kind": "correction", "text": "Gate C, not B"})
    assert r.status_code == 422 and [p["field"] for p in r.json()["problems"]] == ["corrects"]
    entry_id = decision.json()["id"]
    fix = op.post(log, json={"kind": "correction", "text": "Gate C, not B", "corrects": entry_id})
    assert fix.status_code == 201
    for method in ("PUT", "PATCH", "DELETE"):
        r = op.request(method, f"{log}/{entry_id}", json={"text": "rewritten"})
        assert r.status_code == 405, method
    assert op.get(f"{log}/{entry_id}").json()["text"] == "Close gate B"  # both stay
    timeline = op.get(log, params={"order": "occurred"}).json()["log"]
    texts = [e["text"] for e in timeline if e["source"] == "log" and e["kind"] != "system"]
    assert texts[0] == "Gate B asked"  # occurred first, entered later
    entered = [
        e["text"] for e in op.get(log, params={"order": "entered"}).json()["log"] if e["kind"] != "system"
    ]
    assert entered.index("Close gate B") < entered.index("Gate B asked")


def test_methane_entries_carry_the_seven_fields(op: httpx.Client) -> None:
    inc = create(op)
    log = f"/api/v1/incidents/{inc['id']}/log"
    methane = {
        "major_incident": "standby", "exact_location": "gate B", "type_of_incident": "crowd crush risk",
        "hazards": "density", "access": "north road", "casualties": 0, "emergency_services": "police, ambulance",
    }  # fmt: skip
    r = op.post(log, json={"kind": "methane", "methane": {"hazards": "x"}})
    assert r.status_code == 422 and "methane.exact_location" in [p["field"] for p in r.json()["problems"]]
    r = op.post(log, json={"kind": "methane", "text": "first report", "methane": methane})
    assert r.status_code == 201 and r.json()["methane"] == methane


def test_the_site_wide_log(op: httpx.Client) -> None:
    assert op.post("/api/v1/log", json={"kind": "note", "text": "Shift start"}).status_code == 201
    assert [e["text"] for e in op.get("/api/v1/log").json()["log"]] == ["Shift start"]
    r = op.post("/api/v1/log", json={"kind": "system", "text": "forged"})
    assert r.status_code == 422


def test_merge_move_and_detach(srv: Server, op: httpx.Client) -> None:
    a1, a2 = raise_alarm(op, "stage"), raise_alarm(op, "bar")
    one = create(op, alarms=[a1])
    two = create(op, title="Other")
    assert [a["id"] for a in one["alarms"]] == [a1]
    r = op.post(f"/api/v1/incidents/{two['id']}/alarms", json={"alarms": [a1, a2]})
    assert r.status_code == 409 and "move: true" in r.json()["message"]
    assert op.get(f"/api/v1/incidents/{two['id']}").json()["alarms"] == []  # nothing merged on a refusal
    r = op.post(f"/api/v1/incidents/{two['id']}/alarms", json={"alarms": [a1, a2], "move": True})
    assert r.status_code == 200 and r.json()["alarms"] == [a1, a2]
    assert op.get(f"/api/v1/incidents/{one['id']}").json()["alarms"] == []
    assert "incident-alarm-moved" in actions(srv, f"incident:{two['id']}")
    assert op.post(f"/api/v1/incidents/{two['id']}/alarms", json={"alarms": [999]}).status_code == 422
    assert op.delete(f"/api/v1/incidents/{two['id']}/alarms/{a1}").json()["alarms"] == [a2]
    assert op.delete(f"/api/v1/incidents/{two['id']}/alarms/{a1}").status_code == 404
    # the merged alarm's history shows in the timeline as system entries
    assert op.post(f"/api/v1/alarms/{a2}/ack").status_code == 200
    log = op.get(f"/api/v1/incidents/{two['id']}").json()["log"]
    from_alarm = [e["text"] for e in log if e["source"] == "alarm"]
    assert from_alarm == [f"alarm {a2} raised", f"alarm {a2} acknowledged"]


def test_tasks_skip_needs_a_reason_and_guarded_titles(op: httpx.Client) -> None:
    inc = create(op)
    task_id = inc["tasks"][0]["id"]
    r = op.post(f"/api/v1/tasks/{task_id}/state", json={"state": "skipped"})
    assert r.status_code == 422 and [p["field"] for p in r.json()["problems"]] == ["reason"]
    r = op.post(f"/api/v1/tasks/{task_id}/state", json={"state": "skipped", "reason": "gates already held"})
    assert r.json()["state"] == "skipped"
    r = op.post(f"/api/v1/tasks/{task_id}/state", json={"state": "doing", "assignee": "ana"})
    assert (r.json()["state"], r.json()["assignee"]) == ("doing", "ana")
    added = op.post(f"/api/v1/incidents/{inc['id']}/tasks", json={"title": "Call the medical team"})
    assert added.status_code == 201
    refused = op.post(f"/api/v1/incidents/{inc['id']}/tasks", json={"title": "Watch the Muslim prayer area"})
    assert refused.status_code == 422 and refused.json()["problems"][0]["field"] == "title"
    refused = op.patch(
        f"/api/v1/incidents/{inc['id']}", json={"agencies": ["police", "Muslim prayer area patrol"]}
    )
    assert refused.status_code == 422 and refused.json()["problems"][0]["field"] == "agencies[1]"


def test_changes_are_streamed_without_log_text(srv: Server, op: httpx.Client) -> None:
    assert srv.app is not None
    inc = create(op)
    op.post(f"/api/v1/incidents/{inc['id']}/log", json={"kind": "note", "text": "secret narrative"})
    replay_all = {"Last-Event-ID": f"{srv.app.hub.epoch}-0"}  # the stream replays every message so far
    lines: list[str] = []
    with op.stream("GET", "/api/v1/stream", headers=replay_all, timeout=20) as r:
        for line in r.iter_lines():
            lines.append(line)
            if '"kind":"logged"' in line:
                break
    events = [(lines[i], lines[i + 1]) for i, line in enumerate(lines[:-1]) if line == "event: incident"]
    kinds = [data.split('"kind":"', 1)[1].split('"', 1)[0] for _, data in events]
    assert kinds[0] == "created" and kinds[-1] == "logged"
    assert not any("secret narrative" in line for line in lines)


def test_audit_verifies_after_a_scripted_shift(srv: Server, op: httpx.Client, sup: httpx.Client) -> None:
    alarm = raise_alarm(op, "stage")
    inc = create(op, alarms=[alarm], zone="stage")
    base = f"/api/v1/incidents/{inc['id']}"
    op.patch(base, json={"lead_agency": "police", "agencies": ["ambulance"], "major_incident": "declared"})
    op.post(f"{base}/log", json={"kind": "decision", "text": "Evacuate", "reason": "fire"})
    op.post(f"/api/v1/tasks/{inc['tasks'][0]['id']}/state", json={"state": "done"})
    op.post(f"{base}/close", json={"disposition": "resolved", "note": "all clear"})
    sup.post(f"{base}/reopen", json={"reason": "again"})
    assert srv.app is not None
    records = list(srv.app.store.iter_audit())
    result = verify_chain(records)
    assert result.ok and result.checked == len(records)
    assert {"incident-created", "incident-updated", "log-entry-added", "task-state-changed"} <= {
        r.action for r in records
    }
    assert not any("Evacuate" in str(r.details) for r in records)  # narrative stays out of the audit chain


def test_cap_messages_of_merged_alarms_carry_the_incident_number_but_no_narrative(op: httpx.Client) -> None:
    alarm = raise_alarm(op, "stage")
    before = op.get(f"/api/v1/alarms/{alarm}/cap").text
    assert "fairwatch-incident-" not in before
    inc = create(op, alarms=[alarm])
    op.post(f"/api/v1/incidents/{inc['id']}/log", json={"kind": "note", "text": "narrative-7d1c"})
    resolved = op.post(f"/api/v1/alarms/{alarm}/resolve", json={"disposition": "handled"})
    assert resolved.status_code == 200
    cancel = op.get(f"/api/v1/alarms/{alarm}/cap").text
    assert "<msgType>Cancel</msgType>" in cancel
    assert f"<incidents>fairwatch-alarm-{alarm} fairwatch-incident-{inc['number']}</incidents>" in cancel
    assert "narrative-7d1c" not in cancel
    assert "narrative-7d1c" not in op.get("/feeds/cap.atom").text
