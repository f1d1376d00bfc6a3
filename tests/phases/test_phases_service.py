"""Event phases end to end: a real server with a run of show, a fake clock, real HTTP, store and audit log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairwatch.app import App
from fairwatch.audit import verify_chain
from fairwatch.clock import FakeClock
from fairwatch.errors import ConfigError
from fairwatch.events.validate import rfc3339
from fairwatch.model import AuditRecord, Role
from fairwatch.phases import PhaseService
from fairwatch.settings import Settings
from fairwatch.store import SqlStore, sqlite_url
from tests.harness import Server

T0 = 1_783_000_000.0
SHOW_AT = T0 + 3600
EGRESS_AT = T0 + 7200

BUSY = """
  - id: busy
    alarm: crowd_safety.high_density
    severity: medium
    when: {type: crowd.flow, value: {gte: 100}, count: {gte: 3, within: 10m}}
    group_by: [zone]
"""
HOT = """
  - id: hot
    alarm: fire.high_temperature
    severity: high
    when: {type: temperature, value: {gt: 55}}
    group_by: [zone]
"""
PHASES = f"""phases:
  - {{id: build-up, rules: build.yaml}}
  - {{id: show, rules: show.yaml, starts: {rfc3339(SHOW_AT)}}}
  - {{id: egress, rules: build.yaml, starts: {rfc3339(EGRESS_AT)}}}
  - {{id: hold, rules: show.yaml}}
