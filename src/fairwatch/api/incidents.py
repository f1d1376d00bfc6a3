"""The incident API (docs/incidents.md): incidents, merged alarms, the control log and tasks, EIDO export.

Every write goes through the single writer with its audit record; after the commit the change goes out on the
event stream as `event: incident` (log entries without their text).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, Depends, FastAPI, Path, Request
from starlette.responses import Response

from fairwatch.access import Principal
from fairwatch.api.auth import requires
from fairwatch.api.errors import json_response
from fairwatch.api.openapi import NAME_PATTERN, TEXT_PATTERN, responses
from fairwatch.api.routes import _csv, ctx_of, read_json_body
from fairwatch.api.serialize import alarm_json
from fairwatch.errors import InvalidInput, NotFound, Problem
from fairwatch.events.inputs import MAX_ID, decode_json
from fairwatch.events.validate import parse_time
from fairwatch.incidents import Action, Disposition, IncidentState, MajorIncident, TaskState
from fairwatch.incidents.eido import eido
from fairwatch.incidents.log import WRITABLE_KINDS
from fairwatch.incidents.model import METHANE_FIELDS
from fairwatch.incidents.serialize import entry_json, entry_summary, incident_json, task_json, timeline
from fairwatch.model import Role, Severity
from fairwatch.store import Incident, IncidentQuery, Store, Txn

IncidentId = Annotated[int, Path(ge=1, le=MAX_ID, description="An incident id")]
AlarmId = Annotated[int, Path(ge=1, le=MAX_ID, description="An alarm id")]
TaskId = Annotated[int, Path(ge=1, le=MAX_ID, description="A task id")]
EntryId = Annotated[int, Path(ge=1, le=MAX_ID, description="A log entry id")]
T = TypeVar("T")

router = APIRouter(prefix="/api/v1", tags=["incidents"])

# -- request bodies, for the OpenAPI description -----------------------------------------------------------
_NAME = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": NAME_PATTERN}
_TEXT = {"type": "string", "minLength": 1, "maxLength": 4000, "pattern": TEXT_PATTERN}
_TITLE = {**_TEXT, "maxLength": 200}
_TYPE = {"type": "string", "maxLength": 128, "pattern": r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$",
         "description": "An active alarm type of the taxonomy"}  # fmt: skip
_TIME = {"type": "string", "format": "date-time"}
_IDS = {
    "type": "array",
    "minItems": 1,
    "maxItems": 100,
    "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}
_LOCATION = {
    "oneOf": [
        {"type": "object", "required": ["lat", "lon"], "additionalProperties": False,
         "properties": {"lat": {"type": "number", "minimum": -90, "maximum": 90},
                        "lon": {"type": "number", "minimum": -180, "maximum": 180}}},
        {"type": "object", "required": ["x", "y"], "additionalProperties": False,
         "properties": {"x": {"type": "number", "minimum": -1e9, "maximum": 1e9},
                        "y": {"type": "number", "minimum": -1e9, "maximum": 1e9}}},
    ]
}  # fmt: skip
_METHANE = {
    "type": "object",
    "additionalProperties": False,
    "required": list(METHANE_FIELDS),
    "properties": {
        k: ({"anyOf": [{**_TEXT, "maxLength": 1000}, {"type": "integer", "minimum": 0, "maximum": 100000}]}
            if k == "casualties" else {**_TEXT, "maxLength": 1000})
        for k in METHANE_FIELDS
    },
}  # fmt: skip


def _schema(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    """An object of `properties`; an optional one may be null, which means absent (as `Fields` reads it), except
    that a PATCH's null clears one of `incidents.service.CLEARABLE`."""
    props = {k: v if k in required else {"anyOf": [v, {"type": "null"}]} for k, v in properties.items()}
    return {"type": "object", "additionalProperties": False, "required": required, "properties": props}


