"""The HTTP API (v1): the route table is `register`; handlers are thin and call the pipeline or the store."""

from __future__ import annotations

import base64
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from starlette.responses import Response

from fairwatch.access import Permission, Principal
from fairwatch.alarms import Action
from fairwatch.api import docs, openapi
from fairwatch.api.allow import AllowHeader
from fairwatch.api.auth import requires
from fairwatch.api.context import Context
from fairwatch.api.errors import DEFAULT_RETRY_AFTER, PayloadTooLarge, UnsupportedMediaType, json_response
from fairwatch.api.openapi import ACTION_BODIES, EVENT_SCHEMA, LIST_PARAMETERS, responses
from fairwatch.api.search import parse_search
from fairwatch.api.serialize import alarm_json, audit_json, event_json, occurrence_json, shelf_json
from fairwatch.errors import InvalidInput, NotFound, Problem
from fairwatch.events import MAX_BODY, decode_body, validate_events
from fairwatch.events.inputs import MAX_ID, decode_json, text_problem
from fairwatch.events.validate import EventsRefused, parse_time
from fairwatch.model import AlarmState, Role, Severity
from fairwatch.store import AlarmQuery, Shelf
from fairwatch.stream import sse

AlarmId = Annotated[int, Path(ge=1, le=MAX_ID, description="An alarm id")]

router = APIRouter(prefix="/api/v1")


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


