"""MQTT ingest: subscribe at QoS 1 with a persistent session, validate each message like the HTTP API, and send the
PUBACK only after the pipeline committed its events, so a redelivery after a crash is deduplicated by event id.

A message that can never be stored (bad JSON, invalid or refused events, too large, a decoder failure, events the
writer refuses for good) is republished to `<deadletter prefix>/<original topic>` without its payload (see
`mqtt_deadletter`) and then acknowledged, so one bad message cannot block the session's queue. Only a writer
answering StoreUnavailable or Overloaded is retried, with backoff. The broker being down is a logged warning and a
readiness problem naming the reason, never a crash; the link reconnects by itself with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho

from fairwatch.clock import Clock
from fairwatch.errors import ConfigError, InvalidInput, Overloaded, StoreUnavailable
from fairwatch.events import MAX_BODY, decode_body, validate_events
from fairwatch.events.validate import EventsRefused
from fairwatch.ingest import mqtt_deadletter as dl
from fairwatch.ingest.mqtt_link import Broker, Link, LinkError
from fairwatch.metrics import Metrics
from fairwatch.model import Event
from fairwatch.schemas import Catalogue, builtin
from fairwatch.settings import Settings

log = logging.getLogger(__name__)

Decoder = Callable[[str, bytes], list[Any]]
Submit = Callable[[Sequence[Event]], Awaitable[tuple[int, int]]]
TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Route:
    """Messages on topics matching `filter` are decoded into raw events by `decode`; `transport` labels metrics.

    Events sent as Fairwatch JSON are checked against `schemas` and the site's `zones` (RS-10); adapters' routes
    (no schemas) build their events from their own declared fields."""

    filter: str
    transport: str
    decode: Decoder
    schemas: Catalogue | None = None
    zones: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class _Good:
    """The events of one message of a batch (its place in the batch, for dead-lettering it alone)."""

    index: int
    events: list[Event]


# -- configuration ---------------------------------------------------------------------------------------------
def parse_broker(settings: Settings) -> Broker:
    """The broker from `mqtt_url` and the TLS settings; a bad URL is a ConfigError that never shows the password."""
    url = settings.mqtt_url or ""
    parts = urlsplit(url)
    shown = url.replace(f":{parts.password}@", ":***@") if parts.password else url
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ConfigError([f"mqtt_url: scheme must be mqtt or mqtts (got {shown!r})"])
    try:
        port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
    except ValueError:
        raise ConfigError([f"mqtt_url: port must be a number from 1 to 65535 (got {shown!r})"]) from None
    if not parts.hostname:
        raise ConfigError([f"mqtt_url: a host is required, like mqtt://broker.local:1883 (got {shown!r})"])
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(
            [f"mqtt_url: must not have a path or query; topics go in mqtt_topics (got {shown!r})"]
        )
    if not 1 <= settings.mqtt_max_inflight <= 65535:
        raise ConfigError([f"mqtt_max_inflight: must be 1 to 65535 (got {settings.mqtt_max_inflight})"])
    return Broker(
        host=parts.hostname,
        port=port,
        client_id=settings.mqtt_client_id or default_client_id(settings.data),
        tls=parts.scheme == "mqtts",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        ca_file=settings.mqtt_ca_file,
        cert_file=settings.mqtt_cert_file,
        key_file=settings.mqtt_key_file,
        max_inflight=settings.mqtt_max_inflight,
    )


def default_client_id(data: Path) -> str:
    """Stable across restarts (so the broker keeps our session) and distinct per data directory."""
    return "fairwatch-" + hashlib.sha256(str(data.resolve()).encode()).hexdigest()[:12]


def topic_filters(text: str) -> list[str]:
    """The comma-separated filters of `mqtt_topics`; an invalid filter is a ConfigError naming it."""
    filters = [f.strip() for f in text.split(",") if f.strip()]
    for f in filters:
        levels = f.split("/")
        bad_hash = "#" in f and (levels[-1] != "#" or f.count("#") > 1)
        if bad_hash or any("+" in lvl and lvl != "+" for lvl in levels):
            raise ConfigError(
                [f"mqtt_topics: invalid topic filter {f!r} ('+' must be a whole level, '#' the last)"]
            )
    if not filters:
        raise ConfigError(["mqtt_topics: at least one topic filter is required"])
    return filters


# -- Fairwatch event payloads -----------------------------------------------------------------------------------
def source_from_topic(topic_filter: str, topic: str) -> str | None:
    """The part of `topic` matched by the filter's trailing `#` or `+`: `fairwatch/events/gate-3` -> `gate-3`."""
    levels = topic_filter.split("/")
    if levels[-1] not in ("#", "+"):
        return None
    rest = topic.split("/")[len(levels) - 1 :]
    return "/".join(rest) or None


