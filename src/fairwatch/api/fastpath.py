"""The ASGI entry point. `POST /api/v1/events` is the hot path: it skips FastAPI's middleware and dependency
machinery (about half the per-request CPU at 8,000 single-event requests/s) and runs the same handler and the
same authentication directly. Everything else, including the OpenAPI description of that route, is FastAPI's."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from fairwatch.access import Permission
from fairwatch.api.auth import authorize
from fairwatch.api.errors import error_body, json_response, unexpected_body
from fairwatch.api.routes import ingest_events
from fairwatch.errors import FairwatchError

EVENTS_PATH = "/api/v1/events"


class Entry:
    """Dispatches the ingest hot path; forwards every other scope (HTTP, lifespan) to the FastAPI app."""

    def __init__(self, api: FastAPI) -> None:
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == EVENTS_PATH:
            await self._ingest(scope, receive, send)
        else:
            await self.api(scope, receive, send)

    async def _ingest(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self.api  # handlers read request.app.state.ctx
        request = Request(scope, receive)
        try:
            authorize(request, Permission.INGEST)
            response = await ingest_events(request)
        except FairwatchError as exc:
            status, body, headers = error_body(exc)
            response = json_response(body, status, headers)
        except Exception as exc:  # a bug or a foreign failure: logged with a correlation id, never echoed
            status, body, headers = unexpected_body(exc)
            response = json_response(body, status, headers)
        await response(scope, receive, send)
