"""The field API over real HTTP with a fake clock: one-time links, statuses, dispatch, reports, timers, Help now.

Each test checks the answer, the stored state and, where there is one, the audit record."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.field.conftest import Phone, alarms_of, invite_link, make_unit
from tests.harness import Server


def actions(srv: Server, obj: str) -> list[str]:
    assert srv.app is not None
    return [r.action for r in srv.app.store.history(obj)]


# -- one-time links ------------------------------------------------------------------------------------------
def test_a_link_signs_one_phone_in_once(srv: Server, sup: httpx.Client) -> None:
    unit = make_unit(sup)
    link = invite_link(sup, unit["id"])
    assert link.startswith("/field/join/")
    with httpx.Client(base_url=srv.url) as first, httpx.Client(base_url=srv.url) as second:
        r = first.get(link, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, "/field")
        assert "fw_field" in r.cookies
        assert first.get("/field").status_code == 200
        again = second.get(link, follow_redirects=False)
        assert again.status_code == 410
        assert "used" in again.json()["message"]
        assert second.get("/field").status_code == 401  # not signed in
    assert actions(srv, f"unit:{unit['id']}") == ["unit-created", "unit-invited", "unit-signed-in"]


def test_an_expired_link_answers_410_and_an_unknown_one_404(
    srv: Server, sup: httpx.Client, clock: FakeClock
) -> None:
    unit = make_unit(sup)
    link = invite_link(sup, unit["id"], hours=1)
    clock.advance(3600)
    with httpx.Client(base_url=srv.url) as c:
        r = c.get(link, follow_redirects=False)
        assert r.status_code == 410
        assert "expired" in r.json()["message"]
        assert c.get("/field/join/not-a-code", follow_redirects=False).status_code == 404


def test_revoking_signs_phones_out_and_kills_unused_links(srv: Server, sup: httpx.Client) -> None:
    unit = make_unit(sup)
    phone = Phone(srv, invite_link(sup, unit["id"]))
    spare = invite_link(sup, unit["id"])
    assert phone.get("/api/v1/field/me").status_code == 200
    r = sup.post(f"/api/v1/units/{unit['id']}/revoke")
    assert r.json() == {"unit": unit["id"], "devices": 1}
    assert phone.get("/api/v1/field/me").status_code == 401
    with httpx.Client(base_url=srv.url) as c:
        assert c.get(spare, follow_redirects=False).status_code == 410
    phone.close()


def test_the_cli_prints_only_the_link_and_it_works_once(srv: Server, tmp_path: object) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "fairwatch", "field", "invite", "--unit", "Steward 7", "--hours", "2",
         "--data", str(srv.data)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    lines = out.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("/field/join/")
    with httpx.Client(base_url=srv.url) as c:
        assert c.get(lines[0], follow_redirects=False).status_code == 303
        assert c.get(lines[0], follow_redirects=False).status_code == 410
    with srv.client(Role.VIEWER) as viewer:
        units = viewer.get("/api/v1/units").json()["units"]
    assert [(u["name"], u["kind"]) for u in units] == [("Steward 7", "steward")]


def test_invites_are_for_supervisors_and_unit_names_pass_the_guard(
    srv: Server, op: httpx.Client, sup: httpx.Client
) -> None:
    unit = make_unit(sup)
    assert op.post(f"/api/v1/units/{unit['id']}/invites", json={}).status_code == 403
    r = sup.post("/api/v1/units", json={"name": "Protest watch team"})
    assert r.status_code == 422
    assert r.json()["problems"][0]["field"] == "name"
    assert "rights guard" in r.json()["problems"][0]["message"]
    r = sup.post(f"/api/v1/units/{unit['id']}/invites", json={"hours": 1000})
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "hours"


# -- status and dispatch ---------------------------------------------------------------------------------------
def test_status_changes_and_an_illegal_one_is_409(
    srv: Server, phone: tuple[Phone, dict[str, object]]
) -> None:
    p, unit = phone
    r = p.post(f"/api/v1/units/{unit['id']}/status", {"status": "on_scene"})
    assert r.status_code == 409
    assert r.json()["state"] == "available"
    assert "assignment" in r.json()["message"]
    r = p.post(f"/api/v1/units/{unit['id']}/status", {"status": "off_duty"})
    assert (r.status_code, r.json()["status"]) == (200, "off_duty")
    r = p.post(f"/api/v1/units/{unit['id']}/status", {"status": "clear"})
    assert r.status_code == 409 and r.json()["allowed"] == ["available"]
    r = p.post(f"/api/v1/units/{unit['id']}/status", {"status": "parked"})
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "status"
    assert actions(srv, f"unit:{unit['id']}")[-1] == "unit-status-changed"


def test_a_phone_needs_its_csrf_token_and_changes_only_its_own_unit(
    srv: Server, sup: httpx.Client, phone: tuple[Phone, dict[str, object]]
) -> None:
    p, unit = phone
    other = make_unit(sup, "Alpha", "steward")
    r = p.http.post(f"/api/v1/units/{unit['id']}/status", json={"status": "off_duty"})
    assert r.status_code == 403  # no CSRF header
    assert p.post(f"/api/v1/units/{other['id']}/status", {"status": "off_duty"}).status_code == 403
    assert p.post(f"/api/v1/units/{other['id']}/dispatch", {"alarm": 1}).status_code == 403
    assert p.get("/api/v1/alarms").status_code == 403  # a steward is below viewer


def test_dispatch_to_an_alarm_then_accept_move_and_clear(
    srv: Server, op: httpx.Client, phone: tuple[Phone, dict[str, object]]
) -> None:
    p, unit = phone
    assert (
        op.post(
            "/api/v1/events", json={"source": "t1", "type": "temperature", "zone": "a", "value": 80}
        ).status_code
        == 202
    )
    alarm_id = alarms_of(op, "fire.high_temperature")[0]["id"]
    r = op.post(f"/api/v1/units/{unit['id']}/dispatch", json={"alarm": alarm_id})
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["assignment"]["alarm"]) == ("dispatched", alarm_id)
    me = p.get("/api/v1/field/me").json()
    assert me["assignment_detail"] == {"kind": "alarm", "id": alarm_id, "type": "fire.high_temperature",
                                       "zone": "a", "severity": "high", "title": "High temperature"}  # fmt: skip
    assert p.post(f"/api/v1/units/{unit['id']}/accept").json()["assignment"]["accepted_at"] is not None
    for status in ("en_route", "on_scene", "clear"):
        assert p.post(f"/api/v1/units/{unit['id']}/status", {"status": status}).status_code == 200
    done = op.get(f"/api/v1/units/{unit['id']}").json()
    assert (done["status"], done["assignment"]) == ("clear", None)
    r = op.post(f"/api/v1/units/{unit['id']}/dispatch", json={"alarm": alarm_id, "incident": 1})
    assert r.status_code == 422
    assert op.post(f"/api/v1/units/{unit['id']}/dispatch", json={"alarm": 99999}).status_code == 404


def test_dispatch_to_an_incident_goes_onto_its_timeline(
    srv: Server, op: httpx.Client, phone: tuple[Phone, dict[str, object]]
) -> None:
    p, unit = phone
    incident = op.post(
        "/api/v1/incidents", json={"title": "Crush risk", "type": "crowd_safety.crush_risk"}
    ).json()
    assert (
        op.post(f"/api/v1/units/{unit['id']}/dispatch", json={"incident": incident["id"]}).status_code == 200
    )
    assert p.post(f"/api/v1/units/{unit['id']}/status", {"status": "en_route"}).status_code == 200
    log = op.get(f"/api/v1/incidents/{incident['id']}").json()["log"]
    texts = [e["text"] for e in log if e["kind"] == "status"]
    assert texts == ["Unit Medic 2 dispatched", "Unit Medic 2: dispatched -> en_route"]


# -- reports ----------------------------------------------------------------------------------------------------
def test_a_report_retried_offline_is_stored_once(
    srv: Server, op: httpx.Client, phone: tuple[Phone, dict[str, object]]
) -> None:
    p, unit = phone
    report = {
        "id": "r-1",
        "type": "report.medical",
        "zone": "a",
        "text": "collapsed near the bar",
        "severity": "high",
    }
    assert srv.app is not None
    before = srv.app.store.count_events()
    first = p.post("/api/v1/field/reports", report)
    assert (first.status_code, first.json()) == (202, {"accepted": 1, "duplicates": 0})
    for _ in range(3):
        again = p.post("/api/v1/field/reports", report)
        assert again.json() == {"accepted": 0, "duplicates": 1}
    assert srv.app.store.count_events() == before + 1
    stored = [e for e in srv.app.store.iter_events() if e.id == "r-1"]
    assert [(e.type, e.source, e.data) for e in stored] == [
        ("report.medical", f"unit-{unit['id']}", {"text": "collapsed near the bar", "severity": "high"})
    ]
    (alarm,) = alarms_of(op, "medical.emergency")
    assert alarm["count"] == 1  # evaluated once by the rules


def test_a_report_may_name_an_alarm_type_and_a_device_token_may_send_one(srv: Server) -> None:
    with srv.client(Role.DEVICE) as device:
        r = device.post("/api/v1/field/reports", json={"id": "d-1", "type": "medical.cardiac"})
        assert r.status_code == 202
        r = device.post("/api/v1/field/reports", json={"id": "d-2", "type": "protest.banner"})
        assert r.status_code == 422 and r.json()["problems"][0]["field"] == "type"
        r = device.post("/api/v1/field/reports", json={"id": "d-3", "type": "report.fire", "religion": "x"})
        assert r.status_code == 422 and r.json()["problems"][0]["field"] == "religion"
    assert srv.app is not None
    assert [e.type for e in srv.app.store.iter_events() if e.id == "d-1"] == ["report.medical"]


# -- timers and Help now ------------------------------------------------------------------------------------------
def test_a_missed_check_in_raises_its_alarm_once_and_a_check_in_clears_it(
    srv: Server, op: httpx.Client, clock: FakeClock, phone: tuple[Phone, dict[str, object]]
) -> None:
    p, _unit = phone
    clock.advance(14 * 60)
    srv.tick()
    assert alarms_of(op, "technical.unit_missed_check_in") == []
    clock.advance(60)
    srv.tick()
    (alarm,) = alarms_of(op, "technical.unit_missed_check_in")
    assert (alarm["severity"], alarm["active"], alarm["count"]) == ("high", True, 1)
    assert "Medic 2" in alarm["explanation"]
    clock.advance(60)
    srv.tick()
    assert alarms_of(op, "technical.unit_missed_check_in")[0]["count"] == 1  # fires once per check-in
    assert p.post("/api/v1/field/check-in", {"location": {"lat": 51.5, "lon": -0.12}}).status_code == 200
    (after,) = alarms_of(op, "technical.unit_missed_check_in")
    assert after["active"] is False


def test_a_unit_dispatched_too_long_raises_its_alarm(
    srv: Server, op: httpx.Client, clock: FakeClock, phone: tuple[Phone, dict[str, object]]
) -> None:
    p, unit = phone
    assert (
        op.post(
            "/api/v1/events", json={"source": "t1", "type": "temperature", "zone": "a", "value": 80}
        ).status_code
        == 202
    )
    alarm_id = alarms_of(op, "fire.high_temperature")[0]["id"]
    assert op.post(f"/api/v1/units/{unit['id']}/dispatch", json={"alarm": alarm_id}).status_code == 200
    clock.advance(239)
    srv.tick()
    assert alarms_of(op, "technical.unit_status_overdue") == []
    clock.advance(1)
    srv.tick()
    (alarm,) = alarms_of(op, "technical.unit_status_overdue")
    assert "dispatched for 4 min" in alarm["explanation"]
    assert p.post(f"/api/v1/units/{unit['id']}/status", {"status": "en_route"}).status_code == 200
    assert alarms_of(op, "technical.unit_status_overdue")[0]["active"] is False


def test_help_now_raises_a_critical_alarm_with_the_unit_and_its_position(
    srv: Server, op: httpx.Client, phone: tuple[Phone, dict[str, object]]
) -> None:
    p, unit = phone
    r = p.post("/api/v1/field/help", {"location": {"lat": 51.5, "lon": -0.12}})
    assert r.status_code == 200
    (alarm,) = alarms_of(op, "other_safety.field_help_now")
    assert alarm["severity"] == "critical"
    assert "Medic 2" in alarm["explanation"] and "lat 51.5" in alarm["explanation"]
    assert actions(srv, f"unit:{unit['id']}")[-1] == "unit-help-now"


def test_the_phone_stream_carries_its_own_unit_only_and_ends_on_revocation(
    srv: Server, op: httpx.Client, sup: httpx.Client, phone: tuple[Phone, dict[str, object]]
) -> None:
    p, unit = phone
    other = make_unit(sup, "Alpha", "steward")
    assert (
        op.post(
            "/api/v1/events", json={"source": "t1", "type": "temperature", "zone": "a", "value": 80}
        ).status_code
        == 202
    )
    alarm_id = alarms_of(op, "fire.high_temperature")[0]["id"]
    with p.http.stream("GET", "/api/v1/field/stream") as stream:
        lines = stream.iter_lines()
        assert next(lines) == "retry: 1000"
        assert op.post(f"/api/v1/units/{other['id']}/dispatch", json={"alarm": alarm_id}).status_code == 200
        assert op.post(f"/api/v1/units/{unit['id']}/dispatch", json={"alarm": alarm_id}).status_code == 200
        events = []
        for line in lines:
            if line.startswith("data: "):
                events.append(json.loads(line.removeprefix("data: ")))
                break
        assert [(e["id"], e["status"]) for e in events] == [
            (unit["id"], "dispatched")
        ]  # Alpha's change skipped
        assert sup.post(f"/api/v1/units/{unit['id']}/revoke").status_code == 200
        rest = list(lines)
    assert "event: access-ended" in rest