def derived_id(topic: str, payload: bytes, index: int) -> str:
    """A redelivered copy of a message gets the same id, so the store keeps it once."""
    digest = hashlib.blake2b(topic.encode() + b"\0" + payload, digest_size=12).hexdigest()
    return f"mqtt:{digest}:{index}"


def events_route(
    topic_filter: str, schemas: Catalogue | None = None, zones: frozenset[str] | None = None
) -> Route:
    """A route for Fairwatch event JSON (one object or an array), `source` defaulting to the topic's tail; the
    events are checked against `schemas` (the built-in catalogue when None) and the site's `zones`."""

    def decode(topic: str, payload: bytes) -> list[Any]:
        raw = decode_body(payload)
        source = source_from_topic(topic_filter, topic)
        for index, item in enumerate(raw):
            if not isinstance(item, dict):
                continue
            if source is not None and "source" not in item:
                item["source"] = source
            # Without an id or a time two identical readings are two events, so only timed ones get a content id.
            if item.get("id") is None and item.get("time") is not None:
                item["id"] = derived_id(topic, payload, index)
        return raw

    return Route(topic_filter, "mqtt", decode, schemas or builtin(), zones)


def backoff_delay(attempt: int, base: float, cap: float, u: float) -> float:
    """Exponential backoff with equal jitter: half of min(cap, base*2^attempt) plus up to that half again (u in [0,1))."""
    ceiling = min(cap, base * float(2 ** min(attempt, 30)))
    return ceiling / 2 + u * ceiling / 2


