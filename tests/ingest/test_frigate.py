"""The Frigate NVR adapter: recorded `frigate/events` and `frigate/reviews` messages become the right events, a
zone rule raises and clears on them, recognised face names and plate text never reach the store (RS-4), only
safety objects become events (RS-12) and only the site's zones are used."""

from __future__ import annotations

import copy
import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from fairwatch.clock import FakeClock
from fairwatch.errors import InvalidInput
from fairwatch.ingest.adapters.frigate import Mapped, from_event, from_review, judge, redact
from fairwatch.ingest.adapters.labels import SAFETY_LABELS, DropReason
from fairwatch.model import Role
from tests.harness import Server
from tests.ingest.broker import Collector, Mosquitto, Publisher, frigate_server, wait_for
from tests.ingest.frigate_samples import FACE_NAME, PLATE, car_messages, person_messages, review_messages

NOW = 1_783_000_000.0
FID = "1782999900.000000-k3x9qa"
ZONES = frozenset({"backstage", "loading_bay"})  # the site's zones
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
    mapped = from_event(person_messages()[index], ZONES)
    assert (mapped.events, mapped.dropped_identity) == (events, dropped)


def test_a_plate_is_dropped_and_the_car_ends_in_its_zone() -> None:
    new, end = (from_event(m, ZONES) for m in car_messages())
    assert [(e["type"], e.get("zone"), e["data"]["kind"]) for e in new.events + end.events] == [
        ("camera.object.car", "loading_bay", "new"),
        ("camera.object.car.end", "loading_bay", "end"),
    ]
    assert new.dropped_identity == {"sub_label", "recognized_license_plate", "attributes"}
    assert PLATE.encode() not in orjson.dumps(new.events + end.events)


def test_false_positives_give_no_event() -> None:
    message = person_messages()[0]
    message["after"]["false_positive"] = True
    assert from_event(message, ZONES).events == []


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
    mapped = from_review(review_messages()[index], ZONES)
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
        from_event(message, ZONES)
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


SITE = """
site: {id: venue, name: Venue, timezone: UTC, plan: {width: 100, height: 100}}
zones:
  - {id: backstage, name: Backstage, polygon: [[0, 0], [50, 0], [50, 50], [0, 50]], capacity: 100}
  - {id: loading_bay, name: Loading bay, polygon: [[50, 50], [99, 50], [99, 99], [50, 99]], capacity: 10}
"""


def test_frigate_over_mqtt_raises_and_clears_and_stores_no_identity(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(SITE)
    with frigate_server(tmp_path, RULES, NOW, site) as (srv, pub):
        assert srv.app is not None
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


def labelled(label: str, zones: list[str]) -> dict[str, Any]:
    """A tracked object of `label` entering `zones`."""
    message = copy.deepcopy(person_messages()[1])
    for side in (message["before"], message["after"]):
        side["label"] = label
    message["after"]["current_zones"] = zones
    return message


@pytest.mark.parametrize(
    ("label", "event_type"),
    [
        ("person", "camera.object.person"),
        ("car", "camera.object.car"),
        ("Truck", "camera.object.truck"),
        ("bus", "camera.object.bus"),
        ("motorcycle", "camera.object.motorcycle"),
        ("bicycle", "camera.object.bicycle"),
        ("fire", "camera.object.fire"),
        ("smoke", "camera.object.smoke"),
        ("backpack", "camera.object.bag"),
        ("suitcase", "camera.object.bag"),
        ("knife", "camera.object.knife"),
        ("gun", "camera.object.weapon"),
    ],
    ids=lambda v: str(v),
)
def test_safety_objects_become_events(label: str, event_type: str) -> None:
    mapped = from_event(labelled(label, ["backstage"]), ZONES)
    assert [(e["type"], e["zone"], e["data"]["label"]) for e in mapped.events] == [
        (event_type, "backstage", event_type.rsplit(".", 1)[1])
    ]
    assert not mapped.dropped


@pytest.mark.parametrize(
    "label",
    [
        "face",  # body
        "hand",
        "head",
        "hijab",  # clothing and religious dress
        "kippah",
        "turban",
        "hat",
        "tie",
        "umbrella",
        "flag",  # symbols and expression
        "banner",
        "placard",
        "sign",
        "cross",
        "raised_fist",  # gestures
        "speech",  # speech
        "license_plate",  # identity
        "amazon",  # logos
        "license plate",
        "made_up_label",  # anything nobody thought of
    ],
)
def test_every_other_label_is_dropped_and_counted(label: str) -> None:
    assert label.lower() not in SAFETY_LABELS
    mapped = from_event(labelled(label, ["backstage"]), ZONES)
    assert (mapped.events, dict(mapped.dropped)) == ([], {DropReason.LABEL: 1})


def test_unknown_zones_are_dropped_and_counted_never_invented() -> None:
    new = copy.deepcopy(person_messages()[0])
    new["after"]["current_zones"] = ["backstage", "prayer_room", "vip_tent"]
    mapped = from_event(new, ZONES)
    assert [(e.get("zone"), e["data"]["zones"]) for e in mapped.events] == [("backstage", ["backstage"])]
    assert dict(mapped.dropped) == {DropReason.ZONE: 2}
    only_unknown = from_event(labelled("person", ["prayer_room"]), ZONES)  # entering it is no news
    assert (only_unknown.events, dict(only_unknown.dropped)) == ([], {DropReason.ZONE: 1})
    without_site = from_event(new, frozenset())
    assert [(e.get("zone"), e["data"]["zones"]) for e in without_site.events] == [(None, [])]


def test_reviews_keep_safety_objects_and_sounds_only() -> None:
    message = review_messages()[0]
    message["after"]["data"].update(
        objects=["person", "flag", "face", "backpack"],
        audio=["speech", "scream", "chant", "fire_alarm"],
        zones=["backstage", "prayer_room"],
    )
    mapped = from_review(message, ZONES)
    [event] = mapped.events
    assert (event["data"]["objects"], event["data"]["audio"], event["data"]["zones"]) == (
        ["person", "bag"],
        ["scream", "fire_alarm"],
        ["backstage"],
    )
    assert dict(mapped.dropped) == {DropReason.LABEL: 4, DropReason.ZONE: 1}
    message["after"]["data"].update(objects=["flag", "banner"], audio=["speech"])
    symbols_only = from_review(message, ZONES)
    assert (symbols_only.events, dict(symbols_only.dropped)) == ([], {DropReason.LABEL: 3})


def test_each_event_is_judged_alone_by_the_guard() -> None:
    good = from_event(labelled("person", ["backstage"]), ZONES).events[0]
    bad = {**good, "type": "camera.object.face_match"}
    mapped = judge(Mapped(events=[bad, good]))
    assert (mapped.events, dict(mapped.dropped)) == ([good], {DropReason.REFUSED: 1})
