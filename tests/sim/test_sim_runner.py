"""The runner against a real HTTP server on loopback: batching, retry with the same ids, refusal, stop."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fairwatch.clock import FakeClock
from fairwatch.sim import SendRefused, run, scenario

START = 1_780_000_000.0


@dataclass
class Recorder:
    """What the server saw; `replies` are the statuses to answer with, in order (then 202)."""

    replies: list[int] = field(default_factory=list)
    bodies: list[list[dict[str, Any]]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    auth: set[str] = field(default_factory=set)

    def accepted_ids(self) -> list[str]:
        pairs = zip(self.statuses, self.bodies, strict=True)
        return [e["id"] for status, body in pairs if status == 202 for e in body]


def app_for(recorder: Recorder) -> Starlette:
    async def events(request: Request) -> Response:
        recorder.auth.add(request.headers.get("authorization", ""))
        recorder.bodies.append(json.loads(await request.body()))
        status = recorder.replies.pop(0) if recorder.replies else 202
        recorder.statuses.append(status)
        if status == 503:
            return JSONResponse({"detail": "overloaded"}, status, headers={"Retry-After": "2"})
        return JSONResponse({"detail": "ok" if status == 202 else "no"}, status)

    return Starlette(routes=[Route("/api/v1/events", events, methods=["POST"])])


def free_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def base_url(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


@asynccontextmanager
async def serving(recorder: Recorder, sock: socket.socket) -> AsyncIterator[str]:
    """Serve the recording app on `sock` with uvicorn; yield its base URL."""
    server = uvicorn.Server(uvicorn.Config(app_for(recorder), log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield base_url(sock)
    finally:
        server.should_exit = True
        await task


@dataclass
class FakeSleep:
    """Moves the fake clock instead of waiting and remembers every pause. `on_first` runs on the first pause;
    from `block_from` on, a pause never ends by itself (a long real sleep) and sets `blocked`."""

    clock: FakeClock
    pauses: list[float] = field(default_factory=list)
    on_first: Callable[[], Awaitable[None]] | None = None
    block_from: float | None = None
    blocked: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)
        if len(self.pauses) == 1 and self.on_first is not None:
            await self.on_first()
        if self.block_from is not None and self.clock.now() >= self.block_from:
            self.blocked.set()
            await asyncio.Event().wait()
        self.clock.advance(seconds)
        await asyncio.sleep(0)


def expected_ids(name: str, seconds: float) -> list[str]:
    events = itertools.takewhile(lambda item: item[0] < START + seconds, scenario(name, START))
    return [e["id"] for _, e in events]


async def test_503_is_retried_with_the_same_ids_after_retry_after() -> None:
    recorder = Recorder(replies=[503])
    clock = FakeClock(START)
    sleep = FakeSleep(clock)
    async with serving(recorder, free_socket()) as url:
        stats = await run(url, "t0k", "riverside", clock=clock, sleep=sleep, duration=20.0)
    assert recorder.statuses[:2] == [503, 202]
    assert [e["id"] for e in recorder.bodies[1]] == [e["id"] for e in recorder.bodies[0]]
    assert recorder.bodies[1] == recorder.bodies[0]
    assert sleep.pauses[0] == 2.0  # the server's Retry-After
    assert recorder.accepted_ids() == expected_ids("riverside", 20.0)
    assert recorder.auth == {"Bearer t0k"}
    assert (stats.sent, stats.retries) == (len(expected_ids("riverside", 20.0)), 1)


async def test_connection_refused_is_retried_until_the_server_comes_up() -> None:
    recorder = Recorder()
    sock = free_socket()  # bound but not listening: connections are refused until uvicorn takes it
    clock = FakeClock(START)
    async with AsyncExitStack() as later:

        async def start_server() -> None:
            await later.enter_async_context(serving(recorder, sock))

        sleep = FakeSleep(clock, on_first=start_server)
        stats = await run(base_url(sock), "t", "quiet", clock=clock, sleep=sleep, duration=10.0)
    assert sleep.pauses[0] == 0.5  # our own first backoff step
    assert stats.retries == 1
    assert recorder.accepted_ids() == expected_ids("quiet", 10.0)


async def test_fast_streams_go_in_batches() -> None:
    recorder = Recorder()
    clock = FakeClock(START)
    async with serving(recorder, free_socket()) as url:
        await run(url, "t", "burst", clock=clock, sleep=FakeSleep(clock), batch_window=0.5, duration=1.0)
    sizes = [len(b) for b in recorder.bodies]
    assert max(sizes) == 1000  # MAX_BATCH
    assert len(sizes) <= 8  # ~5,000 events in 1 s; not one request per event
    assert recorder.accepted_ids() == expected_ids("burst", 1.0)


async def test_a_refused_batch_stops_the_run() -> None:
    recorder = Recorder(replies=[401])
    clock = FakeClock(START)
    async with serving(recorder, free_socket()) as url, httpx.AsyncClient() as client:
        with pytest.raises(SendRefused) as info:
            await run(
                url, "wrong", "quiet", clock=clock, sleep=FakeSleep(clock), duration=10.0, client=client
            )
        assert not client.is_closed  # a caller's client is left open
    assert info.value.status == 401
    assert str(info.value) == 'server refused the batch with HTTP 401: {"detail":"no"}'
    assert len(recorder.bodies) == 1


async def test_stop_ends_a_run_without_duration_even_mid_sleep() -> None:
    recorder = Recorder()
    clock = FakeClock(START)
    stop = asyncio.Event()
    sleep = FakeSleep(clock, block_from=START + 15)

    async def stop_when_asleep() -> None:
        await sleep.blocked.wait()
        stop.set()

    async with serving(recorder, free_socket()) as url:
        stopper = asyncio.create_task(stop_when_asleep())
        await run(url, "t", "riverside", clock=clock, sleep=sleep, stop=stop)
        await stopper
    asleep_at = clock.now() - START
    assert 15 <= asleep_at < 16
    # everything due by the time it fell asleep, in order, once; nothing after
    assert recorder.accepted_ids() == expected_ids("riverside", asleep_at + 1e-6)