# -- the subscriber -------------------------------------------------------------------------------------------
class MqttIngest:
    """Keeps a connection to the broker and turns messages into committed events."""

    def __init__(
        self,
        broker: Broker,
        routes: list[Route],
        submit: Submit,
        clock: Clock,
        metrics: Metrics,
        *,
        deadletter_prefix: str = "fairwatch/deadletter",
        batch_events: int = 5_000,
        backoff: tuple[float, float] = (0.5, 30.0),
        rng: random.Random | None = None,
    ) -> None:
        self.broker = broker
        self.routes = routes
        self.submit = submit
        self.clock = clock
        self.metrics = metrics
        self.deadletter_prefix = deadletter_prefix.rstrip("/")
        self.batch_events = batch_events
        self.backoff = backoff
        self.rng = rng or random.Random()
        self.connected = False
        self._task: asyncio.Task[None] | None = None
        self._routes_by_topic: dict[str, Route | None] = {}
        self._had_session = False
        self._failures = 0  # connection attempts since the last success
        self._problem = "not connected yet"  # why the link is down, for /readyz
        outcomes = metrics.mqtt_messages
        self._stored, self._empty, self._ignored = (
            outcomes.labels(o) for o in ("stored", "empty", "ignored")
        )

    async def start(self) -> None:
        """Start connecting in the background; returns at once."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="fairwatch-mqtt")

    async def stop(self) -> None:
        """Stop consuming; unacknowledged messages stay with the broker for the next start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def readiness(self) -> str | None:
        """While disconnected, the problem and its reason for /readyz (never the broker's credentials)."""
        return None if self.connected else f"mqtt disconnected: {self._problem}"

    def _set_connected(self, up: bool) -> None:
        self.connected = up
        self.metrics.mqtt_connected.set(1 if up else 0)

    async def _run(self) -> None:
        while True:
            link = Link(self.broker, inbox_limit=4 * self.broker.max_inflight)
            try:
                await self._session(link)
                problem = "connection lost"
            except LinkError as exc:
                problem = str(exc)
            except Exception as exc:  # a bug must not end ingest for good: log it and reconnect
                log.exception("MQTT ingest failed")
                problem = f"ingest failed: {exc}"
            finally:
                self._set_connected(False)
                await link.close()
            self._problem = problem
            delay = backoff_delay(self._failures, *self.backoff, self.rng.random())
            self._failures += 1
            log.warning("MQTT broker %s: %s; retrying in %.1fs", self.broker.describe(), problem, delay)
            await asyncio.sleep(delay)

    async def _session(self, link: Link) -> None:
        """Connect, resume the session, subscribe, and consume until the connection ends."""
        resumed = await link.connect(TIMEOUT_S)
        self._failures = 0
        await link.subscribe([r.filter for r in self.routes], TIMEOUT_S)
        if self._had_session and not resumed:
            log.warning("MQTT broker did not keep our session: messages sent while disconnected are lost")
        self._had_session = True
        self._set_connected(True)
        who = (self.broker.describe(), self.broker.client_id, resumed)
        log.info("MQTT connected to %s as %s (session resumed: %s)", *who)
        await self._consume(link)

    async def _consume(self, link: Link) -> None:
        while True:
            batch = await link.take(self.broker.max_inflight)
            if link.dropped:
                self.metrics.mqtt_messages.labels("dropped").inc(link.dropped)
                link.dropped = 0
            if not batch:
                return
            if await self._handle(link, batch):
                for message in batch:  # in order of receipt, as MQTT requires
                    link.ack(message)

    async def _handle(self, link: Link, batch: list[paho.MQTTMessage]) -> bool:
        """Commit the batch's events and dead-letter what can never be stored; True when all of it may be acked."""
        now = self.clock.now()
        good: list[_Good] = []
        dead: list[dl.DeadLetter] = []
        for index, message in enumerate(batch):
            found = self._decode(message, now)
            if isinstance(found, dl.DeadLetter):
                dead.append(found)
            elif found:
                good.append(_Good(index, found))
        try:
            unstorable = await self._store(link, batch, good)
            self._stored.inc(len(good) - len(unstorable))
            await self._deadletter(link, dead + unstorable)
        except LinkError as exc:
            log.warning("MQTT batch of %d messages not acknowledged (%s); it comes again", len(batch), exc)
            await link.close()  # acks must stay in order: drop the connection and let everything come again
            return False
        return not link.closed.done()

    def _decode(self, message: paho.MQTTMessage, now: float) -> list[Event] | dl.DeadLetter | None:
        """Events, or the dead letter of a message that can never be stored, or None for a message to skip."""
        topic = message.topic
        route = None if topic.startswith(self.deadletter_prefix + "/") else self._route(topic)
        if route is None:
            self._ignored.inc()
            return None
        payload = bytes(message.payload)
        if len(payload) > MAX_BODY:
            return self._dead(route.transport, dl.too_large(topic, payload, MAX_BODY), 1)
        raw: list[Any] = []
        try:
            raw = route.decode(topic, payload)
            events = validate_events(raw, now, schemas=route.schemas, zones=route.zones) if raw else []
        except InvalidInput as exc:
            if isinstance(exc, EventsRefused):
                self.metrics.refused.inc(exc.refused_by_policy)
            return self._dead(route.transport, dl.invalid(topic, payload, exc), max(len(raw), 1))
        except Exception as exc:  # a decoder or validator failing on this payload fails on it every time
            letter = dl.failed(topic, payload, dl.Reason.UNDECODABLE, exc)
            return self._dead(route.transport, letter, max(len(raw), 1))
        if not events:
            self._empty.inc()
        return events

    def _route(self, topic: str) -> Route | None:
        try:
            return self._routes_by_topic[topic]
        except KeyError:
            if len(self._routes_by_topic) >= 10_000:
                self._routes_by_topic.clear()  # bounded: senders may use endless topics
            found = next((r for r in self.routes if paho.topic_matches_sub(r.filter, topic)), None)
            self._routes_by_topic[topic] = found
            return found

    def _dead(self, transport: str, letter: dl.DeadLetter, count: int) -> dl.DeadLetter:
        """Count a dead message (`count` events rejected) and log why, never what it said."""
        self.metrics.mqtt_messages.labels("deadlettered").inc()
        self.metrics.events.labels("rejected").inc(count)
        self.metrics.rejected_by_transport.labels(transport).inc(count)
        log.warning(
            "MQTT message on %s dead-lettered (%s: %s); payload sha256 %s",
            letter.topic,
            letter.reason.value,
            letter.error,
            letter.payload_sha256,
        )
        return letter

    async def _deadletter(self, link: Link, dead: list[dl.DeadLetter]) -> None:
        for letter in dead:
            await link.publish(f"{self.deadletter_prefix}/{letter.topic}", letter.body(), TIMEOUT_S)

    async def _store(
        self, link: Link, batch: list[paho.MQTTMessage], good: list[_Good]
    ) -> list[dl.DeadLetter]:
        """Commit the messages' events in chunks of whole messages; a chunk the writer refuses for good is tried
        message by message, and the messages it still refuses come back as dead letters."""
        dead: list[dl.DeadLetter] = []
        for chunk in self._chunks(good):
            try:
                await self._commit(link, [e for g in chunk for e in g.events])
            except LinkError:
                raise
            except Exception as exc:
                # not StoreUnavailable/Overloaded (retried inside): the same events fail the same way again
                dead += await self._isolate(link, batch, chunk, exc)
        return dead

    def _chunks(self, good: list[_Good]) -> list[list[_Good]]:
        chunks: list[list[_Good]] = [[]]
        size = 0
        for g in good:
            if chunks[-1] and size + len(g.events) > self.batch_events:
                chunks.append([])
                size = 0
            chunks[-1].append(g)
            size += len(g.events)
        return [c for c in chunks if c]

    async def _isolate(
        self, link: Link, batch: list[paho.MQTTMessage], chunk: list[_Good], exc: Exception
    ) -> list[dl.DeadLetter]:
        if len(chunk) > 1:
            what = type(exc).__name__
            log.warning(
                "MQTT: the writer refused %d messages (%s); storing them one by one", len(chunk), what
            )
        dead: list[dl.DeadLetter] = []
        for g in chunk:
            error: Exception = exc
            if len(chunk) > 1:
                try:
                    await self._commit(link, g.events)
                    continue
                except LinkError:
                    raise
                except Exception as again:
                    error = again
            message = batch[g.index]
            route = self._route(message.topic)
            transport = route.transport if route is not None else "mqtt"
            letter = dl.failed(message.topic, bytes(message.payload), dl.Reason.UNSTORABLE, error)
            dead.append(self._dead(transport, letter, len(g.events)))
        return dead

    async def _commit(self, link: Link, events: list[Event]) -> None:
        # one message may hold more events than the writer commits at once (or than its queue takes)
        for start in range(0, len(events), self.batch_events):
            await self._submit_until_committed(link, events[start : start + self.batch_events])

    async def _submit_until_committed(self, link: Link, events: list[Event]) -> None:
        attempt = 0
        while True:
            try:
                await self.submit(events)
                return
            except Overloaded as exc:
                delay = float(exc.retry_after)
            except StoreUnavailable as exc:
                delay = backoff_delay(attempt, *self.backoff, self.rng.random())
                log.warning("MQTT events not stored (%s); retrying in %.1fs", exc, delay)
            if link.closed.done():
                raise LinkError("connection lost while the store was unavailable")
            attempt += 1
            await asyncio.sleep(delay)
