"""End to end through real HTTP against a real SQLite file: response, stored rows and audit records."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairwatch.audit import verify_chain
from fairwatch.clock import FakeClock
from fairwatch.model import Role
from fairwatch.store import SqlStore, sqlite_url
from tests.harness import Server

RULES = """
rules:
  - id: hot
    alarm: fire.high_temperature
    severity: high
    when: {type: temperature, value: {gt: 55}}
    group_by: [zone]
  - id: crush
    alarm: crowd_safety.crush_risk
    severity: critical
    when: {type: crowd.density, value: {gt: 4.0}, for: 60s}
    group_by: [zone]
    clear: {value: {lt: 3.0}}
  - id: silent
    alarm: technical.device_offline
    severity: low
    when: {absent: {type: heartbeat, for: 5m}}
    group_by: [source]
"""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_783_000_000.0)


@pytest.fixture
def srv(tmp_path: Path, clock: FakeClock) -> Iterator[Server]:
    with Server(tmp_path / "data", RULES, clock) as s:
        yield s


@pytest.fixture
def op(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.OPERATOR) as c:
        yield c


def rows(srv: Server, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(srv.data / "fairwatch.db") as conn:
        return list(conn.execute(sql, args))


def hot(i: int = 1, zone: str = "food-court", value: float = 60.0) -> dict[str, Any]:
    return {"id": f"t{i}", "source": "temp-1", "type": "temperature", "zone": zone, "value": value}


def test_event_is_stored_and_acknowledged(srv: Server, op: httpx.Client) -> None:
    r = op.post("/api/v1/events", json={"id": "a1", "source": "gate3", "type": "crowd.count", "value": 5})
    assert (r.status_code, r.json()) == (202, {"accepted": 1, "duplicates": 0})
    assert rows(srv, "SELECT eid, source, type, value FROM events") == [("a1", "gate3", "crowd.count", 5.0)]


def test_trigger_raises_one_alarm_and_repeats_count(srv: Server, op: httpx.Client) -> None:
    assert op.post("/api/v1/events", json=[hot(1), hot(2)]).json() == {"accepted": 2, "duplicates": 0}
    assert op.post("/api/v1/events", json=hot(2)).json() == {"accepted": 0, "duplicates": 1}
    [alarm] = op.get("/api/v1/alarms").json()["alarms"]
    assert {
        k: alarm[k] for k in ("rule", "type", "severity", "state", "active", "zone", "group", "count")
    } == {
        "rule": "hot",
        "type": "fire.high_temperature",
        "severity": "high",
        "state": "open",
        "active": True,
        "zone": "food-court",
        "group": {"zone": "food-court"},
        "count": 2,
    }
    assert alarm["assignee"] is None and alarm["sources"] == ["temp-1"]
    assert rows(srv, "SELECT key, state, count FROM alarms") == [("hot|zone=food-court", "open", 2)]
    raised = rows(srv, "SELECT actor, action, object FROM audit WHERE action = 'alarm-raised'")
    assert raised == [("rule:hot", "alarm-raised", f"alarm:{alarm['id']}")]


def test_operator_actions_and_history(srv: Server, op: httpx.Client) -> None:
    op.post("/api/v1/events", json=hot())
    aid = op.get("/api/v1/alarms").json()["alarms"][0]["id"]
    assert op.post(f"/api/v1/alarms/{aid}/ack").json()["state"] == "acknowledged"
    r = op.post(f"/api/v1/alarms/{aid}/ack")
    assert r.status_code == 409
    assert r.json() == {
        "error": "conflict",
        "message": "cannot ack an alarm that is acknowledged; allowed actions: assign, comment, resolve, shelve",
        "state": "acknowledged",
        "allowed": ["assign", "comment", "resolve", "shelve"],
    }
    assert op.post(f"/api/v1/alarms/{aid}/assign", json={"to": "steward-7"}).json()["assignee"] == "steward-7"
    op.post(f"/api/v1/alarms/{aid}/comment", json={"text": "team on the way"})
    r = op.post(f"/api/v1/alarms/{aid}/resolve", json={"disposition": "handled", "note": "extinguished"})
    assert (r.json()["state"], r.json()["disposition"]) == ("resolved", "handled")
    detail = op.get(f"/api/v1/alarms/{aid}").json()
    actions = [h["action"] for h in detail["history"]]
    assert actions == [
        "alarm-raised",
        "alarm-acknowledged",
        "alarm-assigned",
        "alarm-commented",
        "alarm-resolved",
    ]
    assert detail["comments"][0]["text"] == "team on the way"
    assert [e["id"] for e in detail["events"]] == ["t1"]
    assert detail["occurrences"][0]["reason"] == "threshold"
    actor = detail["history"][1]["actor"]
    assert actor.startswith("token:")
    assert rows(srv, "SELECT state, assignee, disposition FROM alarms") == [
        ("resolved", "steward-7", "handled")
    ]


def test_reopen_needs_a_supervisor_and_a_free_key(srv: Server, op: httpx.Client) -> None:
    op.post("/api/v1/events", json=hot(1))
    aid = op.get("/api/v1/alarms").json()["alarms"][0]["id"]
    op.post(f"/api/v1/alarms/{aid}/resolve", json={"disposition": "false_alarm"})
    r = op.post(f"/api/v1/alarms/{aid}/reopen", json={"reason": "again"})
    assert (r.status_code, r.json()["message"]) == (
        403,
        "role 'operator' may not do this; needs 'supervisor' or higher",
    )
    with srv.client(Role.SUPERVISOR) as sup:
        assert (
            sup.post(f"/api/v1/alarms/{aid}/reopen", json={"reason": "smoke again"}).json()["state"] == "open"
        )
        sup.post(f"/api/v1/alarms/{aid}/resolve", json={"disposition": "handled"})
        op.post("/api/v1/events", json=hot(2))  # a new alarm for the same key
        r = sup.post(f"/api/v1/alarms/{aid}/reopen", json={"reason": "x"})
        assert r.status_code == 409
        assert r.json()["message"] == f"cannot reopen alarm {aid}: another alarm for the same key is open"


@pytest.mark.parametrize(
    ("path", "body", "status", "problem"),
    [
        (
            "resolve",
            {},
            422,
            ("disposition", None, "required field is missing (one of handled, false_alarm, duplicate, test)"),
        ),
        (
            "resolve",
            {"disposition": "fixed"},
            422,
            ("disposition", "fixed", "must be one of handled, false_alarm, duplicate, test"),
        ),
        ("assign", {}, 422, ("to", None, "required field is missing")),
        ("comment", {"text": 5}, 422, ("text", 5, "must be a string")),
        ("ack", {"why": "x"}, 422, ("why", "x", "unknown field for ack")),
    ],
    ids=["no-disposition", "bad-disposition", "no-assignee", "comment-not-text", "ack-extra"],
)
def test_action_parameters_are_checked(
    srv: Server, op: httpx.Client, path: str, body: dict[str, Any], status: int, problem: tuple[Any, ...]
) -> None:
    op.post("/api/v1/events", json=hot())
    aid = op.get("/api/v1/alarms").json()["alarms"][0]["id"]
    r = op.post(f"/api/v1/alarms/{aid}/{path}", json=body)
    assert r.status_code == status
    p = r.json()["problems"][0]
    assert (p["field"], p["value"], p["message"]) == problem


def test_unknown_alarm_is_404(op: httpx.Client) -> None:
    r = op.post("/api/v1/alarms/999/ack")
    assert (r.status_code, r.json()) == (404, {"error": "not_found", "message": "alarm 999 not found"})


@pytest.mark.parametrize(
    ("headers", "content", "status", "message"),
    [
        ({}, b"{}", 401, "missing credentials: send 'Authorization: Bearer <token>'"),
        ({"Authorization": "Bearer nope"}, b"{}", 401, "invalid or revoked token"),
        ({"Authorization": "Basic abc"}, b"{}", 401, "Authorization header must be 'Bearer <token>'"),
    ],
    ids=["missing", "invalid", "wrong-scheme"],
)
def test_credentials(srv: Server, headers: dict[str, str], content: bytes, status: int, message: str) -> None:
    r = httpx.post(
        srv.url + "/api/v1/events", content=content, headers={"Content-Type": "application/json", **headers}
    )
    assert (r.status_code, r.json()["message"]) == (status, message)


def test_device_may_send_but_not_read(srv: Server) -> None:
    with srv.client(Role.DEVICE) as dev:
        assert dev.post("/api/v1/events", json=hot()).status_code == 202
        r = dev.get("/api/v1/alarms")
        assert (r.status_code, r.json()["message"]) == (
            403,
            "role 'device' may not do this; needs 'viewer' or higher",
        )


def test_transport_errors(srv: Server, op: httpx.Client) -> None:
    r = op.post("/api/v1/events", content=b"{}", headers={"Content-Type": "text/plain"})
    assert (r.status_code, r.json()["message"]) == (
        415,
        "Content-Type must be application/json (got 'text/plain')",
    )
    big = b"[" + b" " * (4 * 1024 * 1024) + b"]"
    r = op.post("/api/v1/events", content=big, headers={"Content-Type": "application/json"})
    assert (r.status_code, r.json()["message"]) == (
        413,
        "body of 4194306 bytes exceeds the limit of 4194304 bytes",
    )
    r = op.post(
        "/api/v1/events",
        content=b'[{"source": "a",\n "type": }]',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["message"].startswith("invalid JSON at line 2, column 10: ")
    r = op.post("/api/v1/events", json=[hot(1), {"source": "x", "type": "Bad"}, hot(3, value="hot")])  # type: ignore[arg-type]
    assert r.status_code == 422
    assert [(p["index"], p["field"]) for p in r.json()["problems"]] == [(1, "type"), (2, "value")]
    assert rows(srv, "SELECT count(*) FROM events") == [(0,)]  # a batch with any invalid event stores nothing


def test_concurrent_triggers_make_one_open_alarm(srv: Server) -> None:
    token = f"Bearer {srv.token(Role.DEVICE)}"
    barrier = threading.Barrier(16)

    def send(i: int) -> int:
        barrier.wait()
        r = httpx.post(srv.url + "/api/v1/events", json=hot(i), headers={"Authorization": token}, timeout=20)
        return r.status_code

    with ThreadPoolExecutor(16) as pool:
        assert set(pool.map(send, range(16))) == {202}
    assert rows(srv, "SELECT count(*), max(count) FROM alarms") == [(1, 16)]


def test_held_condition_raises_then_clears(srv: Server, op: httpx.Client, clock: FakeClock) -> None:
    def density(i: int, value: float) -> dict[str, Any]:
        return {"id": f"d{i}", "source": "cam", "type": "crowd.density", "zone": "main", "value": value}

    op.post("/api/v1/events", json=density(1, 4.5))
    clock.advance(30)
    op.post("/api/v1/events", json=density(2, 4.6))
    clock.advance(29)
    srv.tick()
    assert op.get("/api/v1/alarms").json()["alarms"] == []  # held 59 s of 60
    clock.advance(1)
    srv.tick()
    [alarm] = op.get("/api/v1/alarms").json()["alarms"]
    assert (alarm["rule"], alarm["active"], alarm["severity"]) == ("crush", True, "critical")
    clock.advance(5)
    op.post("/api/v1/events", json=density(3, 2.0))
    [alarm] = op.get("/api/v1/alarms").json()["alarms"]
    assert (alarm["state"], alarm["active"]) == ("open", False)  # cleared but not acknowledged: stays visible
    assert [h["action"] for h in op.get(f"/api/v1/alarms/{alarm['id']}").json()["history"]] == [
        "alarm-raised",
        "alarm-cleared",
    ]


def test_absence_fires_from_the_timer(srv: Server, op: httpx.Client, clock: FakeClock) -> None:
    op.post("/api/v1/events", json={"source": "smoke-7", "type": "heartbeat"})
    clock.advance(299)
    srv.tick()
    assert op.get("/api/v1/alarms").json()["alarms"] == []
    clock.advance(2)
    srv.tick()
    [alarm] = op.get("/api/v1/alarms").json()["alarms"]
    assert (alarm["rule"], alarm["group"], alarm["severity"]) == ("silent", {"source": "smoke-7"}, "low")


def test_list_filters_and_pages(srv: Server, op: httpx.Client) -> None:
    op.post("/api/v1/events", json=[hot(i, zone=f"z{i}") for i in range(5)])
    seen: list[int] = []
    url = "/api/v1/alarms?limit=2"
    while url:
        page = op.get(url).json()
        seen += [a["id"] for a in page["alarms"]]
        url = f"/api/v1/alarms?limit=2&cursor={page['next']}" if page["next"] else ""
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 5
    assert len(op.get("/api/v1/alarms?zone=z1,z2").json()["alarms"]) == 2
    assert op.get("/api/v1/alarms?state=resolved").json()["alarms"] == []
    r = op.get("/api/v1/alarms?severity=urgent")
    assert r.status_code == 422
    assert r.json()["problems"][0] == {
        "index": None,
        "field": "severity",
        "value": "urgent",
        "message": "must be one of critical, high, info, low, medium",
    }


def test_stream_delivers_changes_and_resumes(srv: Server, op: httpx.Client) -> None:
    got: list[str] = []
    headers = {"Authorization": op.headers["Authorization"]}

    def read(n: int, extra: dict[str, str]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        with httpx.stream("GET", srv.url + "/api/v1/stream", headers={**headers, **extra}, timeout=20) as r:
            ident = ""
            for line in r.iter_lines():
                if line.startswith("id: "):
                    ident = line[4:]
                if line.startswith("data: ") and ident:
                    out.append((ident, line[6:]))
                    if len(out) == n:
                        return out
        return out

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(read, 2, {})
        while srv.app is not None and srv.app.hub.subscribers == 0:
            threading.Event().wait(0.01)
        op.post("/api/v1/events", json=hot(1))
        aid = op.get("/api/v1/alarms").json()["alarms"][0]["id"]
        op.post(f"/api/v1/alarms/{aid}/ack")
        first, second = future.result(20)
    assert '"change":"raised"' in first[1] and '"change":"acknowledged"' in second[1]
    got = [m[1] for m in read(1, {"Last-Event-ID": first[0]})]
    assert '"change":"acknowledged"' in got[0]


def test_audit_chain_verifies_after_a_session(srv: Server, op: httpx.Client) -> None:
    op.post("/api/v1/events", json=hot())
    aid = op.get("/api/v1/alarms").json()["alarms"][0]["id"]
    op.post(f"/api/v1/alarms/{aid}/ack")
    store = SqlStore(sqlite_url(srv.data))
    records = list(store.iter_audit())
    store.close()
    assert [r.action for r in records][:2] == ["rules-loaded", "server-started"]
    assert "token-created" in [r.action for r in records]
    assert verify_chain(records).ok


def test_openapi_and_health(srv: Server) -> None:
    spec = httpx.get(srv.url + "/api/v1/openapi.json").json()
    assert "/api/v1/events" in spec["paths"] and "/api/v1/alarms/{alarm_id}/resolve" in spec["paths"]
    assert httpx.get(srv.url + "/healthz").json() == {"status": "ok"}
    assert httpx.get(srv.url + "/readyz").json() == {"status": "ready"}


def _flat(routes: Iterable[Any]) -> Iterator[Any]:
    """Routes with included routers opened up (FastAPI keeps an included router as one lazy entry)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from _flat(inner.routes) if inner is not None else [route]


