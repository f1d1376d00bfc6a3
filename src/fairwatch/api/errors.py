"""The one place that maps Fairwatch errors to HTTP responses."""

from __future__ import annotations

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
    InvalidInput,
    NotFound,
    Overloaded,
    PolicyViolation,
    StoreUnavailable,
    Unauthorized,
)


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
    if isinstance(exc, Conflict):
        return (
            409,
            {"error": "conflict", "message": str(exc), "state": exc.state, "allowed": exc.allowed},
            headers,
        )
    if isinstance(exc, Overloaded):
        headers["Retry-After"] = str(exc.retry_after)
        return 503, {"error": "overloaded", "message": str(exc)}, headers
    status, code = _SIMPLE.get(type(exc), (500, "error"))
    if isinstance(exc, Unauthorized):
        headers["WWW-Authenticate"] = "Bearer"
    return status, {"error": code, "message": str(exc)}, headers


_SIMPLE: dict[type[FairwatchError], tuple[int, str]] = {
    NotFound: (404, "not_found"),
    Unauthorized: (401, "unauthorized"),
    Forbidden: (403, "forbidden"),
    StoreUnavailable: (503, "store_unavailable"),
    PayloadTooLarge: (413, "too_large"),
    UnsupportedMediaType: (415, "unsupported_media_type"),
}


def install(app: FastAPI) -> None:
    """Register the handlers on `app`."""

    async def on_fairwatch(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FairwatchError)
        status, body, headers = error_body(exc)
        handler = request.app.state.ctx.html_error
        if handler is not None:
            html = handler(request, status, body)
            if html is not None:
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
        return json_response(
            {"error": "http", "message": exc.detail}, exc.status_code, dict(exc.headers or {})
        )

    app.add_exception_handler(FairwatchError, on_fairwatch)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
