"""MQTT out through a real Mosquitto broker: topics per site and zone, QoS 1, retained state per alarm that is
cleared when the alarm is resolved, and retries when the broker is gone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiomqtt
import orjson
import pytest

from fairwatch.alarms import Action
from fairwatch.notify.mqtt_out import segment, topics
from tests.notify.conftest import Rig
from tests.services import free_port

RigFactory = Callable[..., Awaitable[Rig]]

NOTIFY = """
receivers:
  - name: board
    mqtt: {{url: "mqtt://127.0.0.1:{port}", retain: {retain}, timeout: 5s}}
routes:
  - {{type: fire.*, receivers: [board]}}
"""


async def collect(client: aiomqtt.Client, count: int) -> list[aiomqtt.Message]:
    """The next `count` messages (bounded wait: the broker delivers asynchronously)."""
    got: list[aiomqtt.Message] = []
    async with asyncio.timeout(10):
        async for message in client.messages:
            got.append(message)
            if len(got) == count:
                return got
    return got


async def retained(port: int, topic: str) -> list[tuple[str, bytes]]:
    """Retained messages for `topic`, read by a new subscriber; a retained marker ends the list."""
    marker = "fairwatch-test/marker"
    async with aiomqtt.Client("127.0.0.1", port) as client:
        await client.publish(marker, b"end", qos=1, retain=True)
        # One SUBSCRIBE with both filters: the broker sends the retained messages in filter order.
        await client.subscribe([(topic, 1), (marker, 1)])
        found: list[tuple[str, bytes]] = []
        async with asyncio.timeout(10):
            async for message in client.messages:
                if str(message.topic) == marker:
                    return found
                found.append((str(message.topic), bytes(message.payload)))
    return found


async def test_changes_are_published_per_zone_with_retained_state(
    rig_factory: RigFactory, mosquitto: int
) -> None:
    rig = await rig_factory(NOTIFY.format(port=mosquitto, retain="true"))
    async with aiomqtt.Client("127.0.0.1", mosquitto) as watcher:
        await watcher.subscribe("fairwatch/alarms/#", qos=1)
        await rig.hot("food-court")
        assert await rig.dispatcher.dispatch_due() == 1
        change, state = await collect(watcher, 2)
        assert [str(change.topic), str(state.topic)] == [
            "fairwatch/alarms/riverside/food-court",
            "fairwatch/alarms/riverside/food-court/1",
        ]
        assert change.qos == 1
        body = orjson.loads(bytes(change.payload))
        assert (body["change"], body["alarm"]["id"], body["alarm"]["state"]) == ("raised", 1, "open")
        assert orjson.loads(bytes(state.payload)) == body["alarm"]
        assert await retained(mosquitto, "fairwatch/alarms/riverside/food-court/+") == [
            ("fairwatch/alarms/riverside/food-court/1", bytes(state.payload))
        ]

        await rig.act(1, Action.RESOLVE, disposition="handled")
        assert await rig.dispatcher.dispatch_due() == 1
        change, state = await collect(watcher, 2)
        assert orjson.loads(bytes(change.payload))["change"] == "resolved"
        assert (str(state.topic), bytes(state.payload)) == ("fairwatch/alarms/riverside/food-court/1", b"")
    assert await retained(mosquitto, "fairwatch/alarms/riverside/food-court/+") == []  # cleared
    assert [(j.kind, j.status) for j in rig.jobs()] == [("raised", "delivered"), ("resolved", "delivered")]
    assert rig.count("mqtt", "delivered") == 2.0


async def test_without_retain_only_the_change_is_published_and_missing_site_is_a_dash(
    rig_factory: RigFactory, mosquitto: int
) -> None:
    rig = await rig_factory(NOTIFY.format(port=mosquitto, retain="false"))
    async with aiomqtt.Client("127.0.0.1", mosquitto) as watcher:
        await watcher.subscribe("fairwatch/#", qos=1)
        await rig.hot("gate/3", site=None)
        await rig.dispatcher.dispatch_due()
        [message] = await collect(watcher, 1)
    assert str(message.topic) == "fairwatch/alarms/-/gate_3"
    assert await retained(mosquitto, "fairwatch/alarms/#") == []


async def test_an_unreachable_broker_is_retried(rig_factory: RigFactory) -> None:
    rig = await rig_factory(NOTIFY.format(port=free_port(), retain="true"))
    await rig.hot()
    await rig.dispatcher.dispatch_due()
    [job] = rig.jobs()
    assert (job.status, job.attempts) == ("pending", 1)
    assert job.last_error is not None and job.last_error.startswith("MQTT publish failed: ")


# (case id, site or zone id, topic level)
SEGMENTS = [
    ("absent", None, "-"),
    ("empty", "", "-"),
    ("plain", "main-stage", "main-stage"),
    ("slash", "gate/3", "gate_3"),
    ("wildcards", "a+b#c", "a_b_c"),
]


@pytest.mark.parametrize(("value", "level"), [c[1:] for c in SEGMENTS], ids=[c[0] for c in SEGMENTS])
def test_topic_levels_never_split_or_match_wildcards(value: str | None, level: str) -> None:
    assert segment(value) == level


def test_topics_for_a_change() -> None:
    payload: dict[str, object] = {"alarm": {"id": 9, "site": "riverside", "zone": None}}
    assert topics("ops/alarms", payload) == ("ops/alarms/riverside/-", "ops/alarms/riverside/-/9")
