"""Escalation to the police liaison: the pure decision (table-driven), then the writer's tick with a fake clock,
and what leaves the building (alarm queue, webhooks, CAP): the alarm, never the case's description."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import orjson
import pytest

from fairwatch.clock import FakeClock
from fairwatch.model import Role, Severity
from fairwatch.store import WelfareCase
from fairwatch.welfare import ESCALATION_TYPE, Escalation
from fairwatch.welfare.escalation import decision, due, escalate_at
from tests.harness import Server
from tests.notify.conftest import HookServer
from tests.welfare.conftest import CLOTHING, CONTACT, MINUTE, T0, open_case

BASE = WelfareCase(
    kind="missing_person", site="riverside", age_band="5_to_8", height_band="unknown",
    last_seen_zone="food-court", last_seen_at=T0, vulnerable=False, state="open", reported_by="u",
    reported_at=T0, escalate_at=T0 + 20 * MINUTE, clothing=CLOTHING, contact=CONTACT, id=7,
)  # fmt: skip


@pytest.mark.parametrize(
    ("case", "now", "expected"),
    [
        (BASE, T0 + 20 * MINUTE - 1, None),  # one second early
        (BASE, T0 + 20 * MINUTE, Escalation.OVERDUE),  # exactly due
        (replace(BASE, vulnerable=True, escalate_at=T0), T0, Escalation.VULNERABLE),  # at once
        (replace(BASE, state="closed"), T0 + 60 * MINUTE, None),  # found before it was due
        (replace(BASE, escalated_at=T0 + 20 * MINUTE), T0 + 60 * MINUTE, None),  # only once
    ],
    ids=["early", "due", "vulnerable", "closed", "escalated-already"],
)
def test_when_a_case_escalates(case: WelfareCase, now: float, expected: Escalation | None) -> None:
    assert due(case, now) is expected


def test_escalation_time_is_the_delay_or_at_once_for_a_vulnerable_person() -> None:
    assert escalate_at(T0, False, 1200.0) == T0 + 1200.0
    assert escalate_at(T0, True, 1200.0) == T0


def test_the_alarm_names_case_and_zone_but_not_the_description() -> None:
    d = decision(BASE, Escalation.OVERDUE, T0 + 21 * MINUTE)
    assert (d.alarm_type, d.severity, d.zone, d.group) == (
        ESCALATION_TYPE,
        Severity.HIGH,
        "food-court",
        {"case": "7"},
    )
    assert d.explanation == "welfare case 7 open for 21 min"
    assert decision(replace(BASE, vulnerable=True), Escalation.VULNERABLE, T0).severity is Severity.CRITICAL
    assert CLOTHING not in repr(d) and CONTACT not in repr(d)


def alarms(c: httpx.Client) -> list[dict[str, object]]:
    found: list[dict[str, object]] = c.get("/api/v1/alarms", params={"type": ESCALATION_TYPE}).json()[
        "alarms"
    ]
    return found


def test_the_tick_escalates_after_the_delay_once(
    srv: Server, clock: FakeClock, welfare: httpx.Client, op: httpx.Client
) -> None:
    case = open_case(welfare)
    clock.advance(20 * MINUTE - 1)
    srv.tick()
    assert alarms(op) == []
    clock.advance(1)
    srv.tick()
    [alarm] = alarms(op)
    assert (alarm["zone"], alarm["severity"], alarm["state"]) == ("food-court", "high", "open")
    clock.advance(10 * MINUTE)
    srv.tick()
    assert len(alarms(op)) == 1  # escalated once
    shown = welfare.get(f"/api/v1/welfare/cases/{case['id']}").json()
    assert shown["escalated_at"] == "2026-07-02T14:06:40.000Z"
    assert srv.app is not None
    escalated = srv.app.store.history(f"welfare:{case['id']}")[-1]
    assert (escalated.actor, escalated.action, escalated.details) == (
        "system", "welfare-case-escalated", {"case": case["id"], "reason": "overdue"},
    )  # fmt: skip


def test_a_vulnerable_person_escalates_on_the_next_tick(
    srv: Server, welfare: httpx.Client, op: httpx.Client
) -> None:
    open_case(welfare, vulnerable=True)
    srv.tick()
    [alarm] = alarms(op)
    assert alarm["severity"] == "critical"


def test_a_case_found_in_time_never_escalates(
    srv: Server, clock: FakeClock, welfare: httpx.Client, op: httpx.Client
) -> None:
    case = open_case(welfare)
    clock.advance(5 * MINUTE)
    welfare.post(f"/api/v1/welfare/cases/{case['id']}/found", json={"note": "back with her mother"})
    clock.advance(60 * MINUTE)
    srv.tick()
    assert alarms(op) == []


def test_the_delay_is_a_setting(tmp_path: Path, clock: FakeClock) -> None:
    with (
        Server(tmp_path / "d", None, clock, welfare_escalation_minutes=5.0) as srv,
        srv.client(Role.WELFARE) as welfare,
        srv.client(Role.OPERATOR) as op,
    ):
        open_case(welfare)
        clock.advance(5 * MINUTE)
        srv.tick()
        assert len(alarms(op)) == 1


NOTIFY = """
receivers:
  - {{name: police-liaison, webhook: {{url: "{url}"}}}}
