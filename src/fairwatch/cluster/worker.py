"""`fairwatch serve --role worker`: owns partitions and evaluates them (docs/architecture.md#a-cluster).

The main loop, every `lease_seconds / 6`: stop the partitions whose lease was lost; read the partitions edges
registered (`fw_partitions`, plus `_global`) and the live workers (`fw_workers`); take free partitions up to the
fair share (partitions / live workers, rounded up) and give one back when holding more than that (a worker that
joins gets its share). A task of its own announces the worker and renews every owned lease every third of the
lease. Silences and the current phase are re-read from PostgreSQL by every owned partition every `RELOAD_S` (a
short poll). `/healthz` on `--port` answers `ok` and the owned partitions. SIGTERM/SIGINT: stop every partition
and release its lease, so a successor takes over at once instead of after the lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import os
import signal
import socket
import time
import uuid
from dataclasses import dataclass, field

import orjson
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.kv import KeyValue
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import SQLAlchemyError

from fairwatch.audit.keys import load_key
from fairwatch.cluster import lease as leasing
from fairwatch.cluster import names, streams
from fairwatch.cluster.checkpointer import Checkpointer
from fairwatch.cluster.partition import PartitionRunner
from fairwatch.errors import ConfigError, Fenced
from fairwatch.settings import Settings
from fairwatch.store import failures, schema

log = logging.getLogger("fairwatch.worker")

CONNECT_S = 30.0  # how long the first connection to NATS may take before the worker gives up (exit 2)
RELOAD_S = 2.0  # how often owned partitions re-read silences and the current phase from PostgreSQL


@dataclass
class Worker:
    settings: Settings
    health_port: int | None = None  # /healthz is served only when a port is given
    id: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    runners: dict[str, PartitionRunner] = field(default_factory=dict)
    leases: dict[str, leasing.Lease] = field(default_factory=dict)
    _lost: set[str] = field(default_factory=set)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)  # the main loop's turn: now

    def owned(self) -> list[str]:
        """The partitions this worker serves now (started: consuming and answering commands)."""
        return sorted(p for p, r in self.runners.items() if r.started_at > 0 and not r.fence.revoked)

    def request_stop(self) -> None:
        self._stop.set()
        self._wake.set()

    async def run(self) -> None:
        s = self.settings
        if s.nats is None or s.database_url is None or s.key_file is None:
            raise ConfigError(["role worker: needs --nats, --database-url and --key-file"])
        load_key(s.key_file)  # the deployment key must be readable before anything is owned
        if not s.database_url.startswith("postgresql"):
            raise ConfigError(
                [f"role worker: --database-url must be a PostgreSQL URL (got {s.database_url[:40]!r})"]
            )
        engine = create_engine(s.database_url, pool_size=2, pool_pre_ping=True)
        try:
            await asyncio.to_thread(schema.create_cluster_tables, engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise failures.translate(exc) from None
        try:
            nc = await asyncio.wait_for(streams.connect(s.nats, f"fairwatch-worker-{self.id}"), CONNECT_S)
        except (TimeoutError, NatsError, OSError) as exc:
            engine.dispose()
            raise ConfigError(
                [f"nats: cannot reach {s.nats} ({exc or 'timed out'}): check --nats or FAIRWATCH_NATS"]
            ) from None
        js = nc.jetstream()
        layout = streams.Layout(replicas=s.stream_replicas, lease_seconds=s.lease_seconds)
        await streams.ensure(js, layout)
        kv = leasing.Leases(await js.key_value(names.LEASES_BUCKET), self.id, s.lease_seconds)
        parts_kv = await js.key_value(names.PARTITIONS_BUCKET)
        workers_kv = await leasing.workers_bucket(js, s.lease_seconds, s.stream_replicas)
        health = await self._serve_health(self.health_port) if self.health_port else None
        step = s.lease_seconds / 6
        last_reload = time.monotonic()
        renewer = asyncio.create_task(self._renew_loop(kv, workers_kv), name="lease renewal")
        # One signed root over every chain head for the whole cluster: whichever worker holds the lease signs.
        checkpointer = Checkpointer.for_settings(js, s, self.id)
        checkpointer.start()
        log.info("worker %s started", self.id)
        try:
            while not self._stop.is_set():
                for partition in list(self._lost):
                    await self._drop(kv, partition, lost=True)
                self._lost.clear()
                try:
                    await self._balance(kv, parts_kv, workers_kv, js, nc, engine)
                except (NatsError, TimeoutError) as exc:
                    log.warning("worker %s: balancing skipped: %s", self.id, exc)
                if time.monotonic() - last_reload >= RELOAD_S:
                    last_reload = time.monotonic()
                    await self._reload()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), step)
                self._wake.clear()
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            for partition in list(self.runners):
                await self._drop(kv, partition, lost=False)
            with contextlib.suppress(NatsError, TimeoutError, Exception):
                await checkpointer.stop()
            with contextlib.suppress(NatsError, TimeoutError, Exception):
                await workers_kv.delete(self.id)
            if health is not None:
                health.close()
            with contextlib.suppress(Exception):
                await nc.close()
            engine.dispose()
            log.info("worker %s stopped", self.id)

    # -- leases ----------------------------------------------------------------------------------------------
    async def _heartbeat(self, workers_kv: KeyValue) -> None:
        with contextlib.suppress(NatsError, TimeoutError):
            await workers_kv.put(self.id, str(self.health_port or 0).encode())

    async def _renew_loop(self, kv: leasing.Leases, workers_kv: KeyValue) -> None:
        """Every third of the lease, whatever else the worker is doing (starting a partition takes a while):
        announce this worker and renew every owned lease; a lost one is stopped by the main loop at once."""
        every = self.settings.lease_seconds / 3
        while True:
            began = time.monotonic()
            await self._heartbeat(workers_kv)
            await self._renew_all(kv)
            await asyncio.sleep(max(0.05, every - (time.monotonic() - began)))

    async def _renew_all(self, kv: leasing.Leases) -> None:
        owned = list(self.leases.values())
        results = await asyncio.gather(*(kv.renew(lease) for lease in owned), return_exceptions=True)
        for lease, ok in zip(owned, results, strict=True):
            if ok is not True and self.leases.get(lease.partition) is lease:
                log.warning("partition %s: lease lost (%s)", lease.partition, ok)
                self._on_lost(lease.partition)
                self._wake.set()

    def _on_lost(self, partition: str) -> None:
        """A partition's writer found itself fenced: no further commits; stopped on the loop's next turn."""
        self._lost.add(partition)
        runner = self.runners.get(partition)
        if runner is not None:
            runner.fence.revoked = True

    async def _drop(self, kv: leasing.Leases, partition: str, lost: bool) -> None:
        runner = self.runners.pop(partition, None)
        lease = self.leases.pop(partition, None)
        if runner is not None:
            lost = lost or runner.fence.fenced or runner.fence.revoked
            await runner.stop(lost)
        if lease is not None and not lost:
            await kv.release(lease)

    async def _balance(
        self,
        kv: leasing.Leases,
        parts_kv: KeyValue,
        workers_kv: KeyValue,
        js: JetStreamContext,
        nc: Client,
        engine: Engine,
    ) -> None:
        partitions = leasing.all_partitions(await leasing.keys(parts_kv))
        live = max(1, len(set(await leasing.keys(workers_kv)) | {self.id}))
        share = math.ceil(len(partitions) / live)
        if len(self.runners) > share:
            # give one back (not `_global` if avoidable): the newest first
            victims = sorted(self.runners, key=lambda p: (p == names.GLOBAL, -self.runners[p].started_at))
            await self._drop(kv, victims[0], lost=False)
            return
        if len(self.runners) >= share:
            return
        held = await kv.holders()
        free = [p for p in partitions if p not in held and p not in self.runners]
        free.sort(key=lambda p: hashlib.sha256(f"{self.id}:{p}".encode()).digest())  # spread the race
        for partition in free:
            if len(self.runners) >= share or self._stop.is_set():
                return
            lease = await kv.acquire(partition)
            if lease is None:
                continue
            await self._start(kv, lease, js, nc, engine)

    async def _start(
        self, kv: leasing.Leases, lease: leasing.Lease, js: JetStreamContext, nc: Client, engine: Engine
    ) -> None:
        runner = PartitionRunner(
            lease.partition, lease.epoch, self.id, self.settings, nc, js, engine, self._on_lost
        )
        self.leases[lease.partition] = lease
        self.runners[lease.partition] = runner
        try:
            await runner.start()
        except Fenced as exc:
            log.warning("partition %s: %s", lease.partition, exc)
            await self._drop(kv, lease.partition, lost=True)
        except Exception:
            log.exception("partition %s: could not start", lease.partition)
            await self._drop(kv, lease.partition, lost=False)

    async def _reload(self) -> None:
        """Silences and the current phase may have been changed through another partition's owner: read them
        again (a short poll of PostgreSQL)."""
        for runner in list(self.runners.values()):
            app = runner.app
            if app is None or runner.fence.revoked:
                continue
            try:
                app.notify.silences.reload()
                if app.phases is not None:
                    await app.phases.follow()
            except Exception:
                log.exception("partition %s: reloading silences and phase failed", runner.partition)

    # -- /healthz --------------------------------------------------------------------------------------------
    async def _serve_health(self, port: int) -> asyncio.Server:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                line = await asyncio.wait_for(reader.readline(), 5)
                while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                    pass
                ok = line.split(b" ")[1:2] == [b"/healthz"]
                body = (
                    orjson.dumps({"status": "ok", "worker": self.id, "partitions": self.owned()})
                    if ok
                    else b'{"error":"not found"}'
                )
                head = f"HTTP/1.1 {'200 OK' if ok else '404 Not Found'}\r\ncontent-type: application/json\r\n"
                head += f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
                writer.write(head.encode() + body)
                await writer.drain()
            except (TimeoutError, OSError, IndexError):
                pass
            finally:
                writer.close()

        return await asyncio.start_server(answer, self.settings.host, port)


def run(settings: Settings, health_port: int | None = None) -> None:
    """Run a worker until SIGTERM/SIGINT (`serve --role worker`)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def main() -> None:
        worker = Worker(settings, health_port)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.request_stop)
        await worker.run()

    asyncio.run(main())
