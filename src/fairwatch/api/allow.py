"""The `Allow` header of a 405 lists every method the path answers, not only those of the first route that matched.

Starlette answers a wrong method with the methods of the first route whose path matches; a path served by several
routes (GET and POST /api/v1/silences are registered apart) would name only one of them (RFC 9110 section 15.5.6).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class AllowHeader:
    """ASGI middleware: rewrites `Allow` on 405 answers from the routes of the app serving the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                allowed = ", ".join(sorted(allowed_methods(scope["app"].router.routes, scope)))
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                message = {**message, "headers": [*headers, (b"allow", allowed.encode())]}
            await send(message)

        await self.app(scope, receive, send_allow)


def allowed_methods(routes: Iterable[Any], scope: Scope) -> set[str]:
    """Every method of the routes whose path matches the request's."""
    methods: set[str] = set()
    for route in flat_routes(routes):
        found = getattr(route, "methods", None)
        if found and route.matches(scope)[0] is not Match.NONE:
            methods |= set(found)
    return methods


def flat_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """Routes with included routers opened up (FastAPI keeps an included router as one lazy entry)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from flat_routes(inner.routes) if inner is not None else [route]
