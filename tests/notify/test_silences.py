"""Silences through the real server to a real HTTP receiver, with only the clock faked: held-back notifications
(logged as silenced, never sent) while the alarm is raised, stored and shown as usual; escalations held too; one
re-notification when the silence ends or is deleted, also after a restart; exact validation messages; roles;
audit records on a chain that verifies."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from fairwatch.audit import verify_chain
from fairwatch.events.validate import rfc3339
from fairwatch.model import Alarm, AlarmState, Role, Severity
from fairwatch.notify.silences import Matchers, compile_matchers
from fairwatch.store import SqlStore, sqlite_url
from tests.notify.conftest import T0, HookServer
from tests.notify.test_escalation import DUTY, RAISED, SAFETY, Bench

UNSILENCED_OPS = ("/ops", "alarm.unsilenced")
UNSILENCED_DUTY = ("/duty", "alarm.unsilenced")
UNSILENCED_SAFETY = ("/safety", "alarm.unsilenced")


def at(minute: float) -> str:
    """The RFC 3339 time `minute` minutes after the test's start."""
    return rfc3339(T0 + minute * 60)


def silence(matchers: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"matchers": matchers or {"type": "fire.*"}, "ends_at": at(60), "reason": "drill"}
    return body | fields


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    with HookServer([]) as hook:
        b = Bench(tmp_path, hook).start()
        try:
            yield b
        finally:
            b.stop()


def create(bench: Bench, body: dict[str, Any]) -> dict[str, Any]:
    with bench.client(Role.SUPERVISOR) as c:
        r = c.post("/api/v1/silences", json=body)
    assert r.status_code == 201, r.text
    made: dict[str, Any] = r.json()
    return made


def audit(bench: Bench, action: str) -> list[tuple[str, str, dict[str, Any]]]:
    rows = bench.rows(f"SELECT actor, object, details FROM audit WHERE action = '{action}' ORDER BY seq")
    return [(actor, obj, orjson.loads(details)) for actor, obj, details in rows]


def test_a_silence_holds_notifications_and_escalations_until_it_ends(bench: Bench) -> None:
    made = create(bench, silence())
    assert {k: made[k] for k in ("id", "status", "starts_at", "ends_at", "reason", "expired_by")} == {
        "id": 1,
        "status": "active",
        "starts_at": at(0),
        "ends_at": at(60),
        "reason": "drill",
        "expired_by": None,
    }
    assert made["created_by"].startswith("token:")
    bench.raise_alarm()
    assert bench.run() == []
    with bench.client(Role.VIEWER) as c:
        [alarm] = c.get("/api/v1/alarms").json()["alarms"]  # recorded as ever
        history = [h["action"] for h in c.get("/api/v1/alarms/1").json()["history"]]
    assert (alarm["id"], alarm["state"], history[0]) == (1, "open", "alarm-raised")
    for minute in (5, 15, 30, 59.9):
        bench.at(minute)
        assert bench.run() == [], f"at minute {minute}"
    held = bench.rows("SELECT receiver, kind, status, last_error FROM notifications ORDER BY id")
    assert held == [
        ("ops", "raised", "silenced", "silenced by silence 1"),
        ("duty", "escalation", "silenced", "silenced by silence 1"),
        ("safety", "escalation", "silenced", "silenced by silence 1"),
        ("safety", "escalation", "silenced", "silenced by silence 1"),  # repeat at 25 min
        ("safety", "escalation", "silenced", "silenced by silence 1"),  # ... and at 55 min, seen at 59.9
    ]
    assert [d.get("silenced_by") for _, _, d in audit(bench, "alarm-escalation-notified")] == [1, 1, 1, 1]

    bench.at(60)
    assert bench.run() == [UNSILENCED_DUTY, UNSILENCED_OPS, UNSILENCED_SAFETY]  # once per receiver
    bench.at(61)
    assert bench.run() == []
    bench.at(65)
    assert bench.run() == [SAFETY]  # the escalation goes on as scheduled

    ops = next(r for r in bench.hook.requests if r.path == "/ops")
    body = orjson.loads(ops.body)
    assert (body["change"], body["actor"], body["details"]) == (
        "unsilenced",
        "system:silences",
        {"silence": 1, "missed": ["raised"]},
    )
    safety = next(r for r in bench.hook.requests if r.path == "/safety")
    assert orjson.loads(safety.body)["details"]["missed"] == ["escalation"] * 3
    with bench.client(Role.VIEWER) as c:
        [listed] = c.get("/api/v1/silences").json()["silences"]
    assert (listed["status"], listed["expired_by"]) == ("expired", "system:silences")
    assert audit(bench, "silence-created") == [
        (
            made["created_by"],
            "silence:1",
            {"matchers": {"type": "fire.*"}, "starts_at": at(0), "ends_at": at(60), "reason": "drill"},
        )
    ]
    assert audit(bench, "silence-expired") == [
        ("system:silences", "silence:1", {"why": "ended", "renotified": [1]})
    ]
    bench.stop()
    store = SqlStore(sqlite_url(bench.tmp / "data"))
    try:
        assert verify_chain(store.iter_audit()).ok
    finally:
        store.close()


