"""A worker's way to everything but the ingest hot path (`serve --workers N`): each request is relayed as it is to
the writer process's HTTP server on a Unix socket, and its answer streamed back (event streams included, so SSE
fan-out stays in the writer, where the commits happen).

The caller's address travels in `PEER_HEADER`; the writer's server behind that socket (which only this user can
reach) takes it as the client address, so per-address limits (console sign-in) see the real caller.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PEER_HEADER = "x-fairwatch-peer"
_PEER = PEER_HEADER.encode()
_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer", "proxy-connection"}


class Proxy:
    """An ASGI app relaying HTTP requests to the server listening on the Unix socket `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            transport = httpx.AsyncHTTPTransport(uds=str(self.path))
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=64)
            self._client = httpx.AsyncClient(transport=transport, timeout=None, limits=limits)
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":  # websockets: none are served
            return
        request = self.client.build_request(
            scope["method"],
            _url(scope),
            headers=_headers(scope),
            content=_body(receive),
        )
        try:
            upstream = await self.client.send(request, stream=True)
        except httpx.TransportError:
            await _unavailable(send)
            return
        try:
            await _relay(upstream, receive, send)
        finally:
            await upstream.aclose()


class Peer:
    """In front of the writer's HTTP server on the Unix socket: the client address is the one the worker relayed
    (`PEER_HEADER`); only processes of this user can reach that socket."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            for key, value in scope["headers"]:
                if key == _PEER:
                    host, _, port = value.decode("latin-1").rpartition(":")
                    scope = {**scope, "client": (host, int(port) if port.isdigit() else 0)}
                    break
        await self.app(scope, receive, send)


def _url(scope: Scope) -> str:
    path: bytes = scope.get("raw_path") or scope["path"].encode()
    query: bytes = scope.get("query_string") or b""
    return "http://writer" + path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")


def _headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    headers = [(k, v) for k, v in scope["headers"] if k.decode("latin-1").lower() not in _HOP and k != _PEER]
    client = scope.get("client")
    if client:
        headers.append((PEER_HEADER.encode(), f"{client[0]}:{client[1]}".encode()))
    return headers


async def _body(receive: Receive):  # type: ignore[no-untyped-def]
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def _relay(upstream: httpx.Response, receive: Receive, send: Send) -> None:
    """Stream the answer; stop when the caller hangs up (an event stream ends only that way or at shutdown)."""
    headers = [(k, v) for k, v in upstream.headers.raw if k.decode("latin-1").lower() not in _HOP]
    await send({"type": "http.response.start", "status": upstream.status_code, "headers": headers})

    async def pump() -> None:
        async for chunk in upstream.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def hung_up() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    pumping, watching = asyncio.create_task(pump()), asyncio.create_task(hung_up())
    try:
        await asyncio.wait([pumping, watching], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (pumping, watching):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError, OSError):
                await task


async def _unavailable(send: Send) -> None:
    body = b'{"error":"store_unavailable","message":"the writer process is not reachable; retry"}'
    headers = [(b"content-type", b"application/json"), (b"retry-after", b"1")]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message: Message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
