"""`fairwatch serve --role edge`: HTTP and MQTT ingest, API reads, the console and SSE, with no writer of its own.

The edge is the single process's app built on the cluster's PostgreSQL with three things swapped in:
- the pipeline (`publish.EdgePipeline`): ingest validates and guards events with today's functions, then publishes
  them to FW_EVENTS and answers 202 only after every PubAck;
- in front of the app, `forward.Forwarder`: every operator write goes to its partition's owner as a command;
- the stream hub takes its messages, and their ids, from FW_CHANGES (`changes.ChangeFeed`).
Reads go straight to PostgreSQL. Nothing on an edge holds state of its own, so run as many as you like.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast

from fastapi import FastAPI
from nats.aio.client import Client
from nats.js.errors import NotFoundError, ServiceUnavailableError

from fairwatch.app import App
from fairwatch.audit.keys import load_key
from fairwatch.clock import Clock
from fairwatch.cluster.changes import ChangeFeed
from fairwatch.cluster.forward import Forwarder
from fairwatch.cluster.publish import EdgePipeline, Publisher
from fairwatch.cluster.status import reach
from fairwatch.errors import ConfigError
from fairwatch.settings import Settings

log = logging.getLogger("fairwatch.edge")
START_S = 30.0  # how long an edge waits for JetStream to answer when it starts


@dataclass
class Edge:
    """An edge's app and the parts that connect it to NATS when it starts."""

    app: App
    forwarder: Forwarder
    nc: Client | None = None
    feed: ChangeFeed | None = None

    @property
    def pipeline(self) -> EdgePipeline:
        return cast(EdgePipeline, self.app.pipeline)

    @contextlib.asynccontextmanager
    async def lifespan(self, _asgi: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def start(self) -> None:
        """Connect to NATS, fill the hub from the change stream, then take ingest (and MQTT, when configured)."""
        s = self.app.settings
        assert s.nats is not None
        self.nc = await reach(s.nats, f"fairwatch-edge-{s.host}:{s.port}")
        js = self.nc.jetstream()
        self.feed = ChangeFeed(js, self.app.hub)
        deadline = time.monotonic() + START_S
        while True:
            try:
                await self.feed.start()
                break
            except NotFoundError:
                raise ConfigError(
                    ["stream FW_CHANGES not found: run `fairwatch cluster init` first"]
                ) from None
            except ServiceUnavailableError:  # JetStream is electing leaders (a cluster that just started)
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)
        self.pipeline.publisher = Publisher(self.nc, js)
        self.forwarder.nc = self.nc
        if self.app.mqtt is not None:
            await self.app.mqtt.start()

    async def stop(self) -> None:
        """Stop taking work, close NATS and the store."""
        await self.pipeline.stop()
        if self.app.mqtt is not None:
            try:
                await self.app.mqtt.stop()
            except Exception:
                log.exception("MQTT ingest did not stop cleanly")
        if self.feed is not None:
            await self.feed.stop()
        if self.nc is not None and not self.nc.is_closed:
            with contextlib.suppress(Exception):
                await self.nc.drain()
        self.app.store.close()


def build_edge(settings: Settings, clock: Clock | None = None) -> Edge:
    """An edge for `settings` (role edge: nats, database_url and key_file set); raises ConfigError."""
    if not settings.nats or not settings.database_url or settings.key_file is None:
        raise ConfigError(["role edge: needs --nats, --database-url and --key-file"])
    load_key(settings.key_file)  # the deployment's key: refuse to start without it
    app = App.build(settings, clock)
    # The writer the app was built with never starts: ingest (HTTP, Alertmanager, MQTT) publishes instead.
    built = app.pipeline
    pipeline = EdgePipeline(
        app.store,
        built.engine,
        built.alarms,
        built.clock,
        built.metrics,
        built.on_changes,
        queue_limit=built.queue_limit,
        batch_max=built.batch_max,
    )
    app.pipeline = app.ctx.pipeline = pipeline
    if app.mqtt is not None:
        app.mqtt.submit = pipeline.submit
    app.hub.stream_ids = True  # SSE ids are FW_CHANGES sequences: a console may resume on any edge
    forwarder = Forwarder(app.entry, app.store)
    edge = Edge(app, forwarder)
    app.entry = forwarder
    app.asgi.router.lifespan_context = edge.lifespan
    return edge
