"""In-process hub: a ring buffer of recent messages plus one bounded queue per subscriber."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from dataclasses import dataclass, field


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


@dataclass(eq=False)
class Subscription:
    """A subscriber's queue; `dropped` is set when it fell too far behind and must reconnect."""

    queue: asyncio.Queue[Message] = field(default_factory=lambda: asyncio.Queue(10_000))
    dropped: bool = False


class Hub:
    """Publishes messages to subscribers; a slow subscriber is dropped rather than slowing the writer."""

    def __init__(self, epoch: int, history: int = 10_000) -> None:
        self.epoch = epoch
        self._n = 0
        self._history: deque[tuple[int, Message]] = deque(maxlen=history)
        self._subscribers: set[Subscription] = set()
        self.closed = False

    def publish(self, event: str, data: bytes) -> Message:
        """Number and fan out one message."""
        self._n += 1
        msg = Message(f"{self.epoch}-{self._n}", event, data)
        self._history.append((self._n, msg))
        for sub in list(self._subscribers):
            try:
                sub.queue.put_nowait(msg)
            except asyncio.QueueFull:
                sub.dropped = True
                self._subscribers.discard(sub)
        return msg

    def subscribe(self, last_event_id: str | None) -> tuple[Subscription, list[Message], bool]:
        """A subscription for new messages, the missed messages to replay first, and whether to reload."""
        sub = Subscription()
        if self.closed:  # the server is stopping: the stream ends at once
            sub.dropped = True
            return sub, [], False
        self._subscribers.add(sub)
        missed, reset = self._since(last_event_id)
        return sub, missed, reset

    def shutdown(self) -> None:
        """The server is stopping: send `event: shutdown` to every subscriber and end their streams (a stream
        ends after the message in its queue); later subscriptions end at once."""
        msg = Message(f"{self.epoch}-{self._n}", "shutdown", b"{}")
        self.closed = True
        for sub in list(self._subscribers):
            sub.dropped = True
            with contextlib.suppress(asyncio.QueueFull):
                sub.queue.put_nowait(msg)
        self._subscribers.clear()

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)

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

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)
