"""HTTP routes of the run of show: read the phase (viewer), preview a switch (viewer), switch (supervisor).

phases sits below the API, so the app hands in its role check as `requires` (`fairwatch.api.auth.requires`).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import orjson
from fastapi import Depends, FastAPI, Request
from starlette.responses import Response

from fairwatch.access import Principal
from fairwatch.errors import InvalidInput, Problem
from fairwatch.events.inputs import decode_json
from fairwatch.hosting import Requires
from fairwatch.model import Role
from fairwatch.phases.service import PhaseService, check_reason

MAX_BODY = 16 * 1024
_BODY_KEYS = ("phase", "reason")


SWITCH_BODY = {  # the OpenAPI request body; `_switch_request` is the authority and names every problem
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["phase"],
                    "additionalProperties": False,
                    "properties": {"phase": {"type": "string", "minLength": 1}, "reason": {"type": "string"}},
                }
            }
        },
    }
}


def _json(body: Any) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


def add_routes(asgi: FastAPI, svc: PhaseService, requires: Requires) -> None:
    """Register GET/POST /api/v1/phase and GET /api/v1/phase/preview."""

    async def get_phase(_p: Any = Depends(requires(Role.VIEWER))) -> Response:
        return _json(svc.status())

    async def preview(request: Request, _p: Any = Depends(requires(Role.VIEWER))) -> Response:
        to = request.query_params.get("to")
        if not to:
            raise InvalidInput([Problem("to", to, "required query parameter is missing")], "invalid query")
        return _json(svc.preview(to))

    async def post_phase(request: Request, p: Principal = Depends(requires(Role.SUPERVISOR))) -> Response:
        phase, reason = _switch_request(await _body(request))
        await svc.switch(phase, p.name, reason)
        return _json(svc.status())

    tags: list[str | Enum] = ["phases"]
    asgi.add_api_route(
        "/api/v1/phase",
        get_phase,
        methods=["GET"],
        tags=tags,
        summary="The current phase and the run of show",
    )
    asgi.add_api_route(
        "/api/v1/phase",
        post_phase,
        methods=["POST"],
        tags=tags,
        summary="Switch phase now: {phase, reason} (supervisor; audited)",
        openapi_extra=SWITCH_BODY,
    )
    asgi.add_api_route(
        "/api/v1/phase/preview",
        preview,
        methods=["GET"],
        tags=tags,
        summary="What switching to ?to=<phase> changes: rules added, removed, changed",
    )


async def _body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_BODY:
        problem = Problem("body", None, f"must be at most {MAX_BODY} bytes")
        raise InvalidInput([problem], "invalid phase switch")
    return body


def _switch_request(body: bytes) -> tuple[str, str]:
    """(phase, reason) of a switch request; InvalidInput names every bad field."""
    data = decode_json(body)  # characters a store cannot hold and deep nesting are a 422 naming the field
    if not isinstance(data, dict):
        raise InvalidInput([Problem("body", None, "must be a JSON object")], "invalid phase switch")
    problems = [Problem(k, data[k], "unknown field") for k in data if k not in _BODY_KEYS]
    phase = data.get("phase")
    if not isinstance(phase, str) or not phase:
        problems.append(Problem("phase", phase, "required: the id of the phase to switch to"))
    if problems:
        raise InvalidInput(problems, "invalid phase switch")
    assert isinstance(phase, str)
    return phase, check_reason(data.get("reason"))
