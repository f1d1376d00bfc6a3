"""The Prometheus Alertmanager webhook receiver through real HTTP: firing raises, resolved clears, a repeated
notification is stored once, only declared fields are stored (RS-13), each alert is judged alone (RS-14), and
every malformed payload is refused with exact messages that never echo an alert's content."""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from fairwatch.clock import FakeClock
from fairwatch.ingest.adapters.alertmanager import alert_type, guard
from fairwatch.model import Role
from tests.harness import Server

NOW = 1_783_000_000.0  # 2026-07-02T13:46:40Z
PATH = "/api/v1/adapters/alertmanager"
RULES = """
rules:
  - id: instance-down
    alarm: technical.device_offline
    severity: medium
    when: {type: technical.instance_down, data.status: firing}
    group_by: [source]
    clear: {data.status: resolved}
"""


def webhook(status: str = "firing") -> dict[str, Any]:
    """A notification as Alertmanager 0.27 sends it."""
    alert = {
        "status": status,
        "labels": {
            "alertname": "InstanceDown",
            "instance": "cam-gw-3:9100",
            "job": "node",
            "severity": "critical",
            "zone": "north-gate",
        },
        "annotations": {"summary": "cam-gw-3:9100 has been down for more than 1 minute."},
        "startsAt": "2026-07-02T13:40:00.123456789Z",
        "endsAt": "2026-07-02T13:45:30Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1",
        "fingerprint": "a1b2c3d4e5f60718",
    }
    return {
        "receiver": "fairwatch",
        "status": status,
        "alerts": [alert],
        "groupLabels": {"alertname": "InstanceDown"},
        "commonLabels": alert["labels"],
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": '{}:{alertname="InstanceDown"}',
        "truncatedAlerts": 0,
    }


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    with Server(tmp_path / "data", RULES, FakeClock(NOW)) as s:
        yield s


@pytest.fixture
def device(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.DEVICE) as c:
        yield c


def rows(srv: Server, sql: str) -> list[Any]:
    with sqlite3.connect(srv.data / "fairwatch.db") as conn:
        return list(conn.execute(sql))


def test_firing_raises_and_resolved_clears(srv: Server, device: httpx.Client) -> None:
    r = device.post(PATH, json=webhook("firing"))
    assert (r.status_code, r.json()) == (202, {"accepted": 1, "duplicates": 0, "refused": []})
    assert device.post(PATH, json=webhook("firing")).json() == {
        "accepted": 0,
        "duplicates": 1,
        "refused": [],
    }  # repeat_interval
    with srv.client(Role.VIEWER) as viewer:
        [alarm] = viewer.get("/api/v1/alarms").json()["alarms"]
        assert (
            alarm["rule"],
            alarm["sources"],
            alarm["active"],
        ) == (
            "instance-down",
            ["cam-gw-3:9100"],
            True,
        )
        r = device.post(PATH, json=webhook("resolved"))
        assert (r.status_code, r.json()) == (202, {"accepted": 1, "duplicates": 0, "refused": []})
        [alarm] = viewer.get("/api/v1/alarms").json()["alarms"]
        assert (alarm["state"], alarm["active"]) == ("open", False)  # cleared; an operator still closes it
    stored = rows(srv, "SELECT eid, source, type, zone, value, time, data FROM events ORDER BY seq")
    # declared fields only: no labels, no receiver, no annotation text (RS-13)
    common = {"fingerprint": "a1b2c3d4e5f60718", "severity": "critical"}
    assert [(e, s, t, z, v, tm, orjson.loads(d)) for e, s, t, z, v, tm, d in stored] == [
        (
            "am:a1b2c3d4e5f60718:1782999600123:firing",
            "cam-gw-3:9100",
            "technical.instance_down",
            "north-gate",
            1.0,
            1782999600.123,
            {"status": "firing", **common},
        ),
        (
            "am:a1b2c3d4e5f60718:1782999600123:resolved",
            "cam-gw-3:9100",
            "technical.instance_down",
            "north-gate",
            0.0,
            1782999930.0,
            {"status": "resolved", **common},
        ),
    ]


