"""One owned partition: today's single writer (`App` with its `Pipeline`, alarms, rules, audit, outbox) built for
the partition, fed from its event stream, answering its commands and publishing its committed changes.

Start (after the lease is ours): raise the fencing epoch (nothing raised: a newer owner exists, give up), build
the partition's `App` (fenced store, only this partition's open alarms, rule state warmed from the partition's
stored events within the rules' horizon), recreate the partition's durable pull consumer to start right after
the stored offset, subscribe to `fw.cmd.<partition>`, and start forwarding the hub's committed changes to
`fw.ch.<partition>`. Stop (lease lost or released): refuse further commits at once, unsubscribe, stop the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription as NatsSubscription
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from sqlalchemy import Engine, delete, select

from fairwatch.alarms import stream_changes
from fairwatch.api.serialize import change_json
from fairwatch.app import App, Part
from fairwatch.cluster import commands_server, names, wire
from fairwatch.cluster.fence import Fence, record_offset, stored_offset
from fairwatch.errors import FairwatchError, Fenced, Overloaded, StoreUnavailable
from fairwatch.model import Event
from fairwatch.settings import Settings
from fairwatch.store import Txn, schema
from fairwatch.store.sql import SqlTxn
from fairwatch.stream.hub import Message, Subscription

log = logging.getLogger(__name__)

FETCH_BATCH = 1000  # messages per pull; the pipeline commits them as one group
ACK_WAIT_S = 60.0  # longer than any batch's commit; a new owner recreates the consumer anyway
CLAIM_S = 60.0  # a claimed notification job is not due for others for this long (store/outbox.py claim_due)


def durable_name(partition: str, epoch: int) -> str:
    """The owner's consumer of the partition: one per epoch, so a paused old owner that resumes cannot pull
    messages from its successor's consumer (its own is deleted)."""
    return f"fw-worker-{partition}-{epoch}"


def _is_durable_of(name: str, partition: str) -> bool:
    return re.fullmatch(f"fw-worker-{re.escape(partition)}-[0-9]+", name) is not None


def sites_of(partition: str) -> Callable[[str | None], bool]:
    """Which sites belong to `partition` (none for `_global`)."""
    if partition == names.GLOBAL:
        return lambda _site: False
    return lambda site: names.partition_of(site) == partition


def change_msg_id(partition: str, kind: str, data: bytes) -> str:
    """`<partition>:<kind>:<object id>:<version>` of a committed change (a republish is dropped by the stream);
    a payload without an id and version is named by its digest instead."""
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        doc = None
    obj = doc.get(kind) if isinstance(doc, dict) else None
    if not isinstance(obj, dict):
        obj = doc if isinstance(doc, dict) else {}
    oid, version = obj.get("id"), obj.get("version")
    if oid is not None and version is not None:  # every change raises the version: one id per change
        return f"{partition}:{kind}:{oid}:{version}"
    return f"{partition}:{kind}:#{hashlib.sha256(data).hexdigest()[:32]}"


