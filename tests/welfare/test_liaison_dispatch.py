"""An escalated welfare case sends a free police liaison unit to its alarm automatically, from the writer's tick
(fake clock): audited, on the alarm's history, live on the unit's phone as an assignment; with no liaison on duty
(or none free) the escalation alarm says so and nobody is pulled off another task."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx

from fairwatch.clock import FakeClock
from fairwatch.welfare import ESCALATION_TYPE
from tests.field.conftest import Phone, invite_link, make_unit
from tests.harness import Server
from tests.welfare.conftest import CLOTHING, CONTACT, MINUTE, open_case


def escalations(c: httpx.Client) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = c.get("/api/v1/alarms", params={"type": ESCALATION_TYPE}).json()["alarms"]
    return found


def unit(c: httpx.Client, unit_id: int) -> dict[str, Any]:
    body: dict[str, Any] = c.get(f"/api/v1/units/{unit_id}").json()
    return body


def test_a_vulnerable_case_sends_the_free_liaison_at_once_and_its_phone_shows_it(
    srv: Server, welfare: httpx.Client, op: httpx.Client, sup: httpx.Client
) -> None:
    make_unit(sup, "Steward North", "steward")  # not a liaison: never sent
    busy = make_unit(sup, "PL 0", "police_liaison")
    assert sup.post(f"/api/v1/units/{busy['id']}/status", json={"status": "off_duty"}).status_code == 200
    liaison = make_unit(sup, "PL 1", "police_liaison")
    phone = Phone(srv, invite_link(sup, liaison["id"]))
    received: list[dict[str, Any]] = []
    subscribed = threading.Event()

    def listen() -> None:
        with phone.http.stream("GET", "/api/v1/field/stream") as stream:
            for line in stream.iter_lines():
                subscribed.set()  # the first line comes once the stream is subscribed to the hub
                if line.startswith("data: ") and '"status"' in line:
                    received.append(json.loads(line.removeprefix("data: ")))
                    return

    try:
        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        assert subscribed.wait(20)
        case = open_case(welfare, vulnerable=True)
        srv.tick()
        listener.join(20)
        [alarm] = escalations(op)
        assert (
            alarm["explanation"]
            == f"welfare case {case['id']} is marked vulnerable; police liaison unit PL 1 dispatched"
        )
        sent = unit(op, liaison["id"])
        assert (sent["status"], sent["assignment"]["alarm"]) == ("dispatched", alarm["id"])
        assert unit(op, busy["id"])["status"] == "off_duty"
        me = phone.get("/api/v1/field/me").json()
        assert me["assignment_detail"]["kind"] == "alarm" and me["assignment_detail"]["id"] == alarm["id"]
        assert received and received[0]["id"] == liaison["id"] and received[0]["status"] == "dispatched"
        assert phone.post(f"/api/v1/units/{liaison['id']}/accept").status_code == 200
    finally:
        phone.close()
    assert srv.app is not None
    records = [r for r in srv.app.store.iter_audit() if r.action == "unit-dispatched"]
    assert [(r.actor, r.object, r.details.get("reason")) for r in records] == [
        ("system", f"unit:{liaison['id']}", f"welfare case {case['id']} escalated"),
        ("system", f"alarm:{alarm['id']}", f"welfare case {case['id']} escalated"),
    ]
    history = op.get(f"/api/v1/alarms/{alarm['id']}").text
    assert "unit-dispatched" in history and "PL 1" in history
    for text in (history, *(str(r.details) for r in records)):
        assert CLOTHING not in text and CONTACT not in text


def test_an_overdue_case_sends_the_liaison_when_it_escalates(
    srv: Server, clock: FakeClock, welfare: httpx.Client, op: httpx.Client, sup: httpx.Client
) -> None:
    liaison = make_unit(sup, "PL 1", "police_liaison")
    open_case(welfare)
    clock.advance(20 * MINUTE - 1)
    srv.tick()
    assert unit(op, liaison["id"])["status"] == "available"
    clock.advance(1)
    srv.tick()
    [alarm] = escalations(op)
    assert alarm["explanation"].endswith("; police liaison unit PL 1 dispatched")
    assert unit(op, liaison["id"])["assignment"]["alarm"] == alarm["id"]


def test_without_a_liaison_on_duty_the_alarm_says_so(
    srv: Server, welfare: httpx.Client, op: httpx.Client, sup: httpx.Client
) -> None:
    off = make_unit(sup, "PL 1", "police_liaison")
    assert sup.post(f"/api/v1/units/{off['id']}/status", json={"status": "off_duty"}).status_code == 200
    case = open_case(welfare, vulnerable=True)
    srv.tick()
    [alarm] = escalations(op)
    assert (
        alarm["explanation"]
        == f"welfare case {case['id']} is marked vulnerable; no police liaison unit on duty"
    )
    assert unit(op, off["id"])["status"] == "off_duty"


def test_a_busy_liaison_is_not_pulled_off_its_task(
    srv: Server, welfare: httpx.Client, op: httpx.Client, sup: httpx.Client
) -> None:
    liaison = make_unit(sup, "PL 1", "police_liaison")
    first = open_case(welfare, vulnerable=True)
    srv.tick()
    [alarm] = escalations(op)
    assert unit(op, liaison["id"])["assignment"]["alarm"] == alarm["id"]
    second = open_case(welfare, vulnerable=True, last_seen_zone="river-walk")
    srv.tick()
    later = [a for a in escalations(op) if a["id"] != alarm["id"]]
    assert [a["explanation"] for a in later] == [
        f"welfare case {second['id']} is marked vulnerable; no police liaison unit free (PL 1 dispatched)"
    ]
    assert unit(op, liaison["id"])["assignment"]["alarm"] == alarm["id"]  # still on the first case
    assert first["id"] != second["id"]