async def read_json_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The raw body of a JSON request, refusing a wrong content type (415) or a body over `limit` (413)."""
    ctype = request.headers.get("content-type", "")
    if ctype.split(";", 1)[0].strip().lower() != "application/json":
        raise UnsupportedMediaType(f"Content-Type must be application/json (got {ctype or 'none'!r})")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"body of {declared} bytes exceeds the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/events",
    status_code=202,
    summary="Send events (one object or an array of up to 5,000)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            EVENT_SCHEMA,
                            {"type": "array", "items": EVENT_SCHEMA, "minItems": 1, "maxItems": 5000},
                        ]
                    }
                }
            },
        },
    },
    responses=responses(202, 400, 401, 403, 413, 415, 422, 503),
)
async def post_events(request: Request, _p: Principal = Depends(requires(Permission.INGEST))) -> Response:
    return await ingest_events(request)


async def ingest_events(request: Request) -> Response:
    """Validate a body of events, hand them to the writer and answer once they are committed."""
    ctx = ctx_of(request)
    body = await read_json_body(request)
    raw = decode_body(body)
    now = ctx.clock.now()
    try:
        max_age = ctx.settings.event_max_age_days * 86400.0
        events = validate_events(raw, now, max_age, schemas=ctx.schemas, zones=ctx.zones)
    except EventsRefused as exc:
        ctx.metrics.events.labels("rejected").inc(len(raw))
        ctx.metrics.rejected_by_transport.labels("http").inc(len(raw))
        ctx.metrics.refused.inc(exc.refused_by_policy)
        raise
    accepted, duplicates = await ctx.pipeline.submit(events)
    return json_response({"accepted": accepted, "duplicates": duplicates}, 202)


_MAX_LIMIT = 500


def _csv(request: Request, name: str, allowed: set[str] | None = None) -> tuple[str, ...]:
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    for value in values:
        problem = text_problem(name, value, free_text=False)
        if problem is not None:
            raise InvalidInput([problem], "invalid query")
    if allowed is not None:
        bad = [v for v in values if v not in allowed]
        if bad:
            message = f"must be one of {', '.join(sorted(allowed))}"
            raise InvalidInput([Problem(name, bad[0], message)], "invalid query")
    return tuple(values)


def _time(text: str | None, name: str) -> float | None:
    if text is None:
        return None
    when = parse_time(text)
    if when is None:
        raise InvalidInput([Problem(name, text, "must be an RFC 3339 timestamp")], "invalid query")
    return when


def alarm_query(request: Request, ctx: Context) -> AlarmQuery:
    """Parse the alarm list filters; a bad value is a 422 naming the parameter."""
    q = request.query_params
    active: bool | None = None
    if "active" in q:
        if q["active"] not in ("true", "false"):
            raise InvalidInput([Problem("active", q["active"], "must be true or false")], "invalid query")
        active = q["active"] == "true"
    since, until = _time(q.get("since"), "since"), _time(q.get("until"), "until")
    if since is not None and until is not None and until < since:
        raise InvalidInput([Problem("until", q["until"], "must not be before since")], "invalid query")
    limit = 100
    if "limit" in q:
        if not q["limit"].isdigit() or not 1 <= int(q["limit"]) <= _MAX_LIMIT:
            raise InvalidInput([Problem("limit", q["limit"], f"must be 1 to {_MAX_LIMIT}")], "invalid query")
        limit = int(q["limit"])
    after = _decode_cursor(q["cursor"]) if "cursor" in q else None
    children = _csv(request, "children", {"include", "hide"})
    return AlarmQuery(
        states=_csv(request, "state", {s.value for s in AlarmState}),
        severities=_csv(request, "severity", {s.value for s in Severity}),
        zones=_csv(request, "zone"),
        types=_csv(request, "type"),
        active=active,
        since=since,
        until=until,
        search=parse_search(q["q"], ctx.incidents.taxonomy.all(), ctx.zone_names) if "q" in q else None,
        limit=limit,
        after=after,
        children="include" in children,  # flood children are hidden by default (docs/flood-control.md)
    )


def _encode_cursor(rank: int, first_seen: float, alarm_id: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([rank, -first_seen, alarm_id])).decode().rstrip("=")


def _decode_cursor(text: str) -> tuple[int, float, int]:
    try:
        rank, neg_first, alarm_id = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        cursor = int(rank), float(neg_first), int(alarm_id)
        if not (abs(cursor[0]) <= MAX_ID and abs(cursor[1]) < 1e15 and 0 <= cursor[2] <= MAX_ID):
            raise ValueError("out of range")
        return cursor
    except Exception:
        raise InvalidInput(
            [Problem("cursor", text, "is not a cursor this server issued")], "invalid query"
        ) from None


@router.get(
    "/alarms",
    summary="List alarms, most severe first, then newest; flood children only with children=include",
    openapi_extra={"parameters": LIST_PARAMETERS},
    responses=responses(200, 401, 403, 422, 503),
)
async def list_alarms(request: Request, _p: Principal = Depends(requires(Role.VIEWER))) -> Response:
    ctx = ctx_of(request)
    query = alarm_query(request, ctx)
    rows = ctx.store.list_alarms(query)
    nxt = None
    if len(rows) == query.limit:
        last = rows[-1]
        nxt = _encode_cursor(last.severity.rank, last.first_seen, last.id)
    ids = [a.id for a in rows]
    links = ctx.store.alarm_links(ids)
    levels = ctx.escalation_levels(ids)
    shelves = ctx.store.shelves(ids)
    alarms = [
        _with_shelf(alarm_json(a, links.get(a.id), level=levels.get(a.id, 0)), shelves.get(a.id))
        for a in rows
    ]
    return json_response({"alarms": alarms, "next": nxt})


def _with_shelf(body: dict[str, Any], shelf: Shelf | None) -> dict[str, Any]:
    """An alarm's JSON with its shelf (since, until, by whom, why) while it is shelved, else `"shelf": null`."""
    body["shelf"] = shelf_json(shelf) if shelf is not None else None
    return body


