"""In-process hub: a ring buffer of recent messages plus one bounded queue per subscriber.

Each subscription knows who opened it (`owner`), so the hub can end the streams of a credential that ended (sign-out,
a disabled user, a revoked token) and, at shutdown, every stream with a final `event: shutdown`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from fairwatch.access import Principal


@dataclass(frozen=True, slots=True)
class Message:
    """One SSE message: `id` is `<epoch>-<n>` so ids from a previous server run are recognised as stale."""

    id: str
    event: str
    data: bytes

    def encode(self) -> bytes:
        return (
            b"id: "
            + self.id.encode()
            + b"\nevent: "
            + self.event.encode()
            + b"\ndata: "
            + self.data
            + b"\n\n"
        )


class Ended(StrEnum):
    """Why the hub ended a stream; sent to the client as the stream's last event."""

    SHUTDOWN = "shutdown"  # the server is stopping: reconnect later
    ACCESS = "access-ended"  # signed out, session ended, user disabled or token revoked: sign in again


_WAKE = Message("", "", b"")  # put on a queue to wake its stream when it is ended


@dataclass(eq=False)
class Subscription:
    """A subscriber's queue; `dropped` is set when it fell too far behind and must reconnect."""

    owner: Principal | None = None
    queue: asyncio.Queue[Message] = field(default_factory=lambda: asyncio.Queue(10_000))
    dropped: bool = False
    ended: Ended | None = None
    after: int = 0  # with stream ids: the client has every message up to this sequence already

    def end(self, why: Ended) -> None:
        """Mark the stream ended and wake it, even when its queue is full (what it missed no longer matters)."""
        self.ended = why
        while True:
            try:
                self.queue.put_nowait(_WAKE)
                return
            except asyncio.QueueFull:
                with contextlib.suppress(asyncio.QueueEmpty):
                    self.queue.get_nowait()


class Hub:
    """Publishes messages to subscribers; a slow subscriber is dropped rather than slowing the writer.

    With `stream_ids` (a cluster's edge) the ids are not the hub's own but the sequences of the replicated change
    stream the messages come from (`publish(..., seq=)`), so a client can resume on any edge: `Last-Event-ID` is a
    plain sequence number, a message at or below it is never sent again, and one already published is ignored."""

    def __init__(self, epoch: int, history: int = 10_000, *, stream_ids: bool = False) -> None:
        self.epoch = epoch
        self.stream_ids = stream_ids
        self._n = 0
        self._history: deque[tuple[int, Message]] = deque(maxlen=history)
        self._subscribers: set[Subscription] = set()
        self._emptied = asyncio.Event()
        self.accepting = True  # False after shutdown(): new streams are refused with 503

    def publish(self, event: str, data: bytes, seq: int | None = None) -> Message:
        """Number and fan out one message; `seq` (with `stream_ids`): the change stream's sequence of it, its id.
        A sequence at or below the last one published is not sent again (a consumer that restarted)."""
        if seq is None:
            self._n += 1
            msg = Message(f"{self.epoch}-{self._n}", event, data)
        else:
            msg = Message(str(seq), event, data)
            if seq <= self._n:
                return msg
            self._n = seq
        self._history.append((self._n, msg))
        for sub in list(self._subscribers):
            if sub.after >= self._n:
                continue  # a client that resumed here already has it
            try:
                sub.queue.put_nowait(msg)
            except asyncio.QueueFull:
                sub.dropped = True
                self._subscribers.discard(sub)
        return msg

    def subscribe(
        self, last_event_id: str | None, owner: Principal | None = None
    ) -> tuple[Subscription, list[Message], bool]:
        """A subscription for new messages, the missed messages to replay first, and whether to reload."""
        sub = Subscription(owner)
        if not self.accepting:
            sub.end(Ended.SHUTDOWN)
            return sub, [], False
        self._subscribers.add(sub)
        self._emptied.clear()
        if self.stream_ids:
            missed, reset = self._since_seq(sub, last_event_id)
        else:
            missed, reset = self._since(last_event_id)
        return sub, missed, reset

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)
        if not self._subscribers:
            self._emptied.set()

    def end_streams(self, match: Callable[[Principal], bool], why: Ended = Ended.ACCESS) -> int:
        """End the streams whose owner matches (e.g. one session, one user, some tokens); returns how many."""
        ended = [s for s in self._subscribers if s.owner is not None and match(s.owner)]
        for sub in ended:
            sub.end(why)
        return len(ended)

    def shutdown(self) -> Shutdown:
        """Refuse new streams and end every stream with `event: shutdown`. Takes effect at once; awaiting the
        result also waits (up to 5 s) until the streams have closed."""
        self.accepting = False
        told = list(self._subscribers)
        for sub in told:
            sub.end(Ended.SHUTDOWN)
        return Shutdown(self, len(told))

    async def wait_closed(self, timeout: float = 5.0) -> bool:
        """True once no stream is open; False when some are still open after `timeout` seconds."""
        if not self._subscribers:
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._emptied.wait(), timeout)
        return not self._subscribers

    def _since(self, last_event_id: str | None) -> tuple[list[Message], bool]:
        if not last_event_id:
            return [], False
        epoch, _, n_text = last_event_id.partition("-")
        if epoch != str(self.epoch) or not n_text.isdigit():
            return [], True
        n = int(n_text)
        if n >= self._n:
            return [], False
        oldest = self._history[0][0] if self._history else self._n + 1
        if n + 1 < oldest:
            return [], True  # too far behind: the client must reload its view
        return [m for i, m in self._history if i > n], False

    def _since_seq(self, sub: Subscription, last_event_id: str | None) -> tuple[list[Message], bool]:
        """The missed messages after a stream sequence. A client ahead of this hub (it was on an edge whose
        consumer was further along) gets nothing now and no message up to its sequence later."""
        if not last_event_id:
            return [], False
        if not last_event_id.isdigit():
            return [], True  # an id of a single process: reload
        n = int(last_event_id)
        if n >= self._n:
            sub.after = n
            return [], False
        oldest = self._history[0][0] if self._history else self._n + 1
        if n + 1 < oldest:
            return [], True
        sub.after = n
        return [m for i, m in self._history if i > n], False

    @property
    def last(self) -> int:
        """The number (with `stream_ids`: the stream sequence) of the last message published."""
        return self._n

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)


class Shutdown:
    """What `Hub.shutdown()` returns: `told` streams were ended; `await` it to wait until they have closed."""

    def __init__(self, hub: Hub, told: int) -> None:
        self.hub = hub
        self.told = told

    def __await__(self) -> Generator[Any, None, bool]:
        return self.hub.wait_closed().__await__()
