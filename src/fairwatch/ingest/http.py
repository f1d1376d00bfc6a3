"""HTTP ingest's entry point. `POST /api/v1/events` is the hot path: it skips FastAPI's middleware and dependency
machinery (about half the per-request CPU at 8,000 single-event requests/s) and goes straight to its handler.
Everything else, including the OpenAPI description of that route, is FastAPI's.

Ingest sits below the API, so the handler (authentication, the role check, the API's handler and its error
bodies) is handed in by the app. An HTTP worker of `serve --workers N` uses the same entry with its own handler
(validate, then hand the events to the writer process) in front of the relay to the writer (`proxy.Proxy`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

EVENTS_PATH = "/api/v1/events"

Handler = Callable[[Request], Awaitable[Response]]


class Entry:
    """Dispatches the ingest hot path to `handler`; forwards every other scope (HTTP, lifespan) to `api`."""

    def __init__(self, api: ASGIApp, handler: Handler) -> None:
        self.api = api
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == EVENTS_PATH:
            scope["app"] = self.api  # handlers read request.app.state.ctx
            response = await self.handler(Request(scope, receive))
            await response(scope, receive, send)
        else:
            await self.api(scope, receive, send)
