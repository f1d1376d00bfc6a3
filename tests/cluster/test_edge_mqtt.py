"""MQTT ingest on an edge: a real Mosquitto; events read from the broker are validated as in one process and
published to FW_EVENTS with their Msg-Id, the same path as HTTP ingest."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from nats.aio.msg import Msg

from fairwatch.cluster import names, status, streams, wire
from fairwatch.cluster.localnats import LocalNats
from fairwatch.ingest.mqtt import MqttIngest
from fairwatch.settings import Settings
from tests.cluster.edge_support import edge_settings, serving
from tests.cluster.worker_helpers import fetch
from tests.ingest.broker import Mosquitto
from tests.ingest.broker import Publisher as MqttPublisher


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    with Mosquitto(tmp_path / "broker") as b:
        yield b


async def _messages(nats: LocalNats, subject: str, want: int, wait: float = 20) -> list[Msg]:
    nc = await streams.connect(nats.urls, "test-mqtt")
    try:
        sub = await nc.jetstream().pull_subscribe(subject, durable=None)
        got: list[Msg] = []
        deadline = time.monotonic() + wait
        while len(got) < want and time.monotonic() < deadline:
            try:
                got += await fetch(sub, want - len(got), timeout=1)
            except TimeoutError:
                continue
        return got
    finally:
        await nc.close()


async def test_mqtt_events_are_published_like_http_ones(
    nats_cluster: LocalNats, pg_url: str, tmp_path: Path, broker: Mosquitto
) -> None:
    await status.init(
        Settings(database_url=pg_url, nats=",".join(nats_cluster.urls), key_file=tmp_path / "deploy.key")
    )
    settings = edge_settings(nats_cluster, pg_url, tmp_path, mqtt_url=broker.url)
    async with serving(settings) as (edge, _url):
        ingest = edge.app.mqtt
        assert isinstance(ingest, MqttIngest)
        for _ in range(200):
            if ingest.connected:
                break
            await asyncio.sleep(0.05)
        assert ingest.connected
        pub = MqttPublisher(broker.port)
        try:
            good = {"id": "m1", "type": "crowd.count", "value": 4, "site": "mqttsite"}
            bad = {"id": "m2", "type": "crowd.count", "value": "four", "site": "mqttsite"}
            await asyncio.to_thread(
                lambda: pub.publish("fairwatch/events/gate-3", orjson.dumps(bad)).wait_for_publish(10)
            )
            await asyncio.to_thread(
                lambda: pub.publish("fairwatch/events/gate-3", orjson.dumps(good)).wait_for_publish(10)
            )
        finally:
            pub.close()
        got = await _messages(nats_cluster, f"{names.EVENTS_PREFIX}.mqttsite", 1)
    assert [m.headers.get(names.MSG_ID) if m.headers else None for m in got] == ["gate-3:m1"]
    event = wire.decode_event(got[0].data)
    assert (event.id, event.source, event.value, event.site) == ("m1", "gate-3", 4.0, "mqttsite")
    assert (
        len(await _messages(nats_cluster, f"{names.EVENTS_PREFIX}.mqttsite", 2, wait=2)) == 1
    )  # the invalid one is not
