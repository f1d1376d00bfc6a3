"""The parts of the OpenAPI description FastAPI cannot infer: hand-read bodies and every answer a route can give."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from fairwatch.api.allow import flat_routes
from fairwatch.events.inputs import MAX_DEPTH

# Names and identifiers hold no control characters; free text may hold tab, line feed and carriage return.
# (A store cannot hold NUL or a lone surrogate: docs/reliability.md.)
NAME_PATTERN = "^[^\\u0000-\\u001f]*$"
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f]*$"


def _name(max_length: int = 128, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": NAME_PATTERN, **extra}


def _text(max_length: int = 4000, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "maxLength": max_length, "pattern": TEXT_PATTERN, **extra}


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional field: null means absent, as the validators read it."""
    return {"anyOf": [schema, {"type": "null"}]}


# A `data` value is a scalar or a flat array or object of scalars (events.validate: at most 2 levels).
_SCALAR: dict[str, Any] = {"anyOf": [_text(), {"type": ["number", "boolean", "null"]}]}
_DATA_VALUE: dict[str, Any] = {
    "anyOf": [
        _SCALAR,
        {"type": "array", "items": _SCALAR},
        {"type": "object", "propertyNames": {"pattern": NAME_PATTERN}, "additionalProperties": _SCALAR},
    ]
}


EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["source", "type"],
    "additionalProperties": False,
    "properties": {
        "id": _or_null(_name(description="Idempotency key; a UUID is assigned if absent")),
        "source": _name(),
        "type": {"type": "string", "maxLength": 128, "pattern": r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$"},
        "time": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "At most 5 minutes ahead of the server's clock and at most `event_max_age_days`"
            " (default 7) behind it",
        },
        "site": _or_null(_name()),
        "zone": _or_null(_name()),
        "value": {"type": ["number", "null"]},
        "location": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["lat", "lon"],
                    "additionalProperties": False,
                    "properties": {
                        "lat": {"type": "number", "minimum": -90, "maximum": 90},
                        "lon": {"type": "number", "minimum": -180, "maximum": 180},
                    },
                },
                {
                    "type": "object",
                    "required": ["x", "y"],
                    "additionalProperties": False,
                    "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                },
            ]
        },
        "data": {
            "type": ["object", "null"],
            "description": "At most 4 KiB serialized; values nest at most 2 levels; keys are names, strings"
            " are free text",
            "propertyNames": {"pattern": NAME_PATTERN},
            "additionalProperties": _DATA_VALUE,
        },
    },
}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "additionalProperties": False, **schema}
    required = bool(schema.get("required"))  # ack alone may be sent without a body
    return {"requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}}


_DISPOSITIONS = ["handled", "false_alarm", "duplicate", "test"]

ACTION_BODIES: dict[str, dict[str, Any]] = {
    "ack": _body({"properties": {"cascade": {"type": "boolean"}}}),
    "assign": _body({"required": ["to"], "properties": {"to": _name()}}),
    "comment": _body({"required": ["text"], "properties": {"text": _text(minLength=1)}}),
    "resolve": _body(
        {
            "required": ["disposition"],
            "properties": {
                "disposition": {"type": "string", "enum": _DISPOSITIONS},
                "note": _or_null(_text()),
                "cascade": {"type": "boolean"},
            },
        }
    ),
    "reopen": _body({"required": ["reason"], "properties": {"reason": _text(minLength=1)}}),
    "shelve": _body(
        {
            "required": ["minutes", "reason"],
            "properties": {
                "minutes": {"type": "integer", "minimum": 1, "maximum": 720},
                "reason": _text(1000, minLength=1),
            },
        }
    ),
    "unshelve": _body({"properties": {}}),
}


def _query(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


# GET /api/v1/alarms reads its filters itself (one 422 naming the parameter); described here.
LIST_PARAMETERS: list[dict[str, Any]] = [
    _query("state", "Comma-separated states", type="string"),
    _query("severity", "Comma-separated severities", type="string"),
    _query("zone", "Comma-separated zone ids", type="string"),
    _query("type", "Comma-separated alarm types", type="string"),
    _query("active", "Whether the condition is present", type="boolean"),
    _query("since", "Last seen at or after (RFC 3339)", type="string", format="date-time"),
    _query("until", "First seen at or before (RFC 3339)", type="string", format="date-time"),
    _query(
        "q",
        "Free text: every word is found in the type or its name (any language), the zone or its name, a source,"
        " the explanation, or a comment, resolution note or reason (case-insensitive substring)",
        type="string",
        maxLength=200,
    ),
    _query("children", "include: also flood children", type="string", enum=["include", "hide"]),
    _query("limit", "Page size", type="integer", minimum=1, maximum=500),
    _query("cursor", "The `next` of the previous page", type="string"),
]

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "problems": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "index": {"type": ["integer", "null"]},
                    "field": {"type": "string"},
                    "value": {},
                    "message": {"type": "string"},
                },
            },
        },
    },
}

_WHY = {
    200: "OK",
    201: "Created",
    202: "Committed: {accepted, duplicates}",
    400: "The body is not JSON (names line and column)",
    401: "Missing or invalid credentials",
    403: "The caller's role may not do this",
    404: "No such object",
    409: "The action is not allowed in the object's current state (names the state and the allowed actions)",
    413: "The body is over the size limit",
    415: "Content-Type is not application/json",
    422: f"Invalid input; `problems` names every field, its value and why (characters a store cannot hold,"
    f" nesting past {MAX_DEPTH} levels, ids past 2^63-1 included)",
    503: "Overloaded (with Retry-After) or the store is unavailable",
}


def responses(*codes: int, ok: dict[str, Any] | None = None) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of a route answering `codes`; errors carry the one error body."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        entry: dict[str, Any] = {"description": _WHY[code]}
        if code >= 400:
            entry["content"] = {"application/json": {"schema": ERROR_SCHEMA}}
        else:
            entry["content"] = {"application/json": {"schema": {"type": "object"}}}
        out[code] = entry
    for code_text, entry in (ok or {}).items():
        out[code_text] = entry
    return out


def install(app: FastAPI) -> None:
    """Complete the description FastAPI generates with the answers every route can give (see `complete`)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            complete(generate(), app.routes)
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def complete(spec: dict[str, Any], routes: Iterable[Any]) -> dict[str, Any]:
    """Add to each operation of `spec` the error answers the one error mapper gives it, without replacing any.

    A route that needs a role answers 401 and 403 (and 503 when the store fails); a path parameter gives 404 and
    422; any parameter or body gives 422; a body gives 400, 413 and 415. FastAPI's own 422 shape is replaced by
    ours, since `api.errors` answers every validation error with the one error body.
    """
    for route in flat_routes(routes):
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods or ():
            op = spec["paths"].get(route.path_format, {}).get(method.lower())
            if op is not None:
                _complete_operation(op, public=bool(getattr(route.endpoint, "public", False)))
    return spec


def _complete_operation(op: dict[str, Any], *, public: bool) -> None:
    codes: set[int] = set()
    params = op.get("parameters", [])
    if not public:
        codes |= {401, 403, 503}
    if any(p["in"] == "path" for p in params):
        codes |= {404, 422}
    if params:
        codes.add(422)
    if "requestBody" in op:
        codes |= {400, 413, 415, 422}
    given = op.setdefault("responses", {})
    if "422" in given and "HTTPValidationError" in str(given["422"]):
        del given["422"]
    for code, entry in responses(*sorted(codes)).items():
        given.setdefault(str(code), entry)
