"""Answer `wire.Command`s (operator writes forwarded by an edge) with the partition's own ASGI app, in process.

A tiny ASGI call, no network: the request as the edge received it (method, path with query, headers, body)
goes through the owner's API, so authentication, role checks, the alarm version compare-and-set (`If-Match`,
409) and the rights guard run where the state lives; the reply is the API's status, headers and body.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

from fairwatch.cluster.wire import Command, Reply

ASGIApp = Any  # an ASGI 3 application (the partition's FastAPI app)


async def call(app: ASGIApp, command: Command) -> Reply:
    """Run `command` through `app` and return its answer."""
    path, _, query = command.path.partition("?")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": command.method.upper(),
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in command.headers],
        "client": ("127.0.0.1", 0),
        "server": ("fairwatch-worker", 0),
    }
    sent_body = False
    done = asyncio.Event()
    status = 500
    headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": command.body, "more_body": False}
        await done.wait()  # nobody disconnects from an in-process call before the answer is complete
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
            headers.extend((k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                done.set()

    try:
        await app(scope, receive, send)
    finally:
        done.set()
    return Reply(status, headers, b"".join(chunks))
