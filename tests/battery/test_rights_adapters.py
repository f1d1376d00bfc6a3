"""Rights by structure in the adapters, end to end through real HTTP and a real Mosquitto (issue 17):
each Alertmanager alert is judged alone (RS-14), only declared fields are stored (RS-13), and a camera's
non-safety labels and unknown zones never become events (RS-12)."""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path
from typing import Any

import orjson

from fairwatch.clock import FakeClock
from fairwatch.ingest.adapters.alertmanager import DATA_FIELDS
from fairwatch.model import Role
from tests.harness import Server
from tests.ingest.broker import frigate_server, wait_for
from tests.ingest.frigate_samples import person_messages

NOW = 1_783_000_000.0  # 2026-07-02T13:46:40Z
PATH = "/api/v1/adapters/alertmanager"
RULES = """
rules:
  - id: fire-panel-fault
    alarm: technical.sensor_fault
    severity: high
    when: {type: technical.fire_panel_fault, data.status: firing}
    group_by: [source]
  - id: backstage-intrusion
    alarm: intrusion.restricted_area
    severity: high
    when: {type: camera.object.person, zone: backstage}
    group_by: [zone]
"""
SITE = """
site:
  id: riverside
  name: Riverside Festival
  timezone: Europe/London
  plan: {width: 800, height: 500}
zones:
  - id: backstage
    name: Backstage
    polygon: [[0, 0], [100, 0], [100, 100], [0, 100]]
    capacity: 200
"""
SECRET_SUMMARY = "Panel 2 reports a loop fault near the prayer room of J. Doe"


def alert(alertname: str, fingerprint: str, **labels: str) -> dict[str, Any]:
    return {
        "status": "firing",
        "labels": {"alertname": alertname, "instance": "fire-panel-2", **labels},
        "annotations": {"summary": SECRET_SUMMARY, "description": SECRET_SUMMARY},
        "startsAt": "2026-07-02T13:40:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": fingerprint,
    }


def notification(*alerts: dict[str, Any]) -> dict[str, Any]:
    return {
        "receiver": "fairwatch",
        "status": "firing",
        "alerts": list(alerts),
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": "{}:{}",
        "truncatedAlerts": 0,
    }


def stored(data: Path) -> list[tuple[str, str, dict[str, Any]]]:
    with sqlite3.connect(data / "fairwatch.db") as conn:
        rows = conn.execute("SELECT type, COALESCE(zone, ''), data FROM events ORDER BY seq")
        return [(t, z, orjson.loads(d)) for t, z, d in rows]


def test_a_refused_alert_never_takes_the_fire_panel_fault_down_with_it(tmp_path: Path) -> None:
    body = notification(
        alert("ProtestDetected", "0a0a0a0a0a0a0a0a", severity="warning"),
        alert("FirePanelFault", "f1f1f1f1f1f1f1f1", severity="critical", zone="backstage"),
        alert("FirePanelFault", "f2f2f2f2f2f2f2f2", religion="muslim"),
    )
    with Server(tmp_path / "data", RULES, FakeClock(NOW)) as srv, srv.client(Role.DEVICE) as device:
        r = device.post(PATH, json=body)
        assert r.status_code == 202
        assert r.json() == {
            "accepted": 1,
            "duplicates": 0,
            "refused": [
                {
                    "index": 0,
                    "field": "labels.alertname",
                    "reason": "refused: protected ground (RS-2): peaceful_assembly: a label value targets "
                    "peaceful assembly; en lexicon",
                },
                {
                    "index": 2,
                    "field": "labels",
                    "reason": "refused: person-data ban (RS-4): religion_or_belief: a label name targets "
                    "people for their religion or belief",
                },
            ],
        }
        assert b"muslim" not in r.content and b"ProtestDetected" not in r.content  # no payload echo
        with srv.client(Role.VIEWER) as viewer:
            [alarm] = viewer.get("/api/v1/alarms").json()["alarms"]
            metrics = viewer.get("/metrics").text
        assert (alarm["rule"], alarm["type"], alarm["active"]) == (
            "fire-panel-fault",
            "technical.sensor_fault",
            True,
        )
        assert 'fairwatch_adapter_items_dropped_total{adapter="alertmanager",reason="refused"} 2.0' in metrics
    # the fire alert alone is stored, with its declared fields only (RS-13): no labels, no annotations
    assert stored(srv.data) == [
        (
            "technical.fire_panel_fault",
            "backstage",
            {"status": "firing", "fingerprint": "f1f1f1f1f1f1f1f1", "severity": "critical"},
        )
    ]
    assert all(set(data) <= set(DATA_FIELDS) for _t, _z, data in stored(srv.data))
    for path in srv.data.glob("fairwatch.db*"):
        content = path.read_bytes()
        assert b"prayer room" not in content and b"muslim" not in content, path.name


def test_a_notification_with_every_alert_refused_is_422_naming_each(tmp_path: Path) -> None:
    body = notification(alert("ProtestDetected", "0a0a0a0a0a0a0a0a"), {"status": "firing"})
    with Server(tmp_path / "data", RULES, FakeClock(NOW)) as srv, srv.client(Role.DEVICE) as device:
        r = device.post(PATH, json=body)
    assert r.status_code == 422
    assert [(p["index"], p["field"], p["value"]) for p in r.json()["problems"]] == [
        (0, "labels.alertname", None),
        (1, "labels", None),
        (1, "fingerprint", None),
        (1, "startsAt", None),
    ]
    assert stored(srv.data) == []


def _frigate(label: str, zones: list[str], fid: str) -> dict[str, Any]:
    message = copy.deepcopy(person_messages()[1])  # an object entering a zone
    for side in (message["before"], message["after"]):
        side.update(id=fid, label=label)
    message["after"]["current_zones"] = zones
    return message


def test_frigate_keeps_safety_objects_in_site_zones_only(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(SITE)
    messages = [
        _frigate("flag", ["backstage"], "1.0-flag"),  # a symbol: never an event
        _frigate("hijab", ["backstage"], "2.0-hijab"),  # clothing
        _frigate("placard", ["backstage"], "3.0-placard"),  # a placard
        _frigate("person", ["prayer_room", "backstage"], "4.0-person"),  # an unknown zone is dropped
        _frigate("gun", ["secret_zone"], "5.0-gun"),  # a weapon, only in an unknown zone: no zone
    ]
    with frigate_server(tmp_path, RULES, NOW, site) as (srv, pub):
        assert srv.app is not None
        for message in messages:
            pub.publish("frigate/events", orjson.dumps(message), qos=1).wait_for_publish(10)
        wait_for(lambda: len(stored(srv.data)) == 1, "the person event")
        with srv.client(Role.VIEWER) as viewer:

            def metrics() -> str:
                return str(viewer.get("/metrics").text)

            wait_for(lambda: 'reason="unknown-zone"} 2.0' in metrics(), "the unknown zones counted")
            text = metrics()
            [alarm] = viewer.get("/api/v1/alarms").json()["alarms"]
    # the gun entered only an unknown zone: an update with no known zone change is no news
    assert [(t, z, d["zones"]) for t, z, d in stored(srv.data)] == [
        ("camera.object.person", "backstage", ["backstage"])
    ]
    assert alarm["zone"] == "backstage"
    assert 'fairwatch_adapter_items_dropped_total{adapter="frigate",reason="label-not-allowed"} 3.0' in text
    for path in srv.data.glob("fairwatch.db*"):
        content = path.read_bytes()
        for word in (b"prayer_room", b"secret_zone", b"hijab", b"placard", b"flag"):
            assert word not in content, (path.name, word)