def alarm_detail(ctx: Context, alarm_id: int) -> dict[str, Any]:
    """An alarm with its occurrences, the events that raised it, and its full history."""
    alarm = ctx.store.get_alarm(alarm_id)
    if alarm is None:
        raise NotFound(f"alarm {alarm_id} not found")
    occ = ctx.store.occurrences(alarm_id, limit=200)
    ids: list[str] = []
    for o in occ:
        ids.extend(i for i in o.event_ids if i not in ids)
    history = ctx.store.history(f"alarm:{alarm_id}")
    children = ctx.store.children_of(alarm_id)
    links = ctx.store.alarm_links([alarm_id, *(c.id for c in children)])
    level = ctx.escalation_levels([alarm_id]).get(alarm_id, 0)
    body = _with_shelf(
        alarm_json(alarm, links.get(alarm_id), level=level), ctx.store.shelves([alarm_id]).get(alarm_id)
    )
    body["child_alarms"] = [alarm_json(c, links.get(c.id)) for c in children]
    body["occurrences"] = [occurrence_json(o) for o in occ]
    body["events"] = [event_json(e) for e in ctx.store.events_by_ids(ids[:200])]
    body["history"] = [audit_json(r) for r in history]
    body["comments"] = [
        {"time": h["time"], "actor": h["actor"], "text": h["details"].get("text")}
        for h in body["history"]
        if h["action"] == "alarm-commented"
    ]
    return body


@router.get(
    "/alarms/{alarm_id}",
    summary="One alarm with occurrences, events and full history",
    responses=responses(200, 401, 403, 404, 422, 503),
)
async def get_alarm(
    alarm_id: AlarmId, request: Request, _p: Principal = Depends(requires(Role.VIEWER))
) -> Response:
    return json_response(alarm_detail(ctx_of(request), alarm_id))


