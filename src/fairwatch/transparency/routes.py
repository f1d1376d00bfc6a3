"""Public routes: the taxonomy export and RFC 6962 proofs over the audit log (records themselves stay admin-only).

Errors are raised as `fairwatch.errors` types; the app's one error mapper turns them into responses.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from fairwatch.errors import InvalidInput, Problem
from fairwatch.transparency.service import Transparency

EXPORT_PATH = "/.well-known/alarm-taxonomy.json"
Handler = Callable[[Request], Awaitable[Response]]
# public data: any page or tool may fetch it, from any origin
HEADERS = {"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"}


def _json(body: bytes | Any) -> Response:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(data, media_type="application/json", headers=HEADERS)


def _optional(request: Request, name: str, least: int) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    # at most 18 digits: every size fits, and int() never sees a huge string
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18) or int(raw) < least:
        raise InvalidInput([Problem(name, raw[:40], f"must be an integer >= {least}")], "invalid query")
    return int(raw)


def _required(request: Request, name: str, least: int) -> int:
    found = _optional(request, name, least)
    if found is None:
        raise InvalidInput([Problem(name, None, "required query parameter is missing")], "invalid query")
    return found


def router(svc: Transparency) -> APIRouter:
    """The routes over `svc`; every one is public (deny-by-default test: `endpoint.public`)."""
    r = APIRouter()

    async def alarm_taxonomy(_request: Request) -> Response:
        return _json(await svc.document())

    async def head(_request: Request) -> Response:
        return _json(await svc.head())

    async def heads(_request: Request) -> Response:
        return _json(await svc.heads())

    async def inclusion(request: Request) -> Response:
        seq = _required(request, "seq", 1)
        return _json(await svc.inclusion(seq, _optional(request, "size", 1)))

    async def consistency(request: Request) -> Response:
        first = _required(request, "from", 0)
        return _json(await svc.consistency(first, _optional(request, "to", 0)))

    def query(*params: tuple[str, bool, int]) -> dict[str, Any]:
        schema = {"type": "integer", "maximum": 10**18 - 1}
        return {
            "responses": {"404": {"description": "The log holds no such record or tree size (yet)"}},
            "parameters": [
                {"name": n, "in": "query", "required": r, "schema": {**schema, "minimum": least}}
                for n, r, least in params
            ],
        }

    extra = {
        "/api/v1/transparency/inclusion": query(("seq", True, 1), ("size", False, 1)),
        "/api/v1/transparency/consistency": query(("from", True, 0), ("to", False, 0)),
    }
    table: list[tuple[str, Handler, str]] = [
        (EXPORT_PATH, alarm_taxonomy, "Every alarm type ever defined, policy, signed checkpoint, compliance"),
        ("/api/v1/transparency/head", head, "The live audit log's size and Merkle root (unsigned)"),
        ("/api/v1/transparency/heads", heads, "Every audit chain's live size and head hash (unsigned)"),
        ("/api/v1/transparency/inclusion", inclusion, "RFC 6962 inclusion proof: ?seq=N&size=M"),
        ("/api/v1/transparency/consistency", consistency, "RFC 6962 consistency proof: ?from=M&to=N"),
    ]
    for path, handler, summary in table:
        handler.public = True  # type: ignore[attr-defined]
        r.add_api_route(
            path,
            handler,
            methods=["GET"],
            summary=summary,
            tags=["transparency"],
            openapi_extra=extra.get(path),
        )
    return r
