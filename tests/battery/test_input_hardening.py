"""Hostile input through real HTTP: characters a store cannot hold, deep nesting, ids past 2^63-1 and events from
1900 are each refused with a 422 (or 404) naming the field, never a 500, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from fairwatch.clock import FakeClock
from fairwatch.events.inputs import MAX_DEPTH
from fairwatch.events.validate import rfc3339
from fairwatch.model import Role
from fairwatch.store import SqlStore
from tests.console.test_console_http import HTML, PASSWORD, add_user, page_csrf, sign_in
from tests.harness import Server

NOW = 1_783_000_000.0
RULES = """
rules:
  - id: hot
    alarm: fire.high_temperature
    severity: high
    when: {type: temperature, value: {gt: 55}}
    group_by: [zone]
"""
JSON = {"content-type": "application/json"}
TOO_BIG = 2**63


def hot(eid: str, zone: str = "food-court", **extra: Any) -> dict[str, Any]:
    return {"id": eid, "source": "temp-1", "type": "temperature", "zone": zone, "value": 60.0, **extra}


def nested(depth: int) -> Any:
    doc: Any = "leaf"
    for _ in range(depth):
        doc = [doc]
    return doc


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("hardening") / "data", RULES, FakeClock(NOW)) as s:
        yield s


@pytest.fixture(scope="module")
def admin(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.ADMIN) as c:
        yield c


@pytest.fixture(scope="module")
def alarm_id(admin: httpx.Client) -> int:
    assert admin.post("/api/v1/events", json=hot("raise-1")).status_code == 202
    [alarm] = admin.get("/api/v1/alarms").json()["alarms"]
    return int(alarm["id"])


def problems(r: httpx.Response) -> list[tuple[str, str]]:
    assert r.status_code == 422, r.text
    return [(p["field"], p["message"]) for p in r.json()["problems"]]


ALERT: dict[str, Any] = {
    "version": "4",
    "status": "firing",
    "receiver": "fairwatch",
    "groupKey": "{}:{}",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "InstanceDown", "instance": "gw-1"},
            "annotations": {},
            "startsAt": rfc3339(NOW),
            "fingerprint": "abc",
        }
    ],
}

# (id, method, path ("{alarm}" is the raised alarm), body, expected field, expected message start)
CHARACTERS = [
    (
        "event-data-value",
        "POST",
        "/api/v1/events",
        hot("c1", data={"note": "a\x00b"}),
        "data.note",
        "contains a NUL character U+0000 at position 1",
    ),
    (
        "event-data-key",
        "POST",
        "/api/v1/events",
        hot("c2", data={"k\x00": "v"}),
        "data.k\\u0000",
        "key contains a NUL character U+0000 at position 1",
    ),
    (
        "event-zone-tab",
        "POST",
        "/api/v1/events",
        hot("c3", zone="north\tgate"),
        "zone",
        "contains a control character U+0009 at position 5",
    ),
    (
        "event-source-escape",
        "POST",
        "/api/v1/events",
        hot("c4") | {"source": "t\x1b"},
        "source",
        "contains a control character U+001B at position 1",
    ),
    (
        "comment",
        "POST",
        "/api/v1/alarms/{alarm}/comment",
        {"text": "smoke\x00"},
        "text",
        "contains a NUL character U+0000 at position 5",
    ),
    (
        "assign",
        "POST",
        "/api/v1/alarms/{alarm}/assign",
        {"to": "\x07bell"},
        "to",
        "contains a control character U+0007 at position 0",
    ),
    (
        "resolve-note",
        "POST",
        "/api/v1/alarms/{alarm}/resolve",
        {"disposition": "handled", "note": "\x00"},
        "note",
        "contains a NUL",
    ),
    (
        "silence-reason",
        "POST",
        "/api/v1/silences",
        {"matchers": {"type": "fire.*"}, "ends_at": rfc3339(NOW + 3600), "reason": "drill\x00"},
        "reason",
        "contains a NUL",
    ),
    (
        "silence-matcher",
        "POST",
        "/api/v1/silences",
        {"matchers": {"zone": "a\x00"}, "ends_at": rfc3339(NOW + 3600), "reason": "r"},
        "matchers.zone",
        "contains a NUL",
    ),
    (
        "alertmanager-label",
        "POST",
        "/api/v1/adapters/alertmanager",
        ALERT | {"receiver": "fw\x00"},
        "receiver",
        "contains a NUL",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "message"),
    [c[1:] for c in CHARACTERS],
    ids=[c[0] for c in CHARACTERS],
)
def test_characters_a_store_cannot_hold_are_refused_naming_field_and_position(
    admin: httpx.Client, alarm_id: int, method: str, path: str, body: Any, field: str, message: str
) -> None:
    r = admin.request(method, path.replace("{alarm}", str(alarm_id)), json=body)
    [(got_field, got_message)] = problems(r)
    assert (got_field, got_message[: len(message)]) == (field, message)


def test_a_disposition_of_the_wrong_type_is_a_422_not_a_500(admin: httpx.Client, alarm_id: int) -> None:
    """Found by schemathesis: an object as disposition reached a set lookup and failed as unhashable."""
    bad: Any
    for bad in ({}, [], 1, None):
        r = admin.post(f"/api/v1/alarms/{alarm_id}/resolve", json={"disposition": bad})
        assert problems(r)[0][0] == "disposition"


def test_a_lone_surrogate_is_a_422_naming_the_field_not_bad_json(admin: httpx.Client, alarm_id: int) -> None:
    body = b'{"text": "fine \\ud83d then broken"}'
    r = admin.post(f"/api/v1/alarms/{alarm_id}/comment", content=body, headers=JSON)
    assert problems(r) == [("text", "contains a lone surrogate U+D83D at position 5")]
    r = admin.post(
        "/api/v1/events", content=b'[{"source": "s", "type": "x.y", "zone": "\\udc00"}]', headers=JSON
    )
    assert r.json()["problems"][0] | {"value": None} == {
        "index": 0,
        "field": "zone",
        "value": None,
        "message": "contains a lone surrogate U+DC00 at position 0",
    }


DEEP = [
    # (id, path, body, expected field)
    (
        "event-data",
        "/api/v1/events",
        hot("d1", data={"deep": nested(40)}),
        "data.deep" + "[0]" * (MAX_DEPTH - 2),
    ),
    (
        "comment",
        "/api/v1/alarms/{alarm}/comment",
        {"text": "t", "x": nested(40)},
        "x" + "[0]" * (MAX_DEPTH - 1),
    ),
    (
        "silence-matchers",
        "/api/v1/silences",
        {"matchers": nested(40), "reason": "r"},
        "matchers" + "[0]" * (MAX_DEPTH - 1),
    ),
    (
        "alertmanager",
        "/api/v1/adapters/alertmanager",
        ALERT | {"groupLabels": nested(40)},
        "groupLabels" + "[0]" * (MAX_DEPTH - 1),
    ),
]


@pytest.mark.parametrize(("path", "body", "field"), [c[1:] for c in DEEP], ids=[c[0] for c in DEEP])
def test_deep_nesting_is_refused_naming_the_field(
    admin: httpx.Client, alarm_id: int, path: str, body: Any, field: str
) -> None:
    assert problems(admin.post(path.replace("{alarm}", str(alarm_id)), json=body)) == [
        (field, f"nests deeper than {MAX_DEPTH} levels")
    ]


@pytest.mark.parametrize(
    "path",
    ["/api/v1/events", "/api/v1/alarms/{alarm}/comment", "/api/v1/silences", "/api/v1/adapters/alertmanager"],
)
def test_nesting_deeper_than_the_parser_goes_is_a_422_too(
    admin: httpx.Client, alarm_id: int, path: str
) -> None:
    body = b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    assert problems(admin.post(path.replace("{alarm}", str(alarm_id)), content=body, headers=JSON)) == [
        ("body", f"nests deeper than {MAX_DEPTH} levels")
    ]


def id_paths(admin: httpx.Client) -> list[tuple[str, str]]:
    """Every (method, path) of the OpenAPI description with an integer path parameter."""
    spec = admin.get("/api/v1/openapi.json").json()
    found = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            params = [p for p in op.get("parameters", []) if p["in"] == "path"]
            if any(p["schema"].get("type") == "integer" for p in params):
                found.append((method.upper(), path))
    return found


def test_ids_past_2_63_are_refused_on_every_id_path_and_after(admin: httpx.Client, alarm_id: int) -> None:
    paths = id_paths(admin)
    assert ("GET", "/api/v1/alarms/{alarm_id}") in paths and (
        "DELETE",
        "/api/v1/silences/{silence_id}",
    ) in paths
    for method, path in paths:
        for value in (TOO_BIG, 2**64, 10**30, 0, -1):
            url = re.sub(r"\{[a-z_]+\}", str(value), path)
            r = admin.request(method, url, json={} if method == "POST" else None)
            assert r.status_code in (404, 422), (method, url, r.status_code, r.text)
    for value in (TOO_BIG - 1, TOO_BIG, 10**30, -1):
        r = admin.get("/api/v1/audit", params={"after": value})
        assert problems(r)[0][0] == "after"
    assert admin.get("/api/v1/audit", params={"after": TOO_BIG - 2}).json() == {"records": []}
    assert admin.get(f"/api/v1/alarms/{TOO_BIG - 1}").status_code == 404  # the largest id is merely absent


def test_the_console_refuses_big_ids_and_unstorable_form_text(srv: Server, alarm_id: int) -> None:
    add_user(srv, "ada", Role.ADMIN)
    client, _ = sign_in(srv, "ada")
    try:
        for value in (TOO_BIG, 10**30, 0):
            assert client.get(f"/alarms/{value}", headers=HTML).status_code in (404, 422)
        csrf = page_csrf(client.get("/handover").text)
        note = client.post(
            "/handover/notes", data={"csrf": csrf, "text": "gate\x00 3", "hours": "4"}, headers=HTML
        )
        user = client.post(
            "/users", data={"csrf": csrf, "name": "nu\x00ll", "role": "viewer", "password": PASSWORD}
        )
        kept = client.post("/handover/notes", data={"csrf": csrf, "text": "two\nlines", "hours": "4"})
    finally:
        client.close()
    assert note.status_code == 422 and "text: contains a NUL character U+0000 at position 4" in note.text
    [problem] = user.json()["problems"]
    assert (problem["field"], problem["message"][:45]) == (
        "name",
        "contains a NUL character U+0000 at position 2",
    )
    assert kept.status_code == 303


def test_an_event_from_1900_is_refused_and_raises_nothing(admin: httpx.Client, alarm_id: int) -> None:
    r = admin.post("/api/v1/events", json=[hot("old-1", zone="stage", time="1900-01-01T00:00:00Z")])
    assert r.status_code == 422
    [p] = r.json()["problems"]
    assert (p["index"], p["field"], p["value"]) == (0, "time", "1900-01-01T00:00:00Z")
    assert (
        p["message"] == f"is older than the accepted horizon of 7 days (earliest {rfc3339(NOW - 7 * 86400)})"
    )
    zones = {a["zone"] for a in admin.get("/api/v1/alarms").json()["alarms"]}
    assert "stage" not in zones


def test_alertmanager_repeats_of_a_long_firing_alert_do_not_refuse_its_group(admin: httpx.Client) -> None:
    old = ALERT["alerts"][0] | {"startsAt": rfc3339(NOW - 30 * 86400), "fingerprint": "old1"}
    new = ALERT["alerts"][0] | {"startsAt": rfc3339(NOW - 60), "fingerprint": "new1"}
    r = admin.post("/api/v1/adapters/alertmanager", json=ALERT | {"alerts": [old, new]})
    assert (r.status_code, r.json()) == (202, {"accepted": 2, "duplicates": 0, "refused": []})


def test_the_horizon_is_a_setting(tmp_path: Path) -> None:
    ten_days_ago = rfc3339(NOW - 10 * 86400)
    with (
        Server(tmp_path / "data", RULES, FakeClock(NOW), event_max_age_days=30.0) as s,
        s.client(Role.DEVICE) as c,
    ):
        assert c.post("/api/v1/events", json=hot("late-1", time=ten_days_ago)).status_code == 202
        r = c.post("/api/v1/events", json=hot("late-2", time=rfc3339(NOW - 31 * 86400)))
        assert "horizon of 30 days" in r.json()["problems"][0]["message"]


@pytest.fixture
def pg_server(tmp_path: Path, postgres_url: str) -> Iterator[Server]:
    store = SqlStore(postgres_url)
    with store.engine.begin() as conn:  # one server per session: start from empty tables
        conn.execute(text("TRUNCATE events, alarms, occurrences RESTART IDENTITY"))
    store.close()
    with Server(tmp_path / "data", RULES, FakeClock(NOW), database_url=postgres_url) as s:
        yield s


def test_on_postgresql_a_nul_is_a_422_and_honest_events_are_stored(
    pg_server: Server, postgres_url: str
) -> None:
    with pg_server.client(Role.OPERATOR) as c:
        before = c.post("/api/v1/events", json=[hot("pg-1"), hot("pg-2")])
        # free text lives in a declared narrative field (RS-10): a steward's report
        report = {"source": "steward-1", "type": "report.fire", "zone": "food-court"}
        bad = c.post("/api/v1/events", json=[hot("pg-3"), report | {"id": "pg-4", "data": {"text": "a\x00"}}])
        after = c.post(
            "/api/v1/events", json=report | {"id": "pg-5", "data": {"text": "two\tcolumns\nand a line"}}
        )
        [alarm] = c.get("/api/v1/alarms").json()["alarms"]
        comment = c.post(f"/api/v1/alarms/{alarm['id']}/comment", json={"text": "\x00"})
        big = c.get(f"/api/v1/alarms/{TOO_BIG}")
    assert (before.status_code, after.status_code) == (202, 202)
    assert problems(bad) == [
        (
            "data.text",
            "contains a NUL character U+0000 at position 1 (only tab, line feed and carriage return are allowed in free text)",
        )
    ]
    assert problems(comment)[0][0] == "text"
    assert big.status_code == 422
    store = SqlStore(postgres_url)
    try:
        with store.engine.connect() as conn:
            stored = sorted(r[0] for r in conn.execute(text("SELECT eid FROM events")))
    finally:
        store.close()
    assert stored == ["pg-1", "pg-2", "pg-5"]  # the whole refused batch is kept out, the others are in


def test_a_phase_switch_refuses_unstorable_text_and_deep_nesting(tmp_path: Path) -> None:
    from tests.phases.test_phases_service import T0, write_show

    phases = write_show(tmp_path / "config")
    with Server(tmp_path / "data", None, FakeClock(T0), phases=phases) as s, s.client(Role.SUPERVISOR) as c:
        nul = c.post("/api/v1/phase", json={"phase": "show", "reason": "doors\x00open"})
        deep = c.post("/api/v1/phase", json={"phase": "show", "reason": "r", "x": nested(40)})
        honest = c.post("/api/v1/phase", json={"phase": "show", "reason": "doors open\nearly"})
    assert problems(nul) == [
        (
            "reason",
            "contains a NUL character U+0000 at position 5 (only tab, line feed and carriage return are"
            " allowed in free text)",
        )
    ]
    assert problems(deep) == [("x" + "[0]" * (MAX_DEPTH - 1), f"nests deeper than {MAX_DEPTH} levels")]
    assert honest.status_code == 200, honest.text
