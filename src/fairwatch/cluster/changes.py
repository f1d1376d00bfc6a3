"""An edge's live updates: the committed changes the partitions' owners publish on FW_CHANGES, fed into the edge's
stream hub with the stream sequence as the SSE id.

One ordered consumer per edge (NATS re-creates it from the next sequence when it stalls or its server goes away)
starts with the last `history` messages already on the stream, so the hub can replay what a console missed:
a console that reconnects to another edge with `Last-Event-ID: <sequence>` gets every change after that sequence
once, whichever edge it was on. The edge is ready only once the feed has caught up with the stream as it was at
the start, so a reconnect is never answered from a half-filled history.
"""

from __future__ import annotations

import asyncio
import logging

from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy

from fairwatch.cluster import names, wire
from fairwatch.stream import Hub

log = logging.getLogger("fairwatch.edge")

CATCH_UP_S = 30.0


class ChangeFeed:
    """FW_CHANGES -> `hub.publish(kind, data, seq=...)`."""

    def __init__(self, js: JetStreamContext, hub: Hub, history: int = 10_000) -> None:
        self.js = js
        self.hub = hub
        self.history = history
        self._sub: Subscription | None = None
        self._target = 0
        self._caught_up = asyncio.Event()

    async def start(self, timeout: float = CATCH_UP_S) -> None:
        """Subscribe and wait until the messages already on the stream are in the hub."""
        info = await self.js.stream_info(names.CHANGES_STREAM)
        last, first = info.state.last_seq, info.state.first_seq
        if last and info.state.messages:
            start = max(first, last - self.history + 1, self.hub.last + 1)
            config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=start)
            self._target = last
        else:
            config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
            self._caught_up.set()
        self._sub = await self.js.subscribe(
            f"{names.CHANGES_PREFIX}.>",
            stream=names.CHANGES_STREAM,
            ordered_consumer=True,
            config=config,
            cb=self._on_message,
        )
        await asyncio.wait_for(self._caught_up.wait(), timeout)

    async def _on_message(self, msg: Msg) -> None:
        seq = msg.metadata.sequence.stream
        try:
            change = wire.decode_change(msg.data)
        except Exception:  # not ours: skip it, keep the order
            log.warning("change stream: message %s is not a Change; skipped", seq)
        else:
            self.hub.publish(change.kind, change.data, seq=seq)
        if seq >= self._target:
            self._caught_up.set()

    async def stop(self) -> None:
        if self._sub is not None:
            try:
                await self._sub.unsubscribe()
            except Exception:  # the connection is closing anyway
                log.debug("change stream: unsubscribe failed", exc_info=True)
            self._sub = None