def test_deleting_a_silence_ends_it_now_and_renotifies_once(bench: Bench) -> None:
    create(bench, silence(ends_at=at(120)))
    bench.raise_alarm()
    assert bench.run() == []
    bench.at(3)
    with bench.client(Role.SUPERVISOR) as c:
        r = c.delete("/api/v1/silences/1")
        deleter = c.get("/api/v1/silences").json()["silences"][0]["expired_by"]
        again = c.delete("/api/v1/silences/1")
        unknown = c.delete("/api/v1/silences/99")
    assert (r.status_code, r.json()["status"], r.json()["ends_at"]) == (200, "expired", at(3))
    assert bench.run() == [UNSILENCED_OPS]
    bench.at(5)
    assert bench.run() == [DUTY]  # not silenced any more
    assert (again.status_code, again.json()) == (
        409,
        {"error": "conflict", "message": "silence 1 has already expired", "state": "expired", "allowed": []},
    )
    assert (unknown.status_code, unknown.json()) == (
        404,
        {"error": "not_found", "message": "silence 99 not found"},
    )
    assert deleter.startswith("token:")
    assert audit(bench, "silence-expired") == [(deleter, "silence:1", {"why": "deleted", "renotified": [1]})]


def test_an_alarm_resolved_while_silenced_is_not_renotified(bench: Bench) -> None:
    create(bench, silence(ends_at=at(30)))
    bench.raise_alarm()
    bench.at(2)
    bench.act("resolve", disposition="false_alarm")
    assert bench.run() == []
    bench.at(30)
    assert bench.run() == []
    assert audit(bench, "silence-expired")[0][2] == {"why": "ended", "renotified": []}


def test_an_alarm_still_held_by_another_silence_waits_for_that_one(bench: Bench) -> None:
    create(bench, silence({"type": "fire.*"}, ends_at=at(3)))
    create(bench, silence({"zone": "food-*"}, ends_at=at(4)))
    bench.raise_alarm()
    assert bench.run() == []
    bench.at(3)
    assert bench.run() == []
    bench.at(4)
    assert bench.run() == [UNSILENCED_OPS]


def test_a_pending_silence_holds_nothing_yet(bench: Bench) -> None:
    made = create(bench, silence(starts_at=at(10)))
    assert made["status"] == "pending"
    bench.raise_alarm()
    assert bench.run() == [RAISED]
    with bench.client(Role.VIEWER) as c:
        statuses = c.get("/api/v1/silences", params={"status": "active"}).json()["silences"]
        pending = c.get("/api/v1/silences", params={"status": "pending,expired"}).json()["silences"]
        bad = c.get("/api/v1/silences", params={"status": "live"})
    assert (statuses, [s["id"] for s in pending]) == ([], [1])
    assert bad.status_code == 422
    assert bad.json()["problems"] == [
        {
            "index": None,
            "field": "status",
            "value": "live",
            "message": "must be one of active, pending, expired",
        }
    ]


