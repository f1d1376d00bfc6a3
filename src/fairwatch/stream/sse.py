"""`GET /api/v1/stream`: Server-Sent Events of every alarm change, resumable with Last-Event-ID.

A stream sends `event: heartbeat` every `stream_heartbeat` seconds and re-checks its caller's credentials then
(`access.still_valid`), so a token revoked or a user disabled by another process (the CLI) also ends it; in this
process, sign-out, disabling and revocation end matching streams at once through `Hub.end_streams`. A stream the hub
ended gets a last `event: shutdown` (server stopping) or `event: access-ended` (sign in again) and is closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

from fastapi import Depends, FastAPI, Request
from starlette.responses import Response, StreamingResponse

from fairwatch.access import Principal, still_valid
from fairwatch.clock import Clock
from fairwatch.errors import Overloaded
from fairwatch.model import Role
from fairwatch.settings import Settings
from fairwatch.store import Store
from fairwatch.stream.hub import Ended, Hub, Subscription

PATH = "/api/v1/stream"
HEARTBEAT = b"event: heartbeat\ndata: {}\n\n"
RETRY_AFTER = 5  # seconds a client is told to wait when the server is stopping


class StreamContext(Protocol):
    """What the stream endpoint needs of the app's context."""

    hub: Hub
    store: Store
    clock: Clock
    settings: Settings


Requires = Callable[[Role], Callable[[Request], Awaitable[Principal]]]


def install(
    asgi: FastAPI,
    ctx: StreamContext,
    requires: Requires,
    responses: dict[int | str, dict[str, Any]] | None = None,
) -> None:
    """Register the stream endpoint on `asgi` (viewers and above); `responses` describes its answers in OpenAPI."""

    async def stream(request: Request, principal: Principal = Depends(requires(Role.VIEWER))) -> Response:
        if not ctx.hub.accepting:
            raise Overloaded("the server is stopping; reconnect shortly", RETRY_AFTER)
        last = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
        sub, missed, reset = ctx.hub.subscribe(last, principal)
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        body = _events(ctx, sub, missed, reset)
        return StreamingResponse(body, media_type="text/event-stream", headers=headers)

    asgi.add_api_route(
        PATH,
        stream,
        methods=["GET"],
        summary="Server-Sent Events: every alarm change; resumable with Last-Event-ID",
        responses=responses,
    )


async def _events(
    ctx: StreamContext, sub: Subscription, missed: list[Any], reset: bool
) -> AsyncIterator[bytes]:
    try:
        yield b"retry: 1000\n\n"
        if reset:
            yield b"event: reset\ndata: {}\n\n"
        for msg in missed:
            yield msg.encode()
        while not sub.dropped:
            if sub.ended is not None:
                yield _last(sub.ended)
                return
            try:
                msg = await asyncio.wait_for(sub.queue.get(), timeout=ctx.settings.stream_heartbeat)
            except TimeoutError:
                if sub.owner is not None and not still_valid(ctx.store, sub.owner, ctx.clock.now()):
                    yield _last(Ended.ACCESS)
                    return
                yield HEARTBEAT
                continue
            if msg.id:  # not the hub's wake-up
                yield msg.encode()
    finally:
        ctx.hub.unsubscribe(sub)


def _last(why: Ended) -> bytes:
    return b"event: " + why.value.encode() + b'\ndata: {"reason": "' + why.value.encode() + b'"}\n\n'
