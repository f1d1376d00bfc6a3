"""Send a scenario to a Fairwatch server in real time: batches of due events, retried until accepted."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import httpx

from fairwatch.clock import Clock
from fairwatch.errors import FairwatchError
from fairwatch.sim.scenarios import scenario
from fairwatch.sim.streams import SimEvent

Sleep = Callable[[float], Awaitable[None]]

MAX_BATCH = 1000  # the server takes up to 5,000; smaller batches keep each commit short
RETRY_FIRST = 0.5  # seconds; doubles per attempt
RETRY_MAX = 30.0
RETRY_STATUS = frozenset({429, 502, 503, 504})


class SendRefused(FairwatchError):
    """The server refused a batch for a reason retrying cannot fix (bad token, invalid events)."""

    def __init__(self, status: int, body: str) -> None:
        self.status = status
        self.body = body
        super().__init__(f"server refused the batch with HTTP {status}: {body[:500]}")


@dataclass(slots=True)
class RunStats:
    """What a run did; `retries` counts failed attempts that were retried."""

    sent: int = 0
    batches: int = 0
    retries: int = 0


async def run(
    url: str,
    token: str,
    scenario_name: str,
    *,
    clock: Clock,
    sleep: Sleep,
    batch_window: float = 0.5,
    stop: asyncio.Event | None = None,
    seed: int = 1,
    duration: float | None = None,
    client: httpx.AsyncClient | None = None,
) -> RunStats:
    """Post scenario events to `{url}/api/v1/events` as they fall due, until `stop` or `duration` ends it."""
    stop = stop if stop is not None else asyncio.Event()
    start = clock.now()
    sender = _Sender(url.rstrip("/") + "/api/v1/events", token, sleep, stop)
    events = scenario(scenario_name, start, seed)
    if duration is not None:
        events = itertools.takewhile(lambda item: item[0] < start + duration, events)
    async with _client(client) as http:
        await _loop(http, sender, events, clock, batch_window)
    return sender.stats


def _client(client: httpx.AsyncClient | None) -> AbstractAsyncContextManager[httpx.AsyncClient]:
    """Our own client (closed at the end), or the caller's (left open)."""
    return nullcontext(client) if client is not None else httpx.AsyncClient(timeout=10.0)


async def _loop(
    http: httpx.AsyncClient,
    sender: _Sender,
    events: Iterator[SimEvent],
    clock: Clock,
    batch_window: float,
) -> None:
    pending = next(events, None)
    while pending is not None and not sender.stop.is_set():
        now = clock.now()
        batch: list[dict[str, Any]] = []
        while pending is not None and pending[0] <= now and len(batch) < MAX_BATCH:
            batch.append(pending[1])
            pending = next(events, None)
        if batch:
            await sender.post(http, batch)
            if len(batch) == MAX_BATCH:
                continue  # more may be due already (the warm start); no pause
        if pending is not None:
            # Waiting at least `batch_window` lets a fast stream gather into batches.
            await sender.pause(max(batch_window, pending[0] - clock.now()))


class _Sender:
    """Posts one batch until the server accepts it, backing off on connection errors and overload."""

    def __init__(self, url: str, token: str, sleep: Sleep, stop: asyncio.Event) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.sleep = sleep
        self.stop = stop
        self.stats = RunStats()

    async def post(self, http: httpx.AsyncClient, batch: list[dict[str, Any]]) -> None:
        """Send `batch` until accepted; a retry re-sends the same ids, which the server stores once."""
        delay = RETRY_FIRST
        while not self.stop.is_set():
            wait = await self._attempt(http, batch)
            if wait is None:
                self.stats.sent += len(batch)
                self.stats.batches += 1
                return
            self.stats.retries += 1
            await self.pause(wait if wait > 0 else delay)
            delay = min(delay * 2, RETRY_MAX)

    async def _attempt(self, http: httpx.AsyncClient, batch: list[dict[str, Any]]) -> float | None:
        """None if accepted; else seconds to wait (0 means use the backoff)."""
        try:
            response = await http.post(self.url, json=batch, headers=self.headers)
        except httpx.TransportError:
            return 0.0
        if response.status_code in RETRY_STATUS:
            return _retry_after(response)
        if response.is_success:
            return None
        raise SendRefused(response.status_code, response.text)

    async def pause(self, seconds: float) -> None:
        """Sleep, but wake as soon as `stop` is set."""
        if seconds <= 0:
            return
        nap = asyncio.ensure_future(self.sleep(seconds))
        halt = asyncio.ensure_future(self.stop.wait())
        await asyncio.wait({nap, halt}, return_when=asyncio.FIRST_COMPLETED)
        for task in (nap, halt):
            task.cancel()


def _retry_after(response: httpx.Response) -> float:
    """The server's Retry-After in seconds (capped), or 0 to use our own backoff."""
    try:
        return min(float(response.headers.get("retry-after", "0")), RETRY_MAX)
    except ValueError:
        return 0.0