class PartitionRunner:
    """The writer of one partition while this worker holds its lease."""

    def __init__(
        self,
        partition: str,
        epoch: int,
        owner: str,
        settings: Settings,
        nc: Client,
        js: JetStreamContext,
        engine: Engine,
        on_lost: Callable[[str], None],
    ) -> None:
        self.partition = partition
        self.engine = engine  # the worker's own connection pool for fencing and offsets
        self.settings = settings
        self.nc = nc
        self.js = js
        self.on_lost = on_lost
        self.fence = Fence(partition, epoch, owner, self._lost, settings.lease_seconds)
        self.app: App | None = None
        self.offset = 0
        self._seqs: dict[int, int] = {}  # id(submission) -> its highest stream sequence
        self._tasks: list[asyncio.Task[None]] = []
        self._commands: NatsSubscription | None = None
        self._pull: JetStreamContext.PullSubscription | None = None
        self._delivered = 0  # the consumer sequence of the last message handled (0: a fresh consumer)
        self._published: list[str] = []  # Msg-Ids of alarm changes on the stream whose outbox rows may go
        self._stopping = False
        self.started_at = 0.0

    # -- life cycle ------------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Claim the fence, build and start the partition's app, consume, serve commands, forward changes.
        Raises `Fenced` when a newer owner already claimed the partition."""
        settings = self.settings
        if not await asyncio.to_thread(self.fence.claim, self.engine):
            raise Fenced(f"partition {self.partition}: a newer owner holds it", 1)
        # Built only now: after the claim nothing older commits, so the alarms and events read here are final.
        part = Part(
            self.partition,
            sites_of(self.partition),
            self.fence.guard,
            transparency=self.partition == names.GLOBAL,
        )

        def build() -> tuple[App, int]:
            # off the event loop, where the leases are renewed: reading config, open alarms and the events to
            # warm the rules up from can take a while
            built = App.build(settings, None, part)
            try:
                return built, built.pipeline.warm_up()
            except BaseException:
                built.store.close()
                raise

        app, replayed = await asyncio.to_thread(build)
        self.app = app  # the hooks below use it from the first transaction on
        try:
            app.store.claim_seconds = CLAIM_S
            app.pipeline.batch_hooks.append(self._record)
            app.pipeline.commit_hooks.append(self._outbox)
            await app.start(replayed)
        except BaseException:
            self.app = None
            app.store.close()
            raise
        self.offset = await asyncio.to_thread(stored_offset, self.engine, self.partition)
        sub, missed, _reset = app.hub.subscribe(None)
        for msg in missed:  # published by start() (none so far; kept for completeness)
            sub.queue.put_nowait(msg)
        await self._republish()  # what the previous owner committed but may not have published
        self._tasks.append(asyncio.create_task(self._forward(sub), name=f"changes {self.partition}"))
        self._tasks.append(asyncio.create_task(self._sweep(), name=f"outbox {self.partition}"))
        if self.partition != names.GLOBAL:
            self._pull = await self._consumer()
            self._tasks.append(asyncio.create_task(self._consume(), name=f"events {self.partition}"))
        self._commands = await self.nc.subscribe(names.command_subject(self.partition), cb=self._on_command)
        await self.nc.flush()  # the server knows the subscription before we say the partition is served
        self.started_at = time.time()
        log.info(
            "partition %s: owned at epoch %d from offset %d", self.partition, self.fence.epoch, self.offset
        )

    async def stop(self, lost: bool) -> None:
        """Stop the partition. `lost`: the lease is gone, so nothing more may commit (the guard refuses)."""
        if self._stopping:
            return
        self._stopping = True
        lost = lost or self.fence.fenced or self.fence.revoked
        if lost:
            self.fence.revoked = True
        if self._commands is not None:
            with contextlib.suppress(NatsError, TimeoutError):
                await self._commands.unsubscribe()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._pull is not None:
            with contextlib.suppress(NatsError, TimeoutError):
                await self._pull.unsubscribe()
        if self.app is not None:
            try:
                await self.app.stop()
            except Exception:
                log.exception("partition %s: stopping the app failed", self.partition)
        log.info("partition %s: %s", self.partition, "lost" if lost else "released")

    # -- events in -------------------------------------------------------------------------------------------
    async def _consumer(self) -> JetStreamContext.PullSubscription:
        """The partition's durable pull consumer of this epoch, made to start right after the stored offset (a
        dead owner's unacknowledged messages are thus not held back for the ack wait); the consumers of earlier
        epochs are deleted."""
        durable = durable_name(self.partition, self.fence.epoch)
        for info in await self.js.consumers_info(names.EVENTS_STREAM):  # the previous owners'
            name = info.name or ""
            if _is_durable_of(name, self.partition):
                with contextlib.suppress(NotFoundError):
                    await self.js.delete_consumer(names.EVENTS_STREAM, name)
        config = ConsumerConfig(
            durable_name=durable,
            filter_subject=f"{names.EVENTS_PREFIX}.{self.partition}",
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=ACK_WAIT_S,
            max_ack_pending=20_000,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=self.offset + 1,
        )
        await self.js.add_consumer(names.EVENTS_STREAM, config)
        self._delivered = 0
        return await self.js.pull_subscribe_bind(durable, stream=names.EVENTS_STREAM)

    async def _consume(self) -> None:
        while not self._stopping:
            pull = self._pull
            if pull is None:
                await self._restart("no consumer")
                continue
            try:
                msgs = await pull.fetch(FETCH_BATCH, timeout=1.0)
            except TimeoutError:
                continue
            except NatsError as exc:
                # the answer to a pull may be lost with its messages, which would then come back only after the
                # ack wait, behind newer ones: start again right after the stored offset instead
                await asyncio.sleep(0.5)
                await self._restart(f"fetch failed: {exc}")
                continue
            if not await self._handle(msgs):
                return

    async def _restart(self, why: str) -> None:
        """A new consumer from the stored offset + 1, so events are handled in stream order with none skipped:
        the offset says "everything up to here is committed" only while nothing after an unacknowledged message
        is committed."""
        log.warning("partition %s: consumer restarted after offset %d (%s)", self.partition, self.offset, why)
        if self._pull is not None:
            with contextlib.suppress(NatsError, TimeoutError):
                await self._pull.unsubscribe()
        self._pull = None
        while not self._stopping:
            try:
                self._pull = await self._consumer()
                return
            except (NatsError, TimeoutError) as exc:
                log.warning("partition %s: no consumer yet: %s", self.partition, exc)
                await asyncio.sleep(0.5)

    async def _handle(self, msgs: Sequence[Msg]) -> bool:
        """Store the messages' events (skipping those at or below the stored offset), then acknowledge them.
        False when the partition must stop (fenced)."""
        if not msgs:
            return True
        if msgs[0].metadata.sequence.consumer != self._delivered + 1 or any(
            (m.metadata.num_delivered or 1) > 1 for m in msgs
        ):  # a delivery went missing or comes again out of order: never commit past an unhandled message
            await self._restart("a delivery out of order")
            return not self.fence.fenced
        self._delivered = msgs[-1].metadata.sequence.consumer
        events: list[Event] = []
        top = self.offset
        log.debug("partition %s: %d messages after offset %d", self.partition, len(msgs), self.offset)
        for m in msgs:
            seq = m.metadata.sequence.stream
            if seq <= self.offset:
                continue  # committed before: a redelivery
            top = max(top, seq)
            try:
                events.append(wire.decode_event(m.data))
            except Exception as exc:  # an edge validated it; a message nobody can read is dropped, logged
                log.error("partition %s: undecodable message %d dropped: %s", self.partition, seq, exc)
        assert self.app is not None
        if events:
            self._seqs[id(events)] = top
            try:
                await self.app.pipeline.submit(events)
            except Fenced:
                self._lost()
                return False
            except (StoreUnavailable, Overloaded) as exc:  # not stored: offered again shortly
                log.warning("partition %s: batch not stored (%s); offered again", self.partition, exc)
                await asyncio.sleep(1.0)
                await self._restart("batch not stored")
                return not self.fence.fenced
            except FairwatchError as exc:  # some events refused by the store; the honest ones are stored
                log.warning("partition %s: events refused: %s", self.partition, exc)
            finally:
                self._seqs.pop(id(events), None)
        self.offset = max(self.offset, top)
        for m in msgs:
            with contextlib.suppress(NatsError):
                await m.ack()
        return True

    def _record(self, txn: Txn, submissions: Sequence[Sequence[Event]]) -> None:
        """The pipeline's batch hook: the batch's highest stream sequence, in its transaction."""
        seqs = [self._seqs[id(s)] for s in submissions if id(s) in self._seqs]
        if seqs and isinstance(txn, SqlTxn):
            record_offset(txn.conn, self.partition, max(seqs), self.fence.epoch, time.time())

    def _lost(self) -> None:
        if not self._stopping:
            self.on_lost(self.partition)

    # -- changes out -----------------------------------------------------------------------------------------
    async def _forward(self, sub: Subscription) -> None:
        """Publish every committed change the partition's hub sees to `fw.ch.<partition>`, in order."""
        assert self.app is not None
        hub = self.app.hub
        subject = names.change_subject(self.partition)
        last: str | None = None
        while True:
            if sub.dropped:  # fell behind: pick up from the hub's history
                hub.unsubscribe(sub)
                sub, missed, _ = hub.subscribe(last)
                for m in missed:
                    await self._publish_change(subject, m)
                    last = m.id
                continue
            msg = await sub.queue.get()
            await self._publish_change(subject, msg)
            last = msg.id

    async def _publish_change(self, subject: str, msg: Message) -> None:
        msg_id = change_msg_id(self.partition, msg.event, msg.data)
        await self._publish(subject, msg.event, msg.data, msg_id)
        if msg.event == "alarm":
            self._published.append(msg_id)

    async def _publish(self, subject: str, kind: str, data: bytes, msg_id: str) -> None:
        payload = wire.encode(wire.Change(kind, data))
        while True:
            try:
                await self.js.publish(subject, payload, headers={names.MSG_ID: msg_id})
                return
            except (NatsError, TimeoutError) as exc:
                log.warning("partition %s: change not published yet: %s", self.partition, exc)
                await asyncio.sleep(0.5)

    # -- the outbox of committed changes ---------------------------------------------------------------------
    def _outbox(self, txn: Txn) -> None:
        """The pipeline's commit hook: the transaction's alarm changes, as the hub will publish them, in the
        same transaction (published and deleted after the commit; a successor publishes what is left)."""
        assert self.app is not None
        changes = stream_changes(self.app.alarms.staged_changes())  # exactly what the hub will publish
        if not changes or not isinstance(txn, SqlTxn):
            return
        rows = []
        for change in changes:
            data = orjson.dumps(change_json(change))
            msg_id = change_msg_id(self.partition, "alarm", data)
            rows.append(
                {"partition": self.partition, "msg_id": msg_id, "kind": "alarm", "data": data.decode()}
            )
        txn.conn.execute(schema.cluster_changes.insert(), rows)

    async def _republish(self) -> None:
        """Publish the outbox rows a previous owner left (committed, maybe never published), then delete them;
        those it did publish are dropped by the stream (same Nats-Msg-Id)."""
        c = schema.cluster_changes.c
        q = select(c.id, c.msg_id, c.kind, c.data).where(c.partition == self.partition).order_by(c.id)

        def read() -> list[Any]:
            with self.engine.connect() as conn:
                return list(conn.execute(q).all())

        rows = await asyncio.to_thread(read)
        subject = names.change_subject(self.partition)
        for row in rows:
            await self._publish(subject, row.kind, row.data.encode(), row.msg_id)
        if rows:
            log.info("partition %s: %d committed changes published again", self.partition, len(rows))
            self._published.extend(r.msg_id for r in rows)
            await self._delete_published()

    async def _sweep(self) -> None:
        """Every second: delete the outbox rows of changes now on the stream."""
        while True:
            await asyncio.sleep(1.0)
            try:
                await self._delete_published()
            except Fenced:
                self._lost()
                return
            except FairwatchError as exc:
                log.warning("partition %s: outbox not swept: %s", self.partition, exc)

    async def _delete_published(self) -> None:
        if not self._published or self.app is None:
            return
        done, self._published = self._published, []
        c = schema.cluster_changes.c
        stmt = delete(schema.cluster_changes).where(c.partition == self.partition, c.msg_id.in_(done))

        def write(txn: Txn, _now: float) -> None:
            if isinstance(txn, SqlTxn):
                txn.conn.execute(stmt)

        try:
            await self.app.pipeline.call(write)
        except BaseException:
            self._published[:0] = done
            raise

    # -- commands --------------------------------------------------------------------------------------------
    async def _on_command(self, msg: Msg) -> None:
        app = self.app
        if app is None or self._stopping:
            return  # not answering: the edge answers 503 after its timeout
        try:
            command = wire.decode_command(msg.data)
        except Exception:
            reply = wire.Reply(400, [("content-type", "application/json")], b'{"error":"unreadable command"}')
        else:
            reply = await commands_server.call(app.asgi, command)
        with contextlib.suppress(NatsError):
            await msg.respond(wire.encode(reply))
        if self.fence.fenced:
            self._lost()
