"""One bad MQTT message cannot stop MQTT ingest: poison messages are dead-lettered (reason, topic, SHA-256 of the
payload, never the payload) and acknowledged, the good event after them is stored, and after a server restart
nothing comes back. A real Mosquitto, a real server and store."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from fairwatch.events import MAX_BODY
from fairwatch.model import Role
from tests.ingest.broker import Collector, Mosquitto, Publisher, wait_for
from tests.ingest.test_mqtt import connected, count, event, rows, serve

TOPIC = "fairwatch/events/gate-3"
DEEP = 300  # orjson parses up to 1024 levels but writes only 254: deep enough to break whatever re-encodes it
POISON: list[tuple[str, bytes]] = [
    # (reason, payload)
    (
        "undecodable",
        b'{"id": "p1", "type": "crowd.count", "data": ' + b'{"a": ' * DEEP + b"1" + b"}" * DEEP + b"}",
    ),
    ("invalid-json", b'{"id": "p2", "type": "crowd.count", "data": {"note": "caf\xe9 \xff"}}'),
    ("too-large", b'{"id": "p3", "type": "crowd.count", "data": {"pad": "' + b"x" * MAX_BODY + b'"}}'),
    ("refused", b'{"id": "p4", "type": "crowd.count", "data": {"religion": "Jane Roe, catholic"}}'),
]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    with Mosquitto(tmp_path / "broker") as b:
        yield b


def metric(text: str, outcome: str) -> float:
    prefix = f'fairwatch_mqtt_messages_total{{outcome="{outcome}"}} '
    found = [line[len(prefix) :] for line in text.splitlines() if line.startswith(prefix)]
    return float(found[0]) if found else 0.0


def test_poison_messages_are_dead_lettered_once_and_ingest_goes_on(tmp_path: Path, broker: Mosquitto) -> None:
    srv = serve(tmp_path, broker)
    with srv:
        connected(srv)
        dead = Collector(broker.port, "fairwatch/deadletter/#")
        pub = Publisher(broker.port)
        for _reason, payload in POISON:
            pub.publish(TOPIC, payload).wait_for_publish(20)
        pub.publish(TOPIC, event(1)).wait_for_publish(10)
        wait_for(lambda: count(srv.data) == 1, "the good event after the poison")
        wait_for(lambda: len(dead.received()) >= len(POISON), "the dead letters")
        letters = dead.received()
        assert rows(srv.data) == [("e1", "gate-3", "crowd.count", 1.0)]
        bodies: list[dict[str, Any]] = []
        for (topic, body), (reason, payload) in zip(letters, POISON, strict=True):
            assert topic == "fairwatch/deadletter/" + TOPIC
            assert len(body) < 1000  # the huge one is not echoed
            assert b"Jane Roe" not in body and b"xxxx" not in body
            doc = orjson.loads(body)
            assert doc["topic"] == TOPIC
            # a validator that learns to name deep nesting as a problem makes it invalid-events: dead either way
            assert doc["reason"] in ({reason, "invalid-events"} if reason == "undecodable" else {reason})
            assert (doc["payload_sha256"], doc["payload_bytes"]) == (
                hashlib.sha256(payload).hexdigest(),
                len(payload),
            )
            assert "payload" not in doc
            bodies.append(doc)
        assert bodies[3]["problems"][0]["field"] == "data.religion"
        with srv.client(Role.VIEWER) as viewer:
            text = viewer.get("/metrics").text
        assert (metric(text, "deadlettered"), metric(text, "stored")) == (4.0, 1.0)

    # a restart resumes the same session: had anything been left unacknowledged, it would come again now
    srv.start()
    try:
        connected(srv)
        pub.publish(TOPIC, event(2)).wait_for_publish(10)
        wait_for(lambda: count(srv.data) == 2, "the good event after the restart")
        with httpx.Client(base_url=srv.url) as anon:
            assert anon.get("/readyz").status_code == 200
        with srv.client(Role.VIEWER) as viewer:
            text = viewer.get("/metrics").text
        assert (metric(text, "deadlettered"), metric(text, "stored")) == (0.0, 1.0)
        assert len(dead.received()) == len(POISON)
    finally:
        srv.stop()
        dead.close()
        pub.close()
