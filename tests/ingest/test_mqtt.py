"""MQTT ingest end to end: a real Mosquitto, real MQTT clients (paho and mosquitto_pub), a real server and store.

Acknowledged means durable: the PUBACK goes out only after the commit, so killing the broker or the server
mid-stream neither loses nor duplicates an event."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from fairwatch.clock import FakeClock
from fairwatch.ingest.mqtt import MqttIngest
from fairwatch.model import Role
from tests.harness import Server
from tests.ingest.broker import Collector, Mosquitto, Publisher, wait_for
from tests.services import free_port

NOW = 1_783_000_000.0


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    with Mosquitto(tmp_path / "broker") as b:
        yield b


def serve(tmp_path: Path, broker: Mosquitto, **settings: Any) -> Server:
    return Server(tmp_path / "data", None, FakeClock(NOW), mqtt_url=broker.url, **settings)


def ingest_of(srv: Server) -> MqttIngest:
    assert srv.app is not None
    ingest = srv.app.mqtt
    assert isinstance(ingest, MqttIngest)
    return ingest


def connected(srv: Server) -> None:
    wait_for(lambda: ingest_of(srv).connected, "the MQTT subscription")


def rows(data: Path, sql: str = "SELECT eid, source, type, value FROM events ORDER BY eid") -> list[Any]:
    db = data / "fairwatch.db"
    if not db.exists():
        return []
    with sqlite3.connect(db, timeout=10) as conn:
        return list(conn.execute(sql))


def count(data: Path) -> int:
    found = rows(data, "SELECT COUNT(*) FROM events")
    return int(found[0][0]) if found else 0


def event(i: int) -> bytes:
    return orjson.dumps({"id": f"e{i}", "type": "crowd.count", "value": i})


def test_events_from_paho_and_mosquitto_pub_are_stored(tmp_path: Path, broker: Mosquitto) -> None:
    if shutil.which("mosquitto_pub") is None:
        pytest.skip("mosquitto_pub is not installed (apt-get install mosquitto-clients)")
    with serve(tmp_path, broker) as srv:
        connected(srv)
        pub = Publisher(broker.port)
        single = {"id": "a1", "type": "crowd.count", "value": 5}  # source from the topic
        batch = [{"id": "a2", "source": "cam-9", "type": "crowd.count"}, {"id": "a3", "type": "heartbeat"}]
        pub.publish("fairwatch/events/gate-3", orjson.dumps(single)).wait_for_publish(10)
        pub.publish("fairwatch/events/gate-3", orjson.dumps(batch)).wait_for_publish(10)
        pub.close()
        payload = '{"id": "a4", "type": "crowd.count", "value": 7.5}'
        cmd = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1"]
        subprocess.run([*cmd, "-t", "fairwatch/events/north/gate-1", "-m", payload], check=True, timeout=10)
        wait_for(lambda: count(srv.data) == 4, "4 stored events")
        assert rows(srv.data) == [
            ("a1", "gate-3", "crowd.count", 5.0),
            ("a2", "cam-9", "crowd.count", None),
            ("a3", "gate-3", "heartbeat", None),
            ("a4", "north/gate-1", "crowd.count", 7.5),
        ]
        with srv.client(Role.VIEWER) as viewer:
            assert viewer.get("/readyz").json() == {"status": "ready"}


def test_a_timed_event_without_id_is_stored_once_when_sent_twice(tmp_path: Path, broker: Mosquitto) -> None:
    with serve(tmp_path, broker) as srv:
        connected(srv)
        pub = Publisher(broker.port)
        timed = b'{"type": "crowd.count", "value": 3, "time": "2026-07-01T10:00:00Z"}'
        untimed = b'{"type": "heartbeat"}'
        for payload in (timed, timed, untimed, untimed):
            pub.publish("fairwatch/events/gate-3", payload).wait_for_publish(10)
        pub.publish("fairwatch/events/gate-3", event(1)).wait_for_publish(10)
        wait_for(lambda: rows(srv.data, "SELECT 1 FROM events WHERE eid = 'e1'"), "the last event")
        types = rows(srv.data, "SELECT type, eid LIKE 'mqtt:%' FROM events WHERE eid != 'e1' ORDER BY type")
        assert types == [("crowd.count", 1), ("heartbeat", 0), ("heartbeat", 0)]


BAD_JSON = "invalid JSON at line 1, column 10: unexpected end of data"
PERSON = "refused: person-data ban (RS-4): religion_or_belief: key 'religion' carries a person attribute"
TYPE_MSG = "must be lowercase dotted like 'crowd.density' (pattern ^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*$)"


@pytest.mark.parametrize(
    ("topic", "payload", "error", "problems", "rejected"),
    [
        ("fairwatch/events/g1", '{"type": ', "invalid JSON", [(None, "body", None, BAD_JSON)], 1),
        (
            "fairwatch/events/g1",
            "[]",
            "invalid events",
            [(None, "body", [], "empty batch: send at least one event")],
            1,
        ),
        (
            "fairwatch/events/g1",
            '{"value": 1}',
            "invalid events",
            [(0, "type", None, "required field is missing")],
            1,
        ),
        (
            "fairwatch/events",
            '{"type": "x"}',
            "invalid events",
            [(0, "source", None, "required field is missing")],
            1,
        ),
        # the whole message is refused, as a whole HTTP batch is: both events count as rejected
        (
            "fairwatch/events/g1",
            '[{"type": "heartbeat"}, {"type": "Bad"}]',
            "invalid events",
            [(1, "type", "Bad", TYPE_MSG)],
            2,
        ),
        (
            "fairwatch/events/g1",
            '{"type": "crowd.count", "data": {"religion": "x"}}',
            "invalid events",
            [(0, "data.religion", "religion", PERSON)],
            1,
        ),
        # closed event schemas (RS-10): an undeclared key is refused on MQTT as on HTTP
        (
            "fairwatch/events/g1",
            '{"type": "crowd.count", "value": 1, "data": {"hw": 3}}',
            "invalid events",
            [
                (
                    0,
                    "data.hw",
                    3,
                    "'hw' is not a declared field of event type 'crowd.count' (declared: capacity)",
                )
            ],
            1,
        ),
    ],
    ids=[
        "bad-json",
        "empty-batch",
        "no-type",
        "no-source-in-topic",
        "one-bad-in-batch",
        "person-data",
        "undeclared-key",
    ],
)
def test_invalid_payload_is_dead_lettered_and_ingest_goes_on(
    tmp_path: Path,
    broker: Mosquitto,
    topic: str,
    payload: str,
    error: str,
    problems: list[tuple[Any, ...]],
    rejected: int,
) -> None:
    with serve(tmp_path, broker) as srv:
        connected(srv)
        dead = Collector(broker.port, "fairwatch/deadletter/#")
        pub = Publisher(broker.port)
        pub.publish(topic, payload).wait_for_publish(10)
        pub.publish("fairwatch/events/g1", event(1)).wait_for_publish(10)
        [(dl_topic, body)] = wait_for(dead.received, "a dead letter")
        assert dl_topic == "fairwatch/deadletter/" + topic
        expected = [{"index": i, "field": f, "message": m} for i, f, _v, m in problems]
        reason = "invalid-json" if error == "invalid JSON" else "invalid-events"
        assert orjson.loads(body) == {
            "topic": topic,
            "reason": "refused" if "person-data" in str(problems) else reason,
            "error": error,
            "problems": expected,
            "payload_sha256": hashlib.sha256(payload.encode()).hexdigest(),
            "payload_bytes": len(payload.encode()),
        }
        wait_for(lambda: rows(srv.data) == [("e1", "g1", "crowd.count", 1.0)], "the valid event after it")
        with srv.client(Role.VIEWER) as viewer:
            text = viewer.get("/metrics").text
        assert 'fairwatch_mqtt_messages_total{outcome="deadlettered"} 1.0' in text
        assert f'fairwatch_events_rejected_by_transport_total{{transport="mqtt"}} {float(rejected)}' in text
        dead.close()
        pub.close()


def _readyz_naming(client: httpx.Client, word: str) -> httpx.Response | None:
    response = client.get("/readyz")
    return response if word in response.text else None


def test_broker_down_at_start_is_a_readiness_problem_not_a_crash(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path / "broker")  # configured, not started yet
    with serve(tmp_path, broker) as srv, httpx.Client(base_url=srv.url) as anon:
        ready = wait_for(lambda: _readyz_naming(anon, "refused"), "the reason")
        assert ready is not None and ready.status_code == 503
        [problem] = ready.json()["problems"]
        assert problem.startswith("mqtt disconnected: ") and "Connection refused" in problem
        with srv.client(Role.DEVICE) as dev:  # HTTP ingest is unaffected
            assert dev.post("/api/v1/events", json={"source": "a", "type": "heartbeat"}).status_code == 202
        with broker:
            connected(srv)
            assert anon.get("/readyz").status_code == 200
            Publisher(broker.port).publish("fairwatch/events/g1", event(1)).wait_for_publish(10)
            wait_for(lambda: count(srv.data) == 2, "the MQTT event")


def test_broker_killed_mid_stream_loses_and_duplicates_nothing(tmp_path: Path, broker: Mosquitto) -> None:
    first, second = 5000, 1000
    with serve(tmp_path, broker, mqtt_max_inflight=10) as srv:
        connected(srv)  # creates the persistent session with its subscription
    pub = Publisher(broker.port)
    infos = [pub.publish("fairwatch/events/s", event(i)) for i in range(first)]
    for info in infos:
        info.wait_for_publish(10)  # acknowledged by the broker, queued for the offline server
    with serve(tmp_path, broker, mqtt_max_inflight=10) as srv:
        stored_at_kill = wait_for(lambda: count(srv.data) >= 500 and count(srv.data), "the backlog to flow")
        broker.save()
        broker.kill()
        wait_for(lambda: not ingest_of(srv).connected, "the lost connection")
        assert stored_at_kill < first  # the stream really was cut in the middle
        broker.start()
        wait_for(pub.client.is_connected, "the publisher to reconnect")
        infos = [pub.publish("fairwatch/events/s", event(i)) for i in range(first, first + second)]
        for info in infos:
            info.wait_for_publish(20)
        wait_for(lambda: count(srv.data) >= first + second, "every event", timeout=60)
        assert count(srv.data) == first + second
        dupes = rows(
            srv.data, "SELECT eid, source, COUNT(*) FROM events GROUP BY eid, source HAVING COUNT(*) > 1"
        )
        assert dupes == []
        ids = {r[0] for r in rows(srv.data, "SELECT eid FROM events")}
        assert ids == {f"e{i}" for i in range(first + second)}
    pub.close()


def fairwatch_serve(data: Path, broker: Mosquitto, port: int, workers: str = "1") -> subprocess.Popen[bytes]:
    env = {**os.environ, "FAIRWATCH_MQTT_MAX_INFLIGHT": "10", "FAIRWATCH_TICK_SECONDS": "3600"}
    cmd = [
        sys.executable,
        "-m",
        "fairwatch",
        "serve",
        "--data",
        str(data),
        "--port",
        str(port),
        "--mqtt",
        broker.url,
        # MQTT is consumed by the writer process whatever the workers. The kill test runs one process: it answers
        # /readyz as soon as it consumes, so its kill lands mid-backlog (with workers, readiness waits for them).
        "--workers",
        workers,
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def ready() -> bool:
        if proc.poll() is not None:
            raise AssertionError("fairwatch serve exited")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(ready, "fairwatch serve --mqtt to be ready (connected)", timeout=30)
    return proc


def test_mqtt_ingest_goes_on_with_http_workers(tmp_path: Path, broker: Mosquitto) -> None:
    """`serve --workers 2`: the writer process consumes MQTT; HTTP ingest through the workers goes on beside it."""
    total, data, port = 300, tmp_path / "data", free_port()
    token = subprocess.run(
        [
            sys.executable,
            "-m",
            "fairwatch",
            "token",
            "create",
            "--role",
            "device",
            "--name",
            "d",
            "--data",
            str(data),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    proc = fairwatch_serve(data, broker, port, workers="2")
    pub = Publisher(broker.port)
    try:
        for info in [pub.publish("fairwatch/events/s", event(i)) for i in range(total)]:
            info.wait_for_publish(10)
        posted = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/events",
            json={"id": "http-1", "source": "s", "type": "crowd.count", "value": 1},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert posted.status_code == 202, posted.text
        wait_for(lambda: count(data) >= total + 1, "every event", timeout=60)
        ids = {r[0] for r in rows(data, "SELECT eid FROM events")}
        assert ids == {f"e{i}" for i in range(total)} | {"http-1"}
    finally:
        proc.terminate()
        proc.wait(30)
        pub.close()


def test_server_killed_mid_stream_loses_and_duplicates_nothing(tmp_path: Path, broker: Mosquitto) -> None:
    total, data, port = 5000, tmp_path / "data", free_port()
    os.kill(fairwatch_serve(data, broker, port).pid, signal.SIGKILL)  # leaves its session with the broker
    pub = Publisher(broker.port)
    for info in [pub.publish("fairwatch/events/s", event(i)) for i in range(total)]:
        info.wait_for_publish(10)
    proc = fairwatch_serve(data, broker, port)
    wait_for(lambda: count(data) >= 500, "the backlog to flow")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    assert count(data) < total  # the stream really was cut in the middle
    proc = fairwatch_serve(data, broker, port)
    try:
        wait_for(lambda: count(data) >= total, "every event", timeout=60)
        dupes = rows(
            data, "SELECT eid, source, COUNT(*) FROM events GROUP BY eid, source HAVING COUNT(*) > 1"
        )
        assert (count(data), dupes) == (total, [])
    finally:
        proc.terminate()
        proc.wait(10)
        pub.close()