routes:
  - {{type: missing_person.*, receivers: [police-liaison]}}
"""


def test_the_police_liaison_gets_the_alarm_and_nothing_of_the_case(tmp_path: Path, clock: FakeClock) -> None:
    with HookServer([]) as hook:
        notify = tmp_path / "notify.yaml"
        notify.write_text(NOTIFY.format(url=hook.url))
        with (
            Server(tmp_path / "data", None, clock, notify=notify, notify_interval=0.05) as srv,
            srv.client(Role.WELFARE) as welfare,
            srv.client(Role.OPERATOR) as op,
        ):
            case = open_case(welfare, vulnerable=True)
            srv.tick()
            assert hook.wait_for(1), "the escalation was not delivered"
            queue = op.get("/api/v1/alarms").text
            feed = httpx.get(f"{srv.url}/feeds/cap.atom")  # public: no login
            assert srv.app is not None
            cap = list(srv.app.store.recent_cap_messages())
            audit = [str(r.details) for r in srv.app.store.iter_audit()]
    [request] = hook.requests
    body = orjson.loads(request.body)
    assert body["alarm"]["type"] == ESCALATION_TYPE and body["alarm"]["zone"] == "food-court"
    assert [(m.public, "<scope>Restricted</scope>" in m.xml) for m in cap] == [(False, True)]
    assert feed.status_code == 200 and ESCALATION_TYPE not in feed.text and "Missing" not in feed.text
    assert (
        body["alarm"]["explanation"]
        == f"welfare case {case['id']} is marked vulnerable; no police liaison unit on duty"
    )
    outgoing = [request.body.decode(), queue, feed.text, *(m.xml for m in cap), *audit]
    for text in outgoing:
        for secret in (CLOTHING, CONTACT, "raincoat", "0170", "5_to_8"):
            assert secret not in text


def test_finding_the_person_clears_the_escalation_alarm(
    srv: Server, clock: FakeClock, welfare: httpx.Client, op: httpx.Client
) -> None:
    case = open_case(welfare, vulnerable=True)
    srv.tick()
    clock.advance(10 * MINUTE)
    welfare.post(f"/api/v1/welfare/cases/{case['id']}/found", json={"note": "reunited at the info point"})
    [alarm] = alarms(op)
    assert (alarm["state"], alarm["active"]) == ("open", False)  # cleared: still there for people to resolve
    history = op.get(f"/api/v1/alarms/{alarm['id']}").json()["history"]
    assert [h["action"] for h in history][-1] == "alarm-cleared"
    assert "reunited" not in str(history)


def test_the_event_stream_carries_the_alarm_and_nothing_of_the_case(
    srv: Server, welfare: httpx.Client
) -> None:
    case = open_case(welfare, vulnerable=True)
    srv.tick()
    welfare.post(f"/api/v1/welfare/cases/{case['id']}/found", json={"note": "reunited at the info point"})
    assert srv.app is not None
    hub = srv.app.hub

    async def everything_published() -> list[tuple[str, bytes]]:
        sub, replay, _ = hub.subscribe(f"{hub.epoch}-0")  # as a client resuming from the first message
        hub.unsubscribe(sub)
        return [(m.event, m.data) for m in replay]

    published = srv.call(everything_published())
    assert [orjson.loads(d)["change"] for e, d in published if e == "alarm"] == ["raised", "cleared"]
    for _, data in published:
        for secret in (CLOTHING, CONTACT, "reunited", "5_to_8"):
            assert secret.encode() not in data