def test_an_end_missed_while_the_server_was_down_is_handled_after_the_restart(bench: Bench) -> None:
    create(bench, silence(ends_at=at(30)))
    bench.raise_alarm()
    assert bench.run() == []
    bench.stop()
    bench.at(40)  # the silence ended at 30 while nothing ran
    bench.start()
    # The end first (ops missed the raise), then the escalation due by now, not held any more.
    assert bench.run() == [DUTY, UNSILENCED_OPS, SAFETY]
    bench.restart()
    assert bench.run() == []
    assert [d for _, _, d in audit(bench, "silence-expired")] == [{"why": "ended", "renotified": [1]}]


# -- validation -----------------------------------------------------------------------------------------------
MATCHER_KEYS = "type, zone, source, severity"
# (case id, body, the problems: (field, value, message))
INVALID: list[tuple[str, Any, list[tuple[str, Any, str]]]] = [
    (
        "end-before-start",
        silence(starts_at=at(60), ends_at=at(30)),
        [("ends_at", at(30), f"must be after starts_at ({at(60)})")],
    ),
    (
        "unknown-matcher-key",
        silence({"type": "fire.*", "colour": "red"}),
        [("matchers.colour", "red", f"unknown matcher key (expected one of {MATCHER_KEYS})")],
    ),
    ("empty-reason", silence(reason="  "), [("reason", "  ", "must not be empty")]),
    (
        "longer-than-30-days",
        silence(ends_at=rfc3339(T0 + 30 * 86400 + 1)),
        [("ends_at", "2026-08-01T13:46:41.000Z", "must be at most 30 days after starts_at")],
    ),
    (
        "ends-in-the-past",
        silence(starts_at=at(-30), ends_at=at(-1)),
        [("ends_at", at(-1), f"must be in the future (now is {at(0)})")],
    ),
    (
        "not-a-timestamp",
        silence(ends_at="tomorrow"),
        [("ends_at", "tomorrow", "must be an RFC 3339 timestamp with a time zone")],
    ),
    (
        "no-time-zone",
        silence(starts_at="2026-07-02T14:00:00"),
        [("starts_at", "2026-07-02T14:00:00", "must be an RFC 3339 timestamp with a time zone")],
    ),
    (
        "empty-matchers",
        silence({}) | {"matchers": {}},
        [("matchers", {}, f"must name at least one of {MATCHER_KEYS}")],
    ),
    (
        "matchers-not-an-object",
        silence() | {"matchers": "fire.*"},
        [("matchers", "fire.*", f"must be an object with at least one of {MATCHER_KEYS}")],
    ),
    (
        "unknown-severity",
        silence({"severity": "hgh"}),
        [
            (
                "matchers.severity",
                "hgh",
                "must be one of critical, high, medium, low, info, '>= <severity>' or a list of severities",
            )
        ],
    ),
    (
        "empty-type",
        silence({"type": ""}),
        [("matchers.type", "", "must be a non-empty string (a glob such as fire.*)")],
    ),
    (
        "long-zone",
        silence({"zone": "z" * 129}),
        [("matchers.zone", "z" * 129, "must be at most 128 characters")],
    ),
    (
        "unknown-field",
        silence(comment="x"),
        [("comment", "x", "unknown field (expected one of matchers, starts_at, ends_at, reason)")],
    ),
    (
        "everything-missing",
        {},
        [
            ("matchers", None, "required field is missing"),
            ("ends_at", None, "required field is missing"),
            ("reason", None, "required field is missing"),
        ],
    ),
    ("not-an-object", [1], [("body", [1], "must be a JSON object")]),
]