"""


def write_show(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "build.yaml").write_text("rules:" + BUSY)
    (folder / "show.yaml").write_text("rules:" + BUSY + HOT)
    (folder / "phases.yaml").write_text(PHASES)
    return folder / "phases.yaml"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def srv(tmp_path: Path, clock: FakeClock) -> Iterator[Server]:
    with Server(tmp_path / "data", None, clock, phases=write_show(tmp_path / "config")) as s:
        yield s


@pytest.fixture
def op(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.OPERATOR) as c:
        yield c


@pytest.fixture
def sup(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.SUPERVISOR) as c:
        yield c


def service(srv: Server) -> PhaseService:
    assert srv.app is not None
    svc = srv.app.phases
    assert isinstance(svc, PhaseService)
    return svc


def audit(srv: Server, action: str | None = None) -> list[AuditRecord]:
    store = SqlStore(sqlite_url(srv.data))
    try:
        return [r for r in store.iter_audit() if action is None or r.action == action]
    finally:
        store.close()


def hot(i: int) -> dict[str, Any]:
    return {"id": f"t{i}", "source": "temp-1", "type": "temperature", "zone": "bar", "value": 70}


def count(i: int) -> dict[str, Any]:
    return {"id": f"c{i}", "source": "gate-1", "type": "crowd.flow", "zone": "gate-1", "value": 120}


def alarm_rules(op: httpx.Client) -> list[str]:
    return sorted(a["rule"] for a in op.get("/api/v1/alarms").json()["alarms"])


def test_a_fresh_server_starts_in_the_first_phase(srv: Server, op: httpx.Client) -> None:
    body = op.get("/api/v1/phase").json()
    assert body == {
        "current": "build-up",
        "since": rfc3339(T0),
        "next": {"phase": "show", "at": rfc3339(SHOW_AT)},
        "phases": [
            {"id": "build-up", "rules": "build.yaml", "starts": None, "rule_count": 1, "current": True},
            {
                "id": "show",
                "rules": "show.yaml",
                "starts": rfc3339(SHOW_AT),
                "rule_count": 2,
                "current": False,
            },
            {
                "id": "egress",
                "rules": "build.yaml",
                "starts": rfc3339(EGRESS_AT),
                "rule_count": 1,
                "current": False,
            },
            {"id": "hold", "rules": "show.yaml", "starts": None, "rule_count": 2, "current": False},
        ],
    }
    [switched] = audit(srv, "phase-switched")
    assert (switched.actor, switched.object, switched.details) == (
        "system",
        "phase",
        {
            "from": None,
            "to": "build-up",
            "by": "system",
            "reason": "first phase of the run of show",
            "scheduled": False,
        },
    )
    [loaded] = audit(srv, "rules-loaded")
    assert (loaded.details["phase"], loaded.details["rules"]) == ("build-up", 1)
    assert loaded.details["path"].endswith("build.yaml")


def test_the_schedule_switches_at_the_exact_time(srv: Server, op: httpx.Client, clock: FakeClock) -> None:
    svc = service(srv)
    clock.set(SHOW_AT - 0.001)
    assert srv.call(svc.tick()) is None
    op.post("/api/v1/events", json=hot(1))
    assert alarm_rules(op) == []  # build-up has no temperature rule
    clock.set(SHOW_AT)
    switched = srv.call(svc.tick())
    assert switched is not None and switched.id == "show"
    assert srv.call(svc.tick()) is None  # once
    body = op.get("/api/v1/phase").json()
    assert (body["current"], body["since"], body["next"]) == (
        "show",
        rfc3339(SHOW_AT),
        {"phase": "egress", "at": rfc3339(EGRESS_AT)},
    )
    assert audit(srv, "phase-switched")[-1].details == {
        "from": "build-up",
        "to": "show",
        "by": "system",
        "reason": f"scheduled start {rfc3339(SHOW_AT)}",
        "scheduled": True,
    }
    op.post("/api/v1/events", json=hot(2))
    assert alarm_rules(op) == ["hot"]  # the show's rules are in force


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 401), (Role.VIEWER, 403), (Role.OPERATOR, 403), (Role.SUPERVISOR, 200), (Role.ADMIN, 200)],
    ids=["anonymous", "viewer", "operator", "supervisor", "admin"],
)
def test_switching_by_hand_needs_a_supervisor(srv: Server, role: Role | None, status: int) -> None:
    with srv.client(role) as client:
        r = client.post("/api/v1/phase", json={"phase": "show", "reason": "doors open early"})
    assert r.status_code == status
    assert len(audit(srv, "phase-switched")) == (2 if status == 200 else 1)


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 401), (Role.DEVICE, 403), (Role.VIEWER, 200)],
    ids=["anonymous", "device", "viewer"],
)
def test_reading_the_phase_needs_a_viewer(srv: Server, role: Role | None, status: int) -> None:
    with srv.client(role) as client:
        assert client.get("/api/v1/phase").status_code == status
        assert client.get("/api/v1/phase/preview", params={"to": "show"}).status_code == status


def test_a_switch_by_hand_is_audited(srv: Server, sup: httpx.Client, clock: FakeClock) -> None:
    clock.advance(60)
    r = sup.post("/api/v1/phase", json={"phase": "show", "reason": "doors open early"})
    assert (r.status_code, r.json()["current"], r.json()["since"]) == (200, "show", rfc3339(T0 + 60))
    [record] = audit(srv, "phase-switched")[1:]
    assert record.actor.startswith("token:")
    assert record.details == {
        "from": "build-up",
        "to": "show",
        "by": record.actor,
        "reason": "doors open early",
        "scheduled": False,
    }
    assert verify_chain(audit(srv)).ok
    clock.set(SHOW_AT)
    assert srv.call(service(srv).tick()) is None  # already in the show: its start is no switch


def test_a_switch_by_hand_overrides_a_passed_start(srv: Server, sup: httpx.Client, clock: FakeClock) -> None:
    clock.set(SHOW_AT + 60)
    assert srv.call(service(srv).tick()) is not None
    clock.advance(60)
    assert sup.post("/api/v1/phase", json={"phase": "hold", "reason": "show delayed"}).status_code == 200
    clock.advance(60)
    assert srv.call(service(srv).tick()) is None  # the show's start is not applied again
    assert sup.get("/api/v1/phase").json()["current"] == "hold"


@pytest.mark.parametrize(
    ("body", "problems"),
    [
        (
            {"phase": "party", "reason": "x"},
            [
                {
                    "field": "phase",
                    "value": "party",
                    "message": "unknown phase (expected one of build-up, show, egress, hold)",
                }
            ],
        ),
        (
            {"phase": "build-up", "reason": "x"},
            [{"field": "phase", "value": "build-up", "message": "is already the current phase"}],
        ),
        (
            {"phase": "show"},
            [{"field": "reason", "value": None, "message": "required: say why the phase changes"}],
        ),
        (
            {"phase": "show", "reason": "  "},
            [{"field": "reason", "value": "  ", "message": "required: say why the phase changes"}],
        ),
        (
            {"to": "show", "reason": "x"},
            [
                {"field": "to", "value": "show", "message": "unknown field"},
                {"field": "phase", "value": None, "message": "required: the id of the phase to switch to"},
            ],
        ),
        (["show"], [{"field": "body", "value": None, "message": "must be a JSON object"}]),
    ],
    ids=["unknown-phase", "current-phase", "no-reason", "blank-reason", "unknown-field", "not-an-object"],
)
def test_a_bad_switch_request_is_refused(
    srv: Server, sup: httpx.Client, body: Any, problems: list[dict[str, Any]]
) -> None:
    r = sup.post("/api/v1/phase", json=body)
    assert r.status_code == 422
    assert r.json()["problems"] == [{"index": None, **p} for p in problems]
    assert len(audit(srv, "phase-switched")) == 1


def test_preview_shows_what_a_switch_changes(srv: Server, op: httpx.Client, sup: httpx.Client) -> None:
    to_show = op.get("/api/v1/phase/preview", params={"to": "show"}).json()
    assert (to_show["from"], to_show["to"]) == ("build-up", "show")
    assert [r["id"] for r in to_show["added"]] == ["hot"]
    assert (to_show["removed"], to_show["changed"], to_show["unchanged"]) == ([], [], ["busy"])
    assert to_show["added"][0]["condition"] == "temperature: value > 55"
    sup.post("/api/v1/phase", json={"phase": "show", "reason": "doors"})
    op.post("/api/v1/events", json=hot(1))
    [hot_alarm] = op.get("/api/v1/alarms").json()["alarms"]
    to_egress = op.get("/api/v1/phase/preview", params={"to": "egress"}).json()
    assert [r["id"] for r in to_egress["removed"]] == ["hot"]
    assert to_egress["open_alarms_of_removed_rules"] == [hot_alarm["id"]]
    # after the switch the alarm of the rule that is gone stays open for operators to resolve
    sup.post("/api/v1/phase", json={"phase": "egress", "reason": "last song"})
    assert op.get(f"/api/v1/alarms/{hot_alarm['id']}").json()["state"] == "open"


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({}, {"field": "to", "value": None, "message": "required query parameter is missing"}),
        (
            {"to": "x"},
            {
                "field": "phase",
                "value": "x",
                "message": "unknown phase (expected one of build-up, show, egress, hold)",
            },
        ),
    ],
    ids=["missing", "unknown"],
)
def test_a_bad_preview_is_refused(op: httpx.Client, params: dict[str, str], problem: dict[str, Any]) -> None:
    r = op.get("/api/v1/phase/preview", params=params)
    assert (r.status_code, r.json()["problems"]) == (422, [{"index": None, **problem}])


def test_rule_windows_continue_across_a_switch(
    srv: Server, op: httpx.Client, sup: httpx.Client, clock: FakeClock
) -> None:
    for i in (1, 2):
        op.post("/api/v1/events", json=count(i))
        clock.advance(30)
    assert alarm_rules(op) == []  # two of three in build-up
    assert sup.post("/api/v1/phase", json={"phase": "show", "reason": "doors"}).status_code == 200
    op.post("/api/v1/events", json=count(3))
    [alarm] = op.get("/api/v1/alarms").json()["alarms"]
    assert (alarm["rule"], alarm["count"]) == ("busy", 1)  # the third, counted with the two before the switch


def test_the_phase_survives_a_restart(srv: Server, sup: httpx.Client, clock: FakeClock) -> None:
    clock.advance(60)
    sup.post("/api/v1/phase", json={"phase": "hold", "reason": "weather"})
    srv.stop()
    clock.advance(600)
    srv.start()
    with srv.client(Role.VIEWER) as viewer:
        body = viewer.get("/api/v1/phase").json()
    assert (body["current"], body["since"]) == ("hold", rfc3339(T0 + 60))
    assert len(audit(srv, "phase-switched")) == 2  # no new switch at start
    assert audit(srv, "rules-loaded")[-1].details["phase"] == "hold"


def test_a_start_passed_while_down_is_applied_at_start(srv: Server, clock: FakeClock) -> None:
    srv.stop()
    clock.set(EGRESS_AT + 5)  # both the show and egress started while the server was down
    srv.start()
    with srv.client(Role.VIEWER) as viewer:
        assert viewer.get("/api/v1/phase").json()["current"] == "egress"
    assert audit(srv, "phase-switched")[-1].details == {
        "from": "build-up",
        "to": "egress",
        "by": "system",
        "reason": f"scheduled start {rfc3339(EGRESS_AT)}",
        "scheduled": True,
    }


def test_a_fresh_start_after_a_start_takes_the_scheduled_phase(tmp_path: Path) -> None:
    phases = write_show(tmp_path / "config")
    with Server(tmp_path / "data", None, FakeClock(SHOW_AT + 1), phases=phases) as srv:
        with srv.client(Role.VIEWER) as viewer:
            assert viewer.get("/api/v1/phase").json()["current"] == "show"
        [record] = audit(srv, "phase-switched")
        assert (record.details["from"], record.details["scheduled"]) == (None, True)


def test_rules_and_phases_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        Settings(rules=tmp_path / "r.yaml", phases=tmp_path / "p.yaml")
    assert info.value.messages == [
        "rules and phases: give one, not both (a phases file names the rules file of each phase;"
        f" got rules '{tmp_path}/r.yaml' and phases '{tmp_path}/p.yaml')"
    ]


BANNER = """rules:
  - id: banner
    alarm: fire.smoke
    severity: high
    description: Protest banner detected
    when: {type: smoke.detected, value: {gt: 0.5}}
