"""The one exception -> response mapper: every 503 carries Retry-After, a refused value carries its correlation
id, and an unexpected error is logged under a correlation id and answered without its text."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI
from starlette.exceptions import HTTPException

from fairwatch.api import errors
from fairwatch.errors import FairwatchError, Overloaded, Problem, StoreUnavailable, Unstorable

SECRET = "password=hunter2 in SELECT * FROM users"

# (case id, error, status, Retry-After)
UNAVAILABLE = [
    ("store-full", StoreUnavailable("database disk is full", 5), 503, "5"),
    ("store-default", StoreUnavailable("database write failed"), 503, "1"),
    ("overloaded", Overloaded("queue full", 2), 503, "2"),
]


@pytest.mark.parametrize(
    ("exc", "status", "retry"), [c[1:] for c in UNAVAILABLE], ids=[c[0] for c in UNAVAILABLE]
)
def test_every_503_has_retry_after(exc: FairwatchError, status: int, retry: str) -> None:
    got, body, headers = errors.error_body(exc)
    assert (got, headers["Retry-After"], body["message"]) == (status, retry, str(exc))


def test_a_refused_value_names_the_item_and_the_correlation_id() -> None:
    exc = Unstorable("0 of 1 events stored", [Problem("event", "e1", "cannot hold", 0)], "abc123")
    status, body, _ = errors.error_body(exc)
    assert status == 422
    assert body == {
        "error": "unstorable",
        "message": "0 of 1 events stored",
        "problems": [{"index": 0, "field": "event", "value": "e1", "message": "cannot hold"}],
        "correlation_id": "abc123",
    }


def app_raising(exc: Exception) -> FastAPI:
    app = FastAPI()
    app.state.ctx = SimpleNamespace(html_error=None)
    errors.install(app)

    @app.get("/boom")
    async def boom() -> None:
        raise exc

    return app


def get(app: FastAPI, path: str) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    return asyncio.run(go())


def test_an_unexpected_error_is_logged_with_an_id_and_never_echoed(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="fairwatch.api.errors")
    r = get(app_raising(RuntimeError(SECRET)), "/boom")
    assert r.status_code == 500
    body = r.json()
    assert set(body) == {"error", "message", "correlation_id"} and body["error"] == "internal"
    assert SECRET not in r.text and "RuntimeError" not in r.text
    [record] = [rec for rec in caplog.records if body["correlation_id"] in rec.getMessage()]
    assert record.exc_info is not None and SECRET in str(record.exc_info[1])


def test_a_503_http_exception_gets_retry_after() -> None:
    r = get(app_raising(HTTPException(503, "down")), "/boom")
    assert (r.status_code, r.headers["Retry-After"]) == (503, errors.DEFAULT_RETRY_AFTER)
