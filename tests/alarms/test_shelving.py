"""Shelving (ISA-18.2): the pure checks, then the lifecycle through real HTTP, the writer's tick, the store and the
audit log with a fake clock."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairwatch.alarms import shelving
from fairwatch.clock import FakeClock
from fairwatch.errors import InvalidInput
from fairwatch.model import Role
from tests.harness import Server
from tests.notify.conftest import HookServer
from tests.notify.test_escalation import DUTY, RAISED, SAFETY, Bench

RULES = """
rules:
  - id: fire
    alarm: fire.suspected
    severity: high
    when: {type: smoke.detected}
    group_by: [zone]
"""
T0 = 1_783_000_000.0
_ids = itertools.count(1)

# (id, params, the problems' fields and values)
BAD: list[tuple[str, dict[str, Any], list[tuple[str, Any]]]] = [
    ("nothing", {}, [("minutes", None), ("reason", None)]),
    ("zero-minutes", {"minutes": 0, "reason": "x"}, [("minutes", 0)]),
    ("too-long", {"minutes": 721, "reason": "x"}, [("minutes", 721)]),
    ("fraction", {"minutes": 1.5, "reason": "x"}, [("minutes", 1.5)]),
    ("boolean", {"minutes": True, "reason": "x"}, [("minutes", True)]),
    ("text-minutes", {"minutes": "10", "reason": "x"}, [("minutes", "10")]),
    ("blank-reason", {"minutes": 10, "reason": "  "}, [("reason", "  ")]),
    ("reason-not-text", {"minutes": 10, "reason": 5}, [("reason", 5)]),
    ("unknown-key", {"minutes": 10, "reason": "x", "until": "later"}, [("until", "later")]),
    (
        "protest-reason",
        {"minutes": 10, "reason": "protest march passing"},
        [("reason", "protest march passing")],
    ),
]


@pytest.mark.parametrize(("params", "expected"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_shelve_request_names_each_field_and_value(
    params: dict[str, Any], expected: list[tuple[str, Any]]
) -> None:
    with pytest.raises(InvalidInput) as info:
        shelving.check_shelve(params)
    assert [(p.field, p.value) for p in info.value.problems] == expected


def test_the_reason_refusal_names_the_ground() -> None:
    with pytest.raises(InvalidInput) as info:
        shelving.check_shelve({"minutes": 10, "reason": "protest march passing"})
    assert info.value.problems[0].message.startswith("refused by the rights guard: peaceful_assembly")


def test_a_good_request_is_minutes_and_the_trimmed_reason() -> None:
    assert shelving.check_shelve({"minutes": 720, "reason": " steward on site "}) == (720, "steward on site")


def test_due_lists_the_shelves_whose_time_is_up_earliest_first() -> None:
    assert shelving.due({3: 100.0, 1: 50.0, 2: 100.0, 4: 100.1}, 100.0) == [1, 2, 3]
    assert shelving.due({1: 100.0}, 99.9) == []


# -- through the server ----------------------------------------------------------------------------------------
@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def srv(tmp_path: Path, clock: FakeClock) -> Iterator[Server]:
    with Server(tmp_path / "data", RULES, clock) as s:
        yield s


@pytest.fixture
def op(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.OPERATOR) as c:
        yield c


def raise_fire(op: httpx.Client, zone: str = "food-court") -> int:
    r = op.post(
        "/api/v1/events",
        json={"id": f"s{next(_ids)}", "source": "smoke-1", "type": "smoke.detected", "zone": zone},
    )
    assert r.status_code == 202, r.text
    found = op.get("/api/v1/alarms", params={"zone": zone, "state": "open"}).json()["alarms"]
    return int(found[0]["id"])


def active_ids(op: httpx.Client) -> set[int]:
    return {a["id"] for a in op.get("/api/v1/alarms", params={"state": "open,acknowledged"}).json()["alarms"]}


def history(op: httpx.Client, alarm_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    body = op.get(f"/api/v1/alarms/{alarm_id}").json()
    return [(h["action"], h["actor"], h["details"]) for h in body["history"]]


def test_shelved_alarm_leaves_the_queue_is_listed_and_returns_by_itself(
    srv: Server, op: httpx.Client, clock: FakeClock
) -> None:
    alarm_id = raise_fire(op)
    assert op.post(f"/api/v1/alarms/{alarm_id}/ack").status_code == 200
    me = history(op, alarm_id)[-1][1]  # the token's actor name, as the ack was audited
    r = op.post(f"/api/v1/alarms/{alarm_id}/shelve", json={"minutes": 15, "reason": "steward checking"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["state"] == "shelved"
    assert body["allowed_actions"] == ["assign", "comment", "resolve", "unshelve"]
    assert body["shelf"]["until"] == "2026-07-02T14:01:40.000Z"  # T0 + 15 minutes
    assert alarm_id not in active_ids(op)
    shelved = op.get("/api/v1/alarms", params={"state": "shelved"}).json()["alarms"]
    assert [(a["id"], a["shelf"]["reason"], a["shelf"]["by"]) for a in shelved] == [
        (alarm_id, "steward checking", me)
    ]

    clock.advance(15 * 60 - 1)
    srv.tick()
    assert op.get(f"/api/v1/alarms/{alarm_id}").json()["state"] == "shelved"
    clock.advance(1)
    srv.tick()
    back = op.get(f"/api/v1/alarms/{alarm_id}").json()
    assert (back["state"], back["shelf"]) == ("open", None)  # back unacknowledged, to be seen again
    assert alarm_id in active_ids(op)
    records = history(op, alarm_id)
    assert records[-2] == (
        "alarm-shelved",
        me,
        {"minutes": 15, "until": "2026-07-02T14:01:40.000Z", "reason": "steward checking"},
    )
    assert records[-1] == (
        "alarm-unshelved",
        "system:shelving",
        {"why": "expired", "until": "2026-07-02T14:01:40.000Z"},
    )


def test_unshelve_and_resolve_end_the_shelf(srv: Server, op: httpx.Client, clock: FakeClock) -> None:
    one, two = raise_fire(op, "food-court"), raise_fire(op, "main-stage")
    for alarm_id in (one, two):
        r = op.post(f"/api/v1/alarms/{alarm_id}/shelve", json={"minutes": 5, "reason": "known"})
        assert r.status_code == 200, r.text
    assert op.post(f"/api/v1/alarms/{one}/unshelve").json()["state"] == "open"
    resolved = op.post(f"/api/v1/alarms/{two}/resolve", json={"disposition": "handled"}).json()
    assert (resolved["state"], resolved["shelf"]) == ("resolved", None)
    clock.advance(600)
    assert srv.tick() == 0
    action, actor, details = history(op, one)[-1]
    assert (action, actor.startswith("token:"), details) == ("alarm-unshelved", True, {"why": "unshelved"})
    assert history(op, two)[-1][0] == "alarm-resolved"  # no return after the resolve
    assert op.get("/api/v1/alarms", params={"state": "shelved"}).json()["alarms"] == []


def test_a_shelved_alarm_may_be_assigned_and_commented_and_still_returns(
    srv: Server, op: httpx.Client, clock: FakeClock
) -> None:
    alarm_id = raise_fire(op)
    op.post(f"/api/v1/alarms/{alarm_id}/shelve", json={"minutes": 5, "reason": "known"})
    assert op.post(f"/api/v1/alarms/{alarm_id}/assign", json={"to": "steward-7"}).json()["state"] == "shelved"
    body = op.post(f"/api/v1/alarms/{alarm_id}/comment", json={"text": "on it"}).json()
    assert (body["state"], body["shelf"]["reason"]) == ("shelved", "known")
    clock.advance(300)
    srv.tick()
    assert op.get(f"/api/v1/alarms/{alarm_id}").json()["state"] == "open"


def test_a_shelved_alarm_keeps_counting_repeats(srv: Server, op: httpx.Client) -> None:
    alarm_id = raise_fire(op)
    op.post(f"/api/v1/alarms/{alarm_id}/shelve", json={"minutes": 5, "reason": "known"})
    raise_fire_again = {
        "id": f"s{next(_ids)}",
        "source": "smoke-2",
        "type": "smoke.detected",
        "zone": "food-court",
    }
    assert op.post("/api/v1/events", json=raise_fire_again).status_code == 202
    body = op.get(f"/api/v1/alarms/{alarm_id}").json()
    assert (body["state"], body["count"]) == ("shelved", 2)


def test_refusals_name_the_problem(srv: Server, op: httpx.Client) -> None:
    alarm_id = raise_fire(op)
    r = op.post(f"/api/v1/alarms/{alarm_id}/shelve", json={"minutes": 5})
    assert r.status_code == 422
    assert r.json()["problems"] == [
        {"field": "reason", "value": None, "message": "required field is missing", "index": None}
    ]
    assert op.post(f"/api/v1/alarms/{alarm_id}/unshelve").status_code == 409  # not shelved
    with srv.client(Role.VIEWER) as viewer:
        assert (
            viewer.post(f"/api/v1/alarms/{alarm_id}/shelve", json={"minutes": 5, "reason": "x"}).status_code
            == 403
        )
    op.post(f"/api/v1/alarms/{alarm_id}/resolve", json={"disposition": "handled"})
    r = op.post(f"/api/v1/alarms/{alarm_id}/shelve", json={"minutes": 5, "reason": "x"})
    assert r.status_code == 409
    assert "cannot shelve an alarm that is resolved" in r.json()["message"]


def test_a_shelf_survives_a_restart_and_still_returns(
    srv: Server, op: httpx.Client, clock: FakeClock
) -> None:
    alarm_id = raise_fire(op)
    op.post(f"/api/v1/alarms/{alarm_id}/shelve", json={"minutes": 5, "reason": "known"})
    srv.stop()
    srv.start()
    clock.advance(300)
    srv.tick()
    with srv.client(Role.OPERATOR) as again:
        assert again.get(f"/api/v1/alarms/{alarm_id}").json()["state"] == "open"


def test_no_escalation_while_shelved_then_it_resumes(tmp_path: Path) -> None:
    """Through a real notification file and receiver: shelving sends nothing and stops the escalation levels;
    back from the shelf, the levels it passed while shelved (it has been unacknowledged all along) go out."""
    with HookServer([]) as hook:
        bench = Bench(tmp_path, hook).start()
        try:
            bench.raise_alarm()
            assert bench.run() == [RAISED]
            bench.at(2)
            bench.act("shelve", minutes=30, reason="steward on site")
            assert bench.run() == []  # `shelved` is not a notification kind: the reason stays inside
            bench.at(20)
            assert bench.run() == []  # levels 1 (5 min) and 2 (15 min) are not sent while shelved
            bench.at(32)
            assert bench.srv is not None
            bench.srv.tick()
            assert bench.run() == [DUTY, SAFETY]
        finally:
            bench.stop()
