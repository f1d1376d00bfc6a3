"""The one place that maps exceptions to HTTP responses.

Fairwatch errors map by type (`error_body`); anything else is a bug or a foreign failure: it is logged with a
correlation id and answered 500 with that id only (`unexpected_body`), never with its text. Every 503 carries
`Retry-After`.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from fairwatch.errors import (
    BadJSON,
    Conflict,
    FairwatchError,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    Overloaded,
    PolicyViolation,
    StaleWrite,
    StoreUnavailable,
    Unauthorized,
    Unstorable,
)

log = logging.getLogger(__name__)
DEFAULT_RETRY_AFTER = "1"  # for a 503 whose cause names no better wait


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response serialised with orjson."""
    return Response(orjson.dumps(body), status, headers=headers, media_type="application/json")


class PayloadTooLarge(FairwatchError):
    """Body over the size limit."""


class UnsupportedMediaType(FairwatchError):
    """Wrong Content-Type."""


def error_body(exc: FairwatchError) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Status, JSON body and headers for a Fairwatch error."""
    headers: dict[str, str] = {}
    if isinstance(exc, BadJSON):
        return (
            400,
            {"error": "bad_json", "message": exc.detail, "line": exc.line, "column": exc.column},
            headers,
        )
    if isinstance(exc, InvalidInput | PolicyViolation):
        problems = [p.as_dict() for p in exc.problems]
        summary = exc.summary if isinstance(exc, InvalidInput) else "refused by the rights guard"
        return 422, {"error": "invalid", "message": summary, "problems": problems}, headers
    if isinstance(exc, StaleWrite):
        body: dict[str, Any] = {"error": "stale_write", "message": str(exc), "object": exc.object}
        return 409, body | {"expected_version": exc.expected, "found_version": exc.found}, headers
    if isinstance(exc, Unstorable):
        problems = [p.as_dict() for p in exc.problems]
        body = {"error": "unstorable", "message": str(exc), "problems": problems}
        return 422, body | {"correlation_id": exc.correlation_id}, headers
    if isinstance(exc, Conflict):
        return (
            409,
            {"error": "conflict", "message": str(exc), "state": exc.state, "allowed": exc.allowed},
            headers,
        )
    if isinstance(exc, Overloaded | StoreUnavailable):
        headers["Retry-After"] = str(exc.retry_after)
        code = "overloaded" if isinstance(exc, Overloaded) else "store_unavailable"
        return 503, {"error": code, "message": str(exc)}, headers
    status, code = _SIMPLE.get(type(exc), (500, "error"))
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    return status, {"error": code, "message": str(exc)}, headers


_SIMPLE: dict[type[FairwatchError], tuple[int, str]] = {
    NotFound: (404, "not_found"),
    Gone: (410, "gone"),
    Unauthorized: (401, "unauthorized"),
    Forbidden: (403, "forbidden"),
    PayloadTooLarge: (413, "too_large"),
    UnsupportedMediaType: (415, "unsupported_media_type"),
}


def unexpected_body(exc: BaseException) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Log an unexpected error under a new correlation id; 500 with the id and nothing of the error's text."""
    cid = secrets.token_hex(6)
    log.error("unexpected error [correlation_id=%s]", cid, exc_info=exc)
    message = "unexpected server error; quote the correlation id when reporting it"
    return 500, {"error": "internal", "message": message, "correlation_id": cid}, {}


def install(app: FastAPI) -> None:
    """Register the handlers on `app`."""

    async def on_fairwatch(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FairwatchError)
        status, body, headers = error_body(exc)
        handler = request.app.state.ctx.html_error
        if handler is not None:
            html = handler(request, status, body)
            if html is not None:
                html.headers.update(headers)
                return html  # type: ignore[no-any-return]
        return json_response(body, status, headers)

    async def on_validation(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = [
            {
                "index": None,
                "field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]),
                "value": e.get("input"),
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
        return json_response({"error": "invalid", "message": "invalid request", "problems": problems}, 422)

    async def on_http(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 503:
            headers.setdefault("Retry-After", DEFAULT_RETRY_AFTER)
        return json_response({"error": "http", "message": exc.detail}, exc.status_code, headers)

    async def on_unexpected(_request: Request, exc: Exception) -> Response:
        status, body, headers = unexpected_body(exc)
        return json_response(body, status, headers)

    app.add_exception_handler(FairwatchError, on_fairwatch)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