def _body(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    schema = _schema(required, properties)
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def _optional_body(properties: dict[str, Any]) -> dict[str, Any]:
    schema = _schema([], properties)
    return {"requestBody": {"required": False, "content": {"application/json": {"schema": schema}}}}


CREATE_BODY = _body(
    ["title", "type"],
    {
        "title": _TITLE, "type": _TYPE, "severity": {"enum": [s.value for s in Severity]},
        "priority": {"type": "integer", "minimum": 1, "maximum": 4}, "zone": _NAME, "location": _LOCATION,
        "occurred_at": _TIME, "alarms": _IDS, "exercise": {"type": "boolean"},
    },
)  # fmt: skip
UPDATE_BODY = _body(
    [],
    {
        "title": _TITLE, "severity": {"enum": [s.value for s in Severity]},
        "priority": {"type": "integer", "minimum": 1, "maximum": 4}, "owner": _NAME, "lead_agency": _NAME,
        "agencies": {"type": "array", "maxItems": 20, "items": _NAME}, "zone": _NAME, "location": _LOCATION,
        "major_incident": {"enum": [m.value for m in MajorIncident]}, "first_dispatch_at": _TIME,
        "exercise": {"type": "boolean"},
    },
)  # fmt: skip
UPDATE_BODY["requestBody"]["content"]["application/json"]["schema"]["minProperties"] = 1
MERGE_BODY = _body(["alarms"], {"alarms": _IDS, "move": {"type": "boolean"}})
LOG_BODY = _body(
    ["kind"],
    {
        "kind": {"enum": list(WRITABLE_KINDS)}, "text": _TEXT, "occurred_at": _TIME, "reason": _TEXT,
        "late_reason": _TEXT, "corrects": {"type": "integer", "minimum": 1, "maximum": MAX_ID}, "methane": _METHANE,
    },
)  # fmt: skip
ACTION_BODIES = {
    Action.HOLD: _optional_body({"reason": _TEXT}),
    Action.RESUME: _optional_body({"reason": _TEXT}),
    Action.CLOSE: _body(
        ["disposition", "note"], {"disposition": {"enum": [d.value for d in Disposition]}, "note": _TEXT}
    ),
    Action.REOPEN: _body(["reason"], {"reason": _TEXT}),
}
TASK_BODY = _body(["title"], {"title": {**_NAME, "maxLength": 200}, "assignee": _NAME, "due": _TIME})
TASK_STATE_BODY = _body(
    ["state"], {"state": {"enum": [s.value for s in TaskState]}, "reason": _TEXT, "assignee": _NAME}
)
WRITE = responses(200, 400, 401, 403, 404, 409, 413, 415, 422, 503)
CREATE = responses(201, 400, 401, 403, 404, 409, 413, 415, 422, 503)


# -- helpers ---------------------------------------------------------------------------------------------------
async def _doc(request: Request, *, optional: bool = False) -> Any:
    if optional and request.headers.get("content-length") in (None, "0"):
        return {}
    return decode_json(await read_json_body(request, 64 * 1024))


async def _write(request: Request, fn: Callable[[Txn, float], T]) -> T:
    return await ctx_of(request).pipeline.call(fn)


def _publish(request: Request, kind: str, **data: Any) -> None:
    ctx_of(request).hub.publish("incident", orjson.dumps({"kind": kind, **data}))


def _order(request: Request) -> str:
    order = request.query_params.get("order", "occurred")
    if order not in ("occurred", "entered"):
        raise InvalidInput([Problem("order", order, "must be occurred or entered")], "invalid query")
    return order


def detail(request: Request, incident_id: int, order: str) -> dict[str, Any]:
    """An incident with its alarms, timeline (log and merged alarms' history) and tasks."""
    store = ctx_of(request).store
    incident = store.get_incident(incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    ids = store.incident_alarm_ids(incident_id)
    alarms = [a for a in (store.get_alarm(i) for i in ids) if a is not None]
    links = store.alarm_links([a.id for a in alarms])
    history = [(a.id, rec) for a in alarms for rec in store.history(f"alarm:{a.id}")]
    body = incident_json(incident)
    body["alarms"] = [alarm_json(a, links.get(a.id)) for a in alarms]
    body["log"] = timeline(store.incident_log(incident_id), history, order)
    body["tasks"] = [task_json(t) for t in store.incident_tasks(incident_id)]
    return body


# -- incidents -------------------------------------------------------------------------------------------------
@router.post("/incidents", status_code=201, summary="Open an incident (its card's tasks are created with it)",
             openapi_extra=CREATE_BODY, responses=CREATE)  # fmt: skip
async def create_incident(request: Request, p: Principal = Depends(requires(Role.OPERATOR))) -> Response:
    doc = await _doc(request)
    desk = ctx_of(request).incidents
    incident = await _write(request, lambda txn, now: desk.create(txn, p.name, doc, now))
    _publish(request, "created", incident=incident_json(incident))
    return json_response(detail(request, incident.id, "occurred"), 201)


@router.get("/incidents", summary="List incidents, newest first, each with `last_log`: filters state, zone, type, since; cursor `next`",
            responses=responses(200, 401, 403, 422, 503))  # fmt: skip
async def list_incidents(request: Request, _p: Principal = Depends(requires(Role.VIEWER))) -> Response:
    q = request.query_params
    since = None
    if "since" in q:
        since = parse_time(q["since"])
        if since is None:
            raise InvalidInput(
                [Problem("since", q["since"], "must be an RFC 3339 timestamp")], "invalid query"
            )
    limit = _number(q.get("limit", "100"), "limit", 500)
    cursor = _number(q["cursor"], "cursor", MAX_ID) if "cursor" in q else None
    query = IncidentQuery(
        states=_csv(request, "state", {s.value for s in IncidentState}),
        zones=_csv(request, "zone"),
        types=_csv(request, "type"),
        since=since,
        limit=limit,
        before_id=cursor,
    )
    store = ctx_of(request).store
    rows = store.list_incidents(query)
    nxt = str(rows[-1].id) if len(rows) == limit else None
    return json_response({"incidents": [_listed(store, i) for i in rows], "next": nxt})


def _listed(store: Store, incident: Incident) -> dict[str, Any]:
    """An incident's record with its newest log entry (`last_log`, by entered_at; null when none): the line the
    console's incident stack shows."""
    body = incident_json(incident)
    log = store.incident_log(incident.id)
    body["last_log"] = entry_json(log[-1]) if log else None
    return body


def _number(text: str, name: str, high: int) -> int:
    if not text.isdigit() or not 1 <= int(text) <= high:
        raise InvalidInput([Problem(name, text, f"must be an integer from 1 to {high}")], "invalid query")
    return int(text)


@router.get("/incidents/{incident_id}", summary="One incident with alarms, log (?order=occurred|entered), tasks",
            responses=responses(200, 401, 403, 404, 422, 503))  # fmt: skip
async def get_incident(
    incident_id: IncidentId, request: Request, _p: Principal = Depends(requires(Role.VIEWER))
) -> Response:
    return json_response(detail(request, incident_id, _order(request)))


@router.patch("/incidents/{incident_id}",
              summary="Change an incident's record (owner, agencies, major incident, ...); null clears owner, "
                      "lead_agency, zone or location",
              openapi_extra=UPDATE_BODY, responses=WRITE)  # fmt: skip
async def update_incident(
    incident_id: IncidentId, request: Request, p: Principal = Depends(requires(Role.OPERATOR))
) -> Response:
    doc = await _doc(request)
    desk = ctx_of(request).incidents
    incident = await _write(request, lambda txn, now: desk.update(txn, p.name, incident_id, doc, now))
    _publish(request, "updated", incident=incident_json(incident))
    return json_response(incident_json(incident))


async def _act(request: Request, incident_id: int, action: Action, p: Principal) -> Response:
    doc = await _doc(request, optional=action in (Action.HOLD, Action.RESUME))
    desk = ctx_of(request).incidents
    incident = await _write(request, lambda txn, now: desk.act(txn, p.name, incident_id, action, doc, now))
    _publish(request, action.value, incident=incident_json(incident))
    return json_response(incident_json(incident))


def _action_route(action: Action, role: Role, summary: str) -> None:
    async def handler(
        incident_id: IncidentId, request: Request, p: Principal = Depends(requires(role))
    ) -> Response:
        return await _act(request, incident_id, action, p)

    handler.__name__ = f"{action.value}_incident"
    router.add_api_route(
        f"/incidents/{{incident_id}}/{action.value}", handler, methods=["POST"], summary=summary,
        openapi_extra=ACTION_BODIES[action], responses=WRITE,
    )  # fmt: skip


_action_route(Action.HOLD, Role.OPERATOR, "Put an open incident on hold: {reason?}")
_action_route(Action.RESUME, Role.OPERATOR, "Resume an incident on hold: {reason?}")
_action_route(Action.CLOSE, Role.OPERATOR, "Close: {disposition, note}")
_action_route(Action.REOPEN, Role.SUPERVISOR, "Reopen a closed incident: {reason} (supervisor)")


# -- alarms ----------------------------------------------------------------------------------------------------
@router.post("/incidents/{incident_id}/alarms",
             summary="Merge alarms: {alarms, move?}; an alarm of another incident moves only with move: true",
             openapi_extra=MERGE_BODY, responses=WRITE)  # fmt: skip
async def merge_alarms(
    incident_id: IncidentId, request: Request, p: Principal = Depends(requires(Role.OPERATOR))
) -> Response:
    doc = await _doc(request)
    desk = ctx_of(request).incidents
    merged = await _write(request, lambda txn, now: desk.merge(txn, p.name, incident_id, doc, now))
    _publish(request, "alarms-merged", incident_id=incident_id, alarms=merged)
    return json_response({"merged": merged, "alarms": ctx_of(request).store.incident_alarm_ids(incident_id)})


@router.delete("/incidents/{incident_id}/alarms/{alarm_id}", summary="Detach an alarm from the incident",
               responses=responses(200, 401, 403, 404, 409, 422, 503))  # fmt: skip
async def detach_alarm(
    incident_id: IncidentId,
    alarm_id: AlarmId,
    request: Request,
    p: Principal = Depends(requires(Role.OPERATOR)),
) -> Response:
    desk = ctx_of(request).incidents
    await _write(request, lambda txn, now: desk.detach(txn, p.name, incident_id, alarm_id, now))
    _publish(request, "alarm-detached", incident_id=incident_id, alarm_id=alarm_id)
    return json_response(
        {"detached": alarm_id, "alarms": ctx_of(request).store.incident_alarm_ids(incident_id)}
    )


# -- the log ---------------------------------------------------------------------------------------------------
async def _log(request: Request, incident_id: int | None, p: Principal) -> Response:
    doc = await _doc(request)
    desk = ctx_of(request).incidents
    entry = await _write(request, lambda txn, now: desk.log(txn, p.name, incident_id, doc, now))
    _publish(request, "logged", entry=entry_summary(entry))
    return json_response(entry_json(entry), 201)


@router.post("/incidents/{incident_id}/log", status_code=201,
             summary="Append to the incident's log: a decision needs reason, a late entry late_reason",
             openapi_extra=LOG_BODY, responses=CREATE)  # fmt: skip
async def post_incident_log(
    incident_id: IncidentId, request: Request, p: Principal = Depends(requires(Role.OPERATOR))
) -> Response:
    return await _log(request, incident_id, p)


@router.get("/incidents/{incident_id}/log", summary="The incident's timeline (?order=occurred|entered)",
            responses=responses(200, 401, 403, 404, 422, 503))  # fmt: skip
async def get_incident_log(
    incident_id: IncidentId, request: Request, _p: Principal = Depends(requires(Role.VIEWER))
) -> Response:
    return json_response({"log": detail(request, incident_id, _order(request))["log"]})


@router.get("/incidents/{incident_id}/log/{entry_id}",
            summary="One log entry; entries are never changed or deleted (PUT, PATCH, DELETE: 405)",
            responses=responses(200, 401, 403, 404, 422, 503))  # fmt: skip
async def get_log_entry(
    incident_id: IncidentId,
    entry_id: EntryId,
    request: Request,
    _p: Principal = Depends(requires(Role.VIEWER)),
) -> Response:
    found = [e for e in ctx_of(request).store.incident_log(incident_id) if e.id == entry_id]
    if not found:
        raise NotFound(f"log entry {entry_id} of incident {incident_id} not found")
    return json_response(entry_json(found[0]))


@router.post("/log", status_code=201, summary="Append to the site-wide log", openapi_extra=LOG_BODY,
             responses=CREATE)  # fmt: skip
async def post_site_log(request: Request, p: Principal = Depends(requires(Role.OPERATOR))) -> Response:
    return await _log(request, None, p)


@router.get(
    "/log",
    summary="The site-wide log (?order=occurred|entered)",
    responses=responses(200, 401, 403, 422, 503),
)
async def get_site_log(request: Request, _p: Principal = Depends(requires(Role.VIEWER))) -> Response:
    entries = ctx_of(request).store.incident_log(None, _order(request))
    return json_response({"log": [entry_json(e) for e in entries]})


# -- tasks -----------------------------------------------------------------------------------------------------
@router.post("/incidents/{incident_id}/tasks", status_code=201, summary="Add a task: {title, assignee?, due?}",
             openapi_extra=TASK_BODY, responses=CREATE)  # fmt: skip
async def add_task(
    incident_id: IncidentId, request: Request, p: Principal = Depends(requires(Role.OPERATOR))
) -> Response:
    doc = await _doc(request)
    desk = ctx_of(request).incidents
    task = await _write(request, lambda txn, now: desk.add_task(txn, p.name, incident_id, doc, now))
    _publish(request, "task", task=task_json(task))
    return json_response(task_json(task), 201)


@router.post("/tasks/{task_id}/state", summary="Move a task: {state, reason?, assignee?}; skipping needs a reason",
             openapi_extra=TASK_STATE_BODY, responses=WRITE)  # fmt: skip
async def task_state(
    task_id: TaskId, request: Request, p: Principal = Depends(requires(Role.OPERATOR))
) -> Response:
    doc = await _doc(request)
    desk = ctx_of(request).incidents
    task = await _write(request, lambda txn, now: desk.task_state(txn, p.name, task_id, doc, now))
    _publish(request, "task", task=task_json(task))
    return json_response(task_json(task))


# -- EIDO ------------------------------------------------------------------------------------------------------
@router.get("/incidents/{incident_id}/eido", summary="The incident as a NENA EIDO JSON object (NENA-STA-021.1b)",
            responses=responses(200, 401, 403, 404, 422, 503))  # fmt: skip
async def get_eido(
    incident_id: IncidentId, request: Request, _p: Principal = Depends(requires(Role.VIEWER))
) -> Response:
    ctx = ctx_of(request)
    incident = ctx.store.get_incident(incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    log = ctx.store.incident_log(incident_id)
    base = str(request.base_url).rstrip("/")
    doc = eido(incident, log, ctx.store.incident_alarm_ids(incident_id), ctx.incidents.agency, base)
    return json_response(doc)


def register(app: FastAPI) -> None:
    """Attach the incident routes."""
    app.include_router(router)
