"""The Frigate NVR adapter: recorded `frigate/events` and `frigate/reviews` messages become the right events, a
zone rule raises and clears on them, and recognised face names and plate text never reach the store (RS-4)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from fairwatch.clock import FakeClock
from fairwatch.errors import InvalidInput
from fairwatch.ingest.adapters.frigate import from_event, from_review, redact
from fairwatch.model import Role
from tests.harness import Server
from tests.ingest.broker import Collector, Mosquitto, Publisher, wait_for
from tests.ingest.frigate_samples import FACE_NAME, PLATE, car_messages, person_messages, review_messages

NOW = 1_783_000_000.0
FID = "1782999900.000000-k3x9qa"
PERSON_DATA = {"frigate_id": FID, "label": "person", "stationary": False}


def person(kind: str, zones: list[str]) -> dict[str, Any]:
    return {**PERSON_DATA, "kind": kind, "zones": zones}


@pytest.mark.parametrize(
    ("index", "events", "dropped"),
    [
        (
            0,
            [
                {
                    "id": f"frigate:{FID}:new:-",
                    "source": "gate_cam",
                    "type": "camera.object.person",
                    "time": "2026-07-02T13:45:00.000Z",
                    "data": person("new", []),
                    "value": 0.82421875,
                }
            ],
            set(),
        ),
        (
            1,
            [
                {
                    "id": f"frigate:{FID}:entered:1782999903.0:backstage",
                    "source": "gate_cam",
                    "type": "camera.object.person",
                    "time": "2026-07-02T13:45:03.000Z",
                    "data": person("entered", ["backstage"]),
                    "zone": "backstage",
                    "value": 0.82421875,
                }
            ],
            {"sub_label", "attributes", "current_attributes"},
        ),
        (2, [], {"sub_label", "attributes", "current_attributes"}),  # a better snapshot is no news
        (
            3,
            [
                {
                    "id": f"frigate:{FID}:left:1782999909.0:backstage",
                    "source": "gate_cam",
                    "type": "camera.object.person.end",
                    "time": "2026-07-02T13:45:09.000Z",
                    "data": person("left", []),
                    "zone": "backstage",
                    "value": 0.9296875,
                }
            ],
            {"sub_label", "attributes", "current_attributes"},
        ),
        (
            4,
            [
                {
                    "id": f"frigate:{FID}:end:-",
                    "source": "gate_cam",
                    "type": "camera.object.person.end",
                    "time": "2026-07-02T13:45:12.500Z",
                    "data": person("end", []),
                    "value": 0.9296875,
                }
            ],
            {"sub_label", "attributes", "current_attributes"},
        ),
    ],
    ids=["new-without-zone", "enters-zone", "better-snapshot", "leaves-zone", "ends"],
)
def test_tracked_object_messages_map_to_events(
    index: int, events: list[dict[str, Any]], dropped: set[str]
) -> None:
    mapped = from_event(person_messages()[index])
    assert (mapped.events, mapped.dropped_identity) == (events, dropped)


def test_a_plate_is_dropped_and_the_car_ends_in_its_zone() -> None:
    new, end = (from_event(m) for m in car_messages())
    assert [(e["type"], e.get("zone"), e["data"]["kind"]) for e in new.events + end.events] == [
        ("camera.object.car", "loading_bay", "new"),
        ("camera.object.car.end", "loading_bay", "end"),
    ]
    assert new.dropped_identity == {"sub_label", "recognized_license_plate", "attributes"}
    assert PLATE.encode() not in orjson.dumps(new.events + end.events)


def test_false_positives_give_no_event() -> None:
    message = person_messages()[0]
    message["after"]["false_positive"] = True
    assert from_event(message).events == []


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (0, [("camera.review.detection", "new", [])]),
        (1, [("camera.review.alert", "update", ["backstage"])]),  # raised to an alert
        (2, []),  # same severity: nothing new
        (3, [("camera.review.alert.end", "end", ["backstage"])]),
    ],
    ids=["new", "escalated", "unchanged", "end"],
)
def test_review_messages_map_to_events(index: int, expected: list[tuple[str, str, list[str]]]) -> None:
    mapped = from_review(review_messages()[index])
    assert [(e["type"], e["data"]["kind"], e["data"]["zones"]) for e in mapped.events] == expected
    assert FACE_NAME.encode() not in orjson.dumps(mapped.events)
    for e in mapped.events:
        assert (e["source"], e["data"]["objects"], "zone" in e) == ("gate_cam", ["person"], False)


@pytest.mark.parametrize(
    ("message", "problems"),
    [
        ([1], [("body", "(array)", "must be a JSON object")]),
        ({"type": "finish", "after": {}}, [("type", "finish", "must be one of new, update, end")]),
        ({"type": "new"}, [("after", None, "must be a JSON object")]),
        (
            {"type": "new", "after": {"camera": "c", "label": "person", "start_time": "today"}},
            [
                ("after.id", None, "must be a non-empty string"),
                ("after.start_time", "today", "must be a number (Unix seconds or a score)"),
            ],
        ),
        (
            {
                "type": "update",
                "after": {"id": "x", "camera": "c", "label": "?", "start_time": 1, "current_zones": "a"},
            },
            [
                ("after.current_zones", "a", "must be an array of zone names"),
                ("after.label", "?", "must contain a letter or digit"),
            ],
        ),
    ],
    ids=["not-an-object", "unknown-type", "no-after", "missing-id-bad-time", "bad-zones-and-label"],
)
def test_invalid_frigate_messages_name_every_problem(
    message: Any, problems: list[tuple[str, Any, str]]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        from_event(message)
    assert caught.value.summary == "invalid Frigate message"
    assert [(p.field, p.value, p.message) for p in caught.value.problems] == problems


def test_redact_removes_identity_from_a_dead_letter_payload() -> None:
    text = redact(orjson.dumps(person_messages()[1]))
    assert FACE_NAME not in text and '"current_attributes"' not in text and '"snapshot"' not in text
    assert orjson.loads(text)["after"]["current_zones"] == ["backstage"]


RULES = """
rules:
  - id: backstage-intrusion
    alarm: intrusion.restricted_area
    severity: high
    when: {type: camera.object.person, zone: backstage}
    group_by: [zone]
    clear: {type: camera.object.person.end}