def _if_match(request: Request) -> int | None:
    """The alarm version the caller acted on (`If-Match: "3"`), or None when the header is absent."""
    raw = request.headers.get("if-match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit() or len(value) > 18:
        raise InvalidInput(
            [Problem("If-Match", raw[:50], 'must be an alarm version, like "3"')], "invalid If-Match"
        )
    return int(value)


async def _act(request: Request, alarm_id: int, action: Action, principal: Principal) -> Response:
    ctx = ctx_of(request)
    params: dict[str, Any] = {}
    if request.headers.get("content-length") not in (None, "0"):
        doc = decode_json(await read_json_body(request, 64 * 1024))
        if not isinstance(doc, dict):
            raise InvalidInput(
                [Problem("body", None, "must be a JSON object")], f"invalid {action.value} request"
            )
        params = doc
    alarms = ctx.pipeline.alarms
    expected = _if_match(request)
    alarm = await ctx.pipeline.call(
        lambda txn, now: alarms.act(txn, alarm_id, action, principal.name, params, now, expected)
    )
    body = alarm_json(alarm, ctx.store.alarm_links([alarm_id]).get(alarm_id))
    return json_response(_with_shelf(body, ctx.store.shelves([alarm_id]).get(alarm_id)))


@router.post(
    "/alarms/{alarm_id}/ack",
    summary="Acknowledge: {cascade} also acknowledges its flood children",
    openapi_extra=ACTION_BODIES["ack"],
    responses=responses(200, 400, 401, 403, 404, 409, 413, 415, 422, 503),
)
async def ack(
    alarm_id: AlarmId, request: Request, p: Principal = Depends(requires(Role.OPERATOR))
) -> Response:
    return await _act(request, alarm_id, Action.ACK, p)


@router.post(
    "/alarms/{alarm_id}/assign",
    summary="Assign to someone: {to}",
    openapi_extra=ACTION_BODIES["assign"],
    responses=responses(200, 400, 401, 403, 404, 409, 413, 415, 422, 503),
)
async def assign(
    alarm_id: AlarmId, request: Request, p: Principal = Depends(requires(Role.OPERATOR))
) -> Response:
    return await _act(request, alarm_id, Action.ASSIGN, p)


@router.post(
    "/alarms/{alarm_id}/comment",
    summary="Add a note: {text}",
    openapi_extra=ACTION_BODIES["comment"],
    responses=responses(200, 400, 401, 403, 404, 409, 413, 415, 422, 503),
)
async def comment(
    alarm_id: AlarmId, request: Request, p: Principal = Depends(requires(Role.OPERATOR))
) -> Response:
    return await _act(request, alarm_id, Action.COMMENT, p)


@router.post(
    "/alarms/{alarm_id}/resolve",
    summary="Resolve: {disposition, note, cascade}",
    openapi_extra=ACTION_BODIES["resolve"],
    responses=responses(200, 400, 401, 403, 404, 409, 413, 415, 422, 503),
)
async def resolve(
    alarm_id: AlarmId, request: Request, p: Principal = Depends(requires(Role.OPERATOR))
) -> Response:
    return await _act(request, alarm_id, Action.RESOLVE, p)


@router.post(
    "/alarms/{alarm_id}/reopen",
    summary="Reopen a resolved alarm: {reason} (supervisor)",
    openapi_extra=ACTION_BODIES["reopen"],
    responses=responses(200, 400, 401, 403, 404, 409, 413, 415, 422, 503),
)
async def reopen(
    alarm_id: AlarmId, request: Request, p: Principal = Depends(requires(Role.SUPERVISOR))
) -> Response:
    return await _act(request, alarm_id, Action.REOPEN, p)


@router.post(
    "/alarms/{alarm_id}/shelve",
    summary="Shelve (ISA-18.2): {minutes, reason}; out of the active queue until then, back unacknowledged",
    openapi_extra=ACTION_BODIES["shelve"],
    responses=responses(200, 400, 401, 403, 404, 409, 413, 415, 422, 503),
)
async def shelve(
    alarm_id: AlarmId, request: Request, p: Principal = Depends(requires(Role.OPERATOR))
) -> Response:
    return await _act(request, alarm_id, Action.SHELVE, p)


@router.post(
    "/alarms/{alarm_id}/unshelve",
    summary="Unshelve now: back in the queue, unacknowledged",
    openapi_extra=ACTION_BODIES["unshelve"],
    responses=responses(200, 400, 401, 403, 404, 409, 413, 415, 422, 503),
)
async def unshelve(
    alarm_id: AlarmId, request: Request, p: Principal = Depends(requires(Role.OPERATOR))
) -> Response:
    return await _act(request, alarm_id, Action.UNSHELVE, p)


STREAM_RESPONSES = responses(
    401,
    403,
    503,
    ok={
        "200": {
            "description": "An event stream",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)


@router.get(
    "/audit", summary="Audit records, oldest first (admin)", responses=responses(200, 401, 403, 422, 503)
)
async def audit(
    request: Request,
    after: Annotated[int, Query(ge=0, le=MAX_ID - 1, description="Records after this sequence number")] = 0,
    _p: Principal = Depends(requires(Role.ADMIN)),
) -> Response:
    ctx = ctx_of(request)
    records = []
    for rec in ctx.store.iter_audit(after + 1):
        records.append(audit_json(rec))
        if len(records) >= 1000:
            break
    return json_response({"records": records})


async def healthz(_request: Request) -> Response:
    return json_response({"status": "ok"})


async def readyz(request: Request) -> Response:
    ctx = ctx_of(request)
    problems = [] if ctx.store.ping() else ["store unreachable"]
    writer = await ctx.pipeline.check()  # a failed writer probes the store: ready again once it takes writes
    if writer is not None:
        problems.append(writer)
    problems.extend(p for p in (check() for check in ctx.readiness) if p)
    if problems:
        headers = {"Retry-After": DEFAULT_RETRY_AFTER}
        return json_response({"status": "unavailable", "problems": problems}, 503, headers)
    return json_response({"status": "ready"})


def register(app: FastAPI) -> None:
    """Attach the API routes, the documentation pages and the `Allow` fix to `app`."""
    app.include_router(router)
    sse.install(app, app.state.ctx, requires, STREAM_RESPONSES)  # GET /api/v1/stream
    docs.install(app)
    openapi.install(app)
    app.add_middleware(AllowHeader)
    app.add_api_route("/healthz", healthz, methods=["GET"], responses=responses(200))
    app.add_api_route("/readyz", readyz, methods=["GET"], responses=responses(200, 503))
    for route in (healthz, readyz):
        setattr(route, "public", True)  # noqa: B010 - marks the route public for the deny-by-default test