"""


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (None, "{phases}:2: phase 1 ('a'): rules: no such file 'r.yaml' (looked for {dir}/r.yaml)"),
        (
            BANNER,
            "{dir}/r.yaml:5: rule 1 ('banner'): description: refused by the rights guard: political_opinion:"
            " 'protest + banner' (targets political opinion or expression; en lexicon)",
        ),
    ],
    ids=["missing-rules-file", "rights-guard-refuses-a-phase-rule"],
)
def test_an_invalid_run_of_show_stops_the_build_and_is_audited(
    tmp_path: Path, rules: str | None, message: str
) -> None:
    phases = write_show(tmp_path / "config")
    phases.write_text("phases:\n  - {id: a, rules: r.yaml}\n")
    if rules is not None:
        (phases.parent / "r.yaml").write_text(rules)
    expected = message.format(phases=phases, dir=phases.parent)
    with pytest.raises(ConfigError) as info:
        App.build(Settings(data=tmp_path / "data", phases=phases), FakeClock(T0))
    assert info.value.messages == [expected]
    store = SqlStore(sqlite_url(tmp_path / "data"))
    try:
        [record] = [r for r in store.iter_audit() if r.action == "phases-rejected"]
    finally:
        store.close()
    assert record.details == {"path": str(phases), "errors": [expected]}


def test_every_phase_route_declares_a_role(srv: Server) -> None:
    from fastapi.routing import APIRoute

    assert srv.app is not None
    routes = [
        r for r in srv.app.asgi.routes if isinstance(r, APIRoute) and r.path.startswith("/api/v1/phase")
    ]
    declared = {
        (r.path, *sorted(r.methods or ())): [
            getattr(d.call, "required_role", None) for d in r.dependant.dependencies
        ]
        for r in routes
    }
    assert declared == {
        ("/api/v1/phase", "GET"): [Role.VIEWER],
        ("/api/v1/phase", "POST"): [Role.SUPERVISOR],
        ("/api/v1/phase/preview", "GET"): [Role.VIEWER],
    }