@pytest.mark.parametrize(("body", "problems"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_an_invalid_silence_is_refused_naming_field_and_value(
    bench: Bench, body: Any, problems: list[tuple[str, Any, str]]
) -> None:
    with bench.client(Role.SUPERVISOR) as c:
        r = c.post("/api/v1/silences", json=body)
        listed = c.get("/api/v1/silences").json()["silences"]
    assert r.status_code == 422
    assert r.json() == {
        "error": "invalid",
        "message": "invalid silence",
        "problems": [{"index": None, "field": f, "value": v, "message": m} for f, v, m in problems],
    }
    assert listed == []
    assert audit(bench, "silence-created") == []


# (case id, role, method, path, status)
ROLES = [
    ("viewer-cannot-create", Role.VIEWER, "POST", "/api/v1/silences", 403),
    ("operator-cannot-create", Role.OPERATOR, "POST", "/api/v1/silences", 403),
    ("supervisor-creates", Role.SUPERVISOR, "POST", "/api/v1/silences", 201),
    ("device-cannot-list", Role.DEVICE, "GET", "/api/v1/silences", 403),
    ("viewer-lists", Role.VIEWER, "GET", "/api/v1/silences", 200),
    ("operator-cannot-delete", Role.OPERATOR, "DELETE", "/api/v1/silences/1", 403),
    ("admin-deletes", Role.ADMIN, "DELETE", "/api/v1/silences/1", 200),
]


@pytest.mark.parametrize(
    ("role", "method", "path", "status"), [c[1:] for c in ROLES], ids=[c[0] for c in ROLES]
)
def test_roles(bench: Bench, role: Role, method: str, path: str, status: int) -> None:
    if method == "DELETE":
        create(bench, silence())
    with bench.client(role) as c:
        r = c.request(method, path, json=silence() if method == "POST" else None)
    assert r.status_code == status, r.text


def test_a_body_that_is_not_json_is_refused(bench: Bench) -> None:
    with bench.client(Role.SUPERVISOR) as c:
        bad = c.post("/api/v1/silences", content=b"{", headers={"Content-Type": "application/json"})
        text = c.post("/api/v1/silences", content=b"x", headers={"Content-Type": "text/plain"})
    assert (bad.status_code, bad.json()["error"]) == (400, "bad_json")
    assert (text.status_code, text.json()["problems"]) == (
        422,
        [
            {
                "index": None,
                "field": "Content-Type",
                "value": "text/plain",
                "message": "must be application/json",
            }
        ],
    )


# -- matching -------------------------------------------------------------------------------------------------
def alarm(zone: str | None = "food-court", sources: list[str] | None = None) -> Alarm:
    return Alarm(
        1,
        "hot|zone=food-court",
        "hot",
        "fire.high_temperature",
        Severity.HIGH,
        AlarmState.OPEN,
        True,
        "riverside",
        zone,
        {},
        1,
        T0,
        T0,
        sources=["temp-1", "cam-7"] if sources is None else sources,
    )


# (case id, stored matchers, alarm, silenced?)
MATCHES = [
    ("type-glob", {"type": "fire.*"}, alarm(), True),
    ("other-type", {"type": "medical.*"}, alarm(), False),
    ("zone-glob", {"zone": "food-*"}, alarm(), True),
    ("zone-on-an-alarm-without-zone", {"zone": "*"}, alarm(zone=None), False),
    ("any-source-matches", {"source": "cam-*"}, alarm(), True),
    ("no-source-matches", {"source": "gate-*"}, alarm(), False),
    ("no-sources", {"source": "*"}, alarm(sources=[]), False),
    ("severity-at-least", {"severity": ">= high"}, alarm(), True),
    ("severity-exact-other", {"severity": "critical"}, alarm(), False),
    ("severity-list", {"severity": ["low", "high"]}, alarm(), True),
    ("every-matcher-must-match", {"type": "fire.*", "zone": "main-stage"}, alarm(), False),
]


@pytest.mark.parametrize(
    ("matchers", "subject", "expected"), [c[1:] for c in MATCHES], ids=[c[0] for c in MATCHES]
)
def test_matchers(matchers: dict[str, Any], subject: Alarm, expected: bool) -> None:
    compiled = compile_matchers(matchers)
    assert isinstance(compiled, Matchers)
    assert compiled.matches(subject) is expected