def test_source_falls_back_to_job_then_alertmanager(device: httpx.Client, srv: Server) -> None:
    body = webhook()
    second = copy.deepcopy(body["alerts"][0])
    del body["alerts"][0]["labels"]["instance"]
    second["labels"] = {"alertname": "WatchdogMissing"}
    second["fingerprint"] = "ffff0000ffff0000"
    body["alerts"].append(second)
    assert device.post(PATH, json=body).json() == {"accepted": 2, "duplicates": 0, "refused": []}
    assert rows(srv, "SELECT source, type FROM events ORDER BY seq") == [
        ("node", "technical.instance_down"),
        ("alertmanager", "technical.watchdog_missing"),
    ]


def broken(change: str) -> dict[str, Any]:
    body = webhook()
    alert = body["alerts"][0]
    match change:
        case "version":
            body["version"] = "3"
        case "no-version":
            del body["version"]
        case "status":
            body["status"] = "pending"
        case "no-alerts":
            body["alerts"] = []
        case "alert-not-object":
            body["alerts"] = ["InstanceDown"]
        case "alert-status":
            alert["status"] = "silenced"
        case "no-alertname":
            del alert["labels"]["alertname"]
        case "alertname-symbols":
            alert["labels"]["alertname"] = "!!!"
        case "label-not-string":
            alert["labels"]["severity"] = 2
        case "fingerprint":
            alert["fingerprint"] = "a/b"
        case "starts":
            alert["startsAt"] = "yesterday"
        case "resolved-without-end":
            alert["status"] = "resolved"
            del alert["endsAt"]
        case "future":
            alert["startsAt"] = "2026-07-02T14:00:00Z"
        case "person-label":
            alert["labels"]["ethnicity"] = "x"
    return body


ALERTS = "must be a non-empty array of alerts"
PERSON = "refused: person-data ban (RS-4): ethnicity: a label name targets ethnicity, race or national origin"


MALFORMED: list[tuple[str, list[tuple[Any, ...]]]] = [
    ("version", [(None, "version", "3", 'must be "4" (the webhook format version)')]),
    ("no-version", [(None, "version", None, "required field is missing")]),
    ("status", [(None, "status", "pending", "must be one of firing, resolved")]),
    ("no-alerts", [(None, "alerts", "(array)", ALERTS)]),
    # an alert's own problems never echo its content (the value is null)
    ("alert-not-object", [(0, "", None, "each alert must be a JSON object")]),
    ("alert-status", [(0, "status", None, "must be one of firing, resolved")]),
    ("no-alertname", [(0, "labels.alertname", None, "required label is missing")]),
    ("alertname-symbols", [(0, "labels.alertname", None, "must contain a letter or digit")]),
    ("label-not-string", [(0, "labels", None, "must be a JSON object of strings")]),
    ("fingerprint", [(0, "fingerprint", None, "must be 1-64 letters and digits")]),
    ("starts", [(0, "startsAt", None, "must be an RFC 3339 timestamp with a time zone")]),
    ("resolved-without-end", [(0, "endsAt", None, "required field is missing")]),
    ("future", [(0, "time", None, "is more than 5 minutes in the future")]),
    ("person-label", [(0, "labels", None, PERSON)]),
]


@pytest.mark.parametrize(("change", "problems"), MALFORMED, ids=[change for change, _ in MALFORMED])
def test_malformed_webhooks_are_refused_with_exact_messages(
    device: httpx.Client, srv: Server, change: str, problems: list[tuple[Any, ...]]
) -> None:
    r = device.post(PATH, json=broken(change))
    expected = [{"index": i, "field": f, "value": v, "message": m} for i, f, v, m in problems]
    envelope = change in ("version", "no-version", "status", "no-alerts")
    summary = "invalid Alertmanager payload" if envelope else "every alert was refused"
    assert (r.status_code, r.json()) == (422, {"error": "invalid", "message": summary, "problems": expected})
    assert rows(srv, "SELECT COUNT(*) FROM events") == [(0,)]


