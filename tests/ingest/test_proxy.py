"""The relay of `serve --workers N`: a request reaches the writer's HTTP server on its Unix socket as it was sent
(method, path, query, body), the answer comes back as it was, and the writer sees the real caller's address,
never one a caller wrote into the peer header itself."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from fairwatch.ingest.proxy import PEER_HEADER, Peer, Proxy


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    """The writer's stand-in: answers with what it received."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    seen = {
        "method": scope["method"],
        "path": scope["path"],
        "query": scope["query_string"].decode(),
        "client": list(scope["client"]) if scope.get("client") else None,
        "peer_headers": [v.decode() for k, v in scope["headers"] if k == PEER_HEADER.encode()],
        "body": body.decode(),
    }
    await send({"type": "http.response.start", "status": 207, "headers": [(b"x-echo", b"yes")]})
    await send({"type": "http.response.body", "body": orjson.dumps(seen)})


@pytest.fixture
async def relay(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    path = tmp_path / "http.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    server = uvicorn.Server(uvicorn.Config(Peer(echo), log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    proxy = Proxy(path)
    transport = httpx.ASGITransport(app=proxy, client=("203.0.113.7", 40001))
    async with httpx.AsyncClient(transport=transport, base_url="http://fairwatch") as client:
        yield client
    await proxy.close()
    server.should_exit = True
    await serving


async def test_a_request_is_relayed_as_sent_with_the_callers_address(relay: httpx.AsyncClient) -> None:
    r = await relay.post("/signin?next=%2Fusers", content=b"username=ada", headers={PEER_HEADER: "6.6.6.6:1"})
    assert (r.status_code, r.headers["x-echo"]) == (207, "yes")
    assert r.json() == {
        "method": "POST",
        "path": "/signin",
        "query": "next=%2Fusers",
        "client": ["203.0.113.7", 40001],  # the relayed caller, not the forged header
        "peer_headers": ["203.0.113.7:40001"],
        "body": "username=ada",
    }


async def test_the_writer_gone_is_a_503_with_retry_after(tmp_path: Path) -> None:
    proxy = Proxy(tmp_path / "nobody-listens.sock")
    transport = httpx.ASGITransport(app=proxy)
    async with httpx.AsyncClient(transport=transport, base_url="http://fairwatch") as client:
        r = await client.get("/api/v1/alarms")
    await proxy.close()
    assert (r.status_code, r.headers["retry-after"], r.json()["error"]) == (503, "1", "store_unavailable")