def test_every_route_declares_a_role(srv: Server) -> None:
    """Deny by default: a route with neither a role rule nor a public mark fails here."""
    from fastapi.routing import APIRoute

    assert srv.app is not None
    checked = set()
    for route in _flat(srv.app.asgi.routes):
        if not isinstance(route, APIRoute):
            continue
        roles = [getattr(d.call, "required_role", None) for d in route.dependant.dependencies]
        assert any(roles) or getattr(route.endpoint, "public", False), f"{route.path} has no role rule"
        checked.add(route.path)
    expected = {
        "/api/v1/events",
        "/api/v1/alarms",
        "/api/v1/alarms/{alarm_id}/reopen",
        "/api/v1/stream",
        "/healthz",
    }
    assert expected <= checked, "the walk missed routes: it would check nothing"


def test_person_data_is_refused_over_http_and_counted(srv: Server, op: httpx.Client) -> None:
    face = {"id": "f1", "source": "cam-4", "type": "camera.face_match", "value": 0.93}
    belief = {"id": "f2", "source": "steward-2", "type": "report.medical", "data": {"religion": "x"}}
    r = op.post("/api/v1/events", json=[hot(1), face, belief])
    assert r.status_code == 422
    assert r.json()["problems"] == [
        {
            "index": 1,
            "field": "type",
            "value": "camera.face_match",
            "message": "refused: person-data ban (RS-4): biometric_identification: "
            "event type 'camera.face_match' identifies or profiles a person",
        },
        {
            "index": 2,
            "field": "data.religion",
            "value": "religion",
            "message": "refused: person-data ban (RS-4): religion_or_belief: key 'religion' carries a person attribute",
        },
    ]
    assert rows(srv, "SELECT count(*) FROM events") == [(0,)]
    metrics = op.get("/metrics").text
    assert "fairwatch_events_refused_by_policy_total 2.0" in metrics
