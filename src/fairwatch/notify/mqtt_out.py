"""MQTT out: publish each alarm change at QoS 1 to `<prefix>/<site>/<zone>` ("-" when absent) and, with
`retain`, the alarm's current state to `<prefix>/<site>/<zone>/<alarm id>` (cleared by an empty retained
message when the alarm is resolved), so a dashboard that subscribes late still sees every open alarm."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import uuid

import aiomqtt
import orjson

from fairwatch.notify.model import MqttConfig, Receiver
from fairwatch.notify.notifier import Permanent, Retryable
from fairwatch.notify.templates import RenderError, render
from fairwatch.store.base import Notification

log = logging.getLogger(__name__)
MAX_INFLIGHT = 1000  # bounded in-flight QoS 1 messages (a publisher with more than 65,535 loses messages)


def segment(value: str | None) -> str:
    """A topic level for a site or zone id: "-" when absent; MQTT separators and wildcards become "_"."""
    if not value:
        return "-"
    return "".join("_" if ch in "/+#\0" else ch for ch in value)


def topics(prefix: str, payload: dict[str, object]) -> tuple[str, str]:
    """(change topic, retained state topic) for a change payload."""
    alarm = payload["alarm"]
    assert isinstance(alarm, dict)
    base = f"{prefix}/{segment(alarm.get('site'))}/{segment(alarm.get('zone'))}"
    return base, f"{base}/{alarm['id']}"


class MqttNotifier:
    """Publishes jobs of one MQTT receiver over one long-lived connection, reconnecting after failures."""

    channel = "mqtt"

    def __init__(self, receiver: Receiver) -> None:
        assert isinstance(receiver.config, MqttConfig)
        self.receiver = receiver
        self.config: MqttConfig = receiver.config
        self._client: aiomqtt.Client | None = None
        self._lock = asyncio.Lock()

    def payload(self, job: Notification) -> bytes:
        """The change message: the change JSON, or the receiver's payload template."""
        template = self.receiver.templates.mqtt_payload
        if template is None:
            return orjson.dumps(job.payload)
        try:
            return render(template, {**job.payload, "receiver": self.receiver.name}).encode()
        except RenderError as exc:
            raise Permanent(str(exc)) from exc

    async def send(self, job: Notification, now: float) -> None:
        """Publish the change (and the retained state); Retryable if the broker did not acknowledge."""
        body = self.payload(job)
        change_topic, state_topic = topics(self.config.topic_prefix, job.payload)
        alarm = job.payload["alarm"]
        resolved = alarm["state"] == "resolved"
        try:
            client = await self._connected()
            await client.publish(change_topic, body, qos=1, timeout=self.config.timeout)
            if self.config.retain:
                state = b"" if resolved else orjson.dumps(alarm)
                await client.publish(state_topic, state, qos=1, retain=True, timeout=self.config.timeout)
        except aiomqtt.MqttError as exc:
            await self._drop()
            raise Retryable(f"MQTT publish failed: {exc}") from exc

    async def _connected(self) -> aiomqtt.Client:
        async with self._lock:
            if self._client is None:
                c = self.config
                client = aiomqtt.Client(
                    c.host,
                    c.port,
                    username=c.username,
                    password=c.password,
                    identifier=f"fairwatch-notify-{self.receiver.name}-{uuid.uuid4().hex[:8]}",
                    timeout=c.timeout,
                    max_inflight_messages=MAX_INFLIGHT,
                    tls_context=ssl.create_default_context() if c.tls else None,
                )
                await client.__aenter__()
                self._client = client
            return self._client

    async def _drop(self) -> None:
        async with self._lock:
            client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):  # the connection is already broken; closing is best effort
                await client.__aexit__(None, None, None)

    async def close(self) -> None:
        """Disconnect from the broker."""
        await self._drop()