@pytest.mark.parametrize(
    ("headers", "content", "status", "message"),
    [
        (
            {"Content-Type": "text/plain"},
            b"{}",
            415,
            "Content-Type must be application/json (got 'text/plain')",
        ),
        ({"Content-Type": "application/json"}, b'{"version": ', 400, "invalid JSON at line 1, column 13: "),
        ({"Content-Type": "application/json"}, b"[]", 422, "invalid Alertmanager payload"),
    ],
    ids=["not-json-type", "bad-json", "not-an-object"],
)
def test_transport_errors(
    device: httpx.Client, headers: dict[str, str], content: bytes, status: int, message: str
) -> None:
    r = device.post(PATH, content=content, headers=headers)
    assert r.status_code == status
    assert r.json()["message"].startswith(message)


def test_needs_a_token(srv: Server) -> None:
    r = httpx.post(srv.url + PATH, json=webhook())
    assert (r.status_code, r.json()["message"]) == (
        401,
        "missing credentials: send 'Authorization: Bearer <token>'",
    )


@pytest.mark.parametrize(
    ("alertname", "event_type"),
    [
        ("InstanceDown", "technical.instance_down"),
        ("KubePodCrashLooping", "technical.kube_pod_crash_looping"),
        ("HighCPUUsage", "technical.high_cpu_usage"),
        ("node_filesystem_almost_full", "technical.node_filesystem_almost_full"),
        ("Disk-Full 90%", "technical.disk_full_90"),
        ("UPS2OnBattery", "technical.ups_2_on_battery"),
    ],
    ids=["camel", "camel-long", "acronym", "snake", "symbols", "digits"],
)
def test_alert_names_become_event_types(alertname: str, event_type: str) -> None:
    assert alert_type(alertname) == event_type


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"alertname": "FirePanelFault", "zone": "st-marys-church"}, []),
        ({"alertname": "ProtestDetected"}, [("labels.alertname", "peaceful_assembly")]),
        ({"alertname": "UnauthorisedAssembly"}, [("labels.alertname", "peaceful_assembly")]),
        ({"alertname": "FaceMatch"}, [("labels.alertname", "biometric_identification")]),  # once, not twice
        ({"alertname": "Crowd", "religion": "x"}, [("labels", "religion_or_belief")]),
        ({"alertname": "Crowd", "target": "protesters"}, [("labels", "peaceful_assembly")]),
    ],
    ids=["fire-at-a-church", "protest", "assembly", "face-match", "religion-label", "protest-value"],
)
def test_the_guard_names_the_ground_never_the_text(
    labels: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    problems = guard(alert_type(labels["alertname"]), labels, 4)
    assert [(p.field, p.message.split(": ")[2]) for p in problems] == expected
    for p in problems:
        assert (p.index, p.value) == (4, None)
        assert not any(text in p.message for text in labels.values() if text not in ("x",))


SITE = """
site: {id: hall, name: Congress Hall, timezone: UTC, plan: {width: 100, height: 100}}
zones:
  - {id: north-gate, name: North Gate, polygon: [[0, 0], [10, 0], [10, 10], [0, 10]], capacity: 500}
"""


def test_a_zone_label_the_site_lacks_is_refused_and_the_alert_beside_it_stored(tmp_path: Path) -> None:
    """RS-12: zones are not invented from labels; one refused alert does not drop the fire-panel fault."""
    site = tmp_path / "site.yaml"
    site.write_text(SITE)
    body = webhook()
    known = body["alerts"][0]
    unknown = copy.deepcopy(known)
    unknown["labels"]["zone"] = "prayer-hall-row-3"
    unknown["fingerprint"] = "ffff000011112222"
    body["alerts"] = [unknown, known]
    with Server(tmp_path / "data", RULES, FakeClock(NOW), site=site) as s, s.client(Role.DEVICE) as dev:
        r = dev.post(PATH, json=body)
        assert r.status_code == 202, r.text
        assert r.json()["accepted"] == 1
        [problem] = r.json()["refused"]
        assert (problem["index"], problem["field"]) == (0, "zone")
        assert (
            problem["reason"]
            == "unknown zone 'prayer-hall-row-3': the site has no such zone (zones: north-gate)"
        )
        assert rows(s, "SELECT zone FROM events") == [("north-gate",)]
