"""An edge's ingest: validated, guarded events are published to the replicated event stream instead of being
written here. `POST /api/v1/events`, the Alertmanager receiver and MQTT ingest keep their handlers; the app is
built with `EdgePipeline`, whose `submit` publishes (one message per event on `fw.ev.<partition>`, with
`Nats-Msg-Id = <source>:<id>`) and returns once JetStream acknowledged every one of them.

The answer cannot count duplicates the way the single writer does (it looks events up in the database): an
event whose Msg-Id the stream saw within its duplicate window is reported as a duplicate (the PubAck's
`duplicate` flag); one sent again after the window is deduplicated by the partition's owner instead, and counted
as accepted here. A publish that times out, or finds no stream (JetStream lost its quorum or the servers are
gone), is a 503 with Retry-After: nothing of the request is acknowledged, and a retry of the same body is
stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import TypeVar

import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from fairwatch.cluster import names, wire
from fairwatch.errors import StoreUnavailable
from fairwatch.model import Event
from fairwatch.store import Txn
from fairwatch.writer import Pipeline

T = TypeVar("T")

PUBLISH_TIMEOUT_S = 5.0  # how long an edge waits for JetStream's acknowledgement before answering 503
RETRY_AFTER_S = 2


class Unavailable(StoreUnavailable):
    """The event stream did not acknowledge in time (or is not there): 503 with Retry-After."""


class Publisher:
    """Publishes events to FW_EVENTS and registers each partition once in `fw_partitions`."""

    def __init__(self, nc: Client, js: JetStreamContext, timeout: float = PUBLISH_TIMEOUT_S) -> None:
        self.nc = nc
        self.js = js
        self.timeout = timeout
        self.known: set[str] = set()  # partitions this edge registered (or found registered)
        self._partitions: KeyValue | None = None

    async def publish(self, events: Sequence[Event]) -> tuple[int, int]:
        """Publish every event; (accepted, duplicates) once all are acknowledged; raises `Unavailable`."""
        try:
            await self._register({names.partition_of(e.site): e.site or "" for e in events})
            acks = await asyncio.wait_for(
                asyncio.gather(*(self._one(e) for e in events)), timeout=self.timeout + 1
            )
        except (nats.errors.Error, TimeoutError) as exc:
            raise Unavailable(f"the event stream did not acknowledge: {_plain(exc)}", RETRY_AFTER_S) from None
        duplicates = sum(1 for dup in acks if dup)
        return len(events) - duplicates, duplicates

    async def _one(self, event: Event) -> bool:
        ack = await self.js.publish(
            names.event_subject(event),
            wire.encode(event),
            timeout=self.timeout,
            stream=names.EVENTS_STREAM,
            headers={names.MSG_ID: names.msg_id(event)},
        )
        return ack.duplicate is True

    async def _register(self, partitions: dict[str, str]) -> None:
        """Put partitions this edge has not seen yet into `fw_partitions` (workers watch it)."""
        new = {p: site for p, site in partitions.items() if p not in self.known}
        if not new:
            return
        if self._partitions is None:
            self._partitions = await asyncio.wait_for(
                self.js.key_value(names.PARTITIONS_BUCKET), timeout=self.timeout
            )
        for partition, site in new.items():
            with contextlib.suppress(KeyWrongLastSequenceError):  # registered by another edge already
                await asyncio.wait_for(
                    self._partitions.create(partition, site.encode()), timeout=self.timeout
                )
            self.known.add(partition)

    def problem(self) -> str | None:
        """Why this edge cannot publish now (for /readyz), or None."""
        if self.nc.is_closed:
            return "nats: connection closed"
        if not self.nc.is_connected:
            return "nats: not connected (reconnecting)"
        return None


def _plain(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, nats.errors.NoRespondersError) or type(exc).__name__ == "NoStreamResponseError":
        return "no JetStream responded (is the stream there, does it have a quorum?)"
    return type(exc).__name__


class EdgePipeline(Pipeline):
    """What an edge's app has instead of a writer: `submit` publishes (see the module); `call` only serves reads' side effects.
    Operator writes never reach it: the edge forwards them to the partition's owner (`cluster.forward`)."""

    publisher: Publisher | None = None

    def warm_up(self) -> int:
        return 0  # no rule state on an edge

    def start(self) -> None:
        self._stopping = False

    async def drain(self) -> None:
        self._stopping = True

    async def stop(self) -> None:
        self._stopping = True

    @property
    def running(self) -> bool:
        return self.publisher is not None and not self._stopping

    async def check(self) -> str | None:
        if self._stopping:
            return "edge: the server is stopping"
        if self.publisher is None:
            return "edge: not connected to NATS yet"
        return self.publisher.problem()

    async def submit(self, events: Sequence[Event]) -> tuple[int, int]:
        if self._stopping:
            raise StoreUnavailable("the server is stopping", RETRY_AFTER_S)
        if self.publisher is None:
            raise StoreUnavailable("the edge is not connected to NATS yet", RETRY_AFTER_S)
        return await self.publisher.publish(events)

    async def call(self, fn: Callable[[Txn, float], T]) -> T:
        raise StoreUnavailable(
            "an edge does not write: this write should have gone to its owner", RETRY_AFTER_S
        )

    async def tick(self) -> int:
        return 0