"""


def test_frigate_over_mqtt_raises_and_clears_and_stores_no_identity(tmp_path: Path) -> None:
    with (
        Mosquitto(tmp_path / "broker") as broker,
        Server(
            tmp_path / "data", RULES, FakeClock(NOW), mqtt_url=broker.url, frigate_prefix="frigate"
        ) as srv,
    ):
        assert srv.app is not None
        wait_for(
            lambda: srv.app is not None and srv.app.mqtt is not None and srv.app.mqtt.connected,
            "the MQTT subscription",
        )
        pub = Publisher(broker.port)
        for message in person_messages() + car_messages():
            pub.publish("frigate/events", orjson.dumps(message), qos=0).wait_for_publish(
                10
            )  # as Frigate does
        for message in review_messages():
            pub.publish("frigate/reviews", orjson.dumps(message), qos=0).wait_for_publish(10)
        db = srv.data / "fairwatch.db"

        def stored() -> list[Any]:
            with sqlite3.connect(db) as conn:
                return list(conn.execute("SELECT source, type, zone, value, data FROM events ORDER BY seq"))

        wait_for(lambda: len(stored()) == 9, "9 Frigate events")
        found = stored()
        assert [(s, t, z) for s, t, z, _v, _d in found] == [
            ("gate_cam", "camera.object.person", None),
            ("gate_cam", "camera.object.person", "backstage"),
            ("gate_cam", "camera.object.person.end", "backstage"),
            ("gate_cam", "camera.object.person.end", None),
            ("yard_cam", "camera.object.car", "loading_bay"),
            ("yard_cam", "camera.object.car.end", "loading_bay"),
            ("gate_cam", "camera.review.detection", None),
            ("gate_cam", "camera.review.alert", None),
            ("gate_cam", "camera.review.alert.end", None),
        ]
        keys = {k for *_rest, data in found for k in orjson.loads(data)}
        assert keys == {
            "frigate_id",
            "kind",
            "label",
            "zones",
            "stationary",
            "review_id",
            "severity",
            "objects",
            "audio",
        }
        with srv.client(Role.VIEWER) as viewer:
            [alarm] = viewer.get("/api/v1/alarms").json()["alarms"]
            metrics = viewer.get("/metrics").text
        assert (alarm["type"], alarm["zone"], alarm["active"]) == (
            "intrusion.restricted_area",
            "backstage",
            False,
        )
        assert (
            'fairwatch_adapter_identity_fields_dropped_total{adapter="frigate",field="sub_label"} 9.0'
            in metrics
        )
        srv.stop()  # checkpoint the WAL so every byte written is in the files below
        for path in srv.data.glob("fairwatch.db*"):
            content = path.read_bytes()
            assert FACE_NAME.encode() not in content and PLATE.encode() not in content, path.name


def test_an_invalid_frigate_message_is_dead_lettered_without_identity(tmp_path: Path) -> None:
    with (
        Mosquitto(tmp_path / "broker") as broker,
        Server(tmp_path / "data", None, FakeClock(NOW), mqtt_url=broker.url, frigate_prefix="frigate") as srv,
    ):
        wait_for(
            lambda: srv.app is not None and srv.app.mqtt is not None and srv.app.mqtt.connected,
            "the MQTT subscription",
        )
        dead = Collector(broker.port, "fairwatch/deadletter/#")
        bad = {
            "type": "new",
            "after": {"camera": "c", "label": "person", "start_time": 1, "sub_label": [FACE_NAME, 1]},
        }
        Publisher(broker.port).publish("frigate/events", orjson.dumps(bad)).wait_for_publish(10)
        [(topic, body)] = wait_for(dead.received, "a dead letter")
        assert topic == "fairwatch/deadletter/frigate/events"
        payload = orjson.dumps(bad)
        assert orjson.loads(body) == {
            "topic": "frigate/events",
            "reason": "invalid-events",
            "error": "invalid Frigate message",
            "problems": [{"index": None, "field": "after.id", "message": "must be a non-empty string"}],
            "payload_sha256": hashlib.sha256(payload).hexdigest(),
            "payload_bytes": len(payload),
        }
        assert FACE_NAME.encode() not in body
