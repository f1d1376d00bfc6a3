"""The field API (docs/field.md): units, their status and dispatch, one-time sign-in links, and what the /field app
sends (reports, check-ins, Help now) and receives (its unit's changes as Server-Sent Events).

Every write goes through the single writer with its audit record; after the commit the unit goes out on the event
stream as `event: unit`. A phone signed in with a one-time link is a `steward` principal bound to its unit
(`via == "field"`): it may change only its own unit.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, Depends, FastAPI, Path, Request
from starlette.responses import Response, StreamingResponse

from fairwatch.access import Permission, Principal, permits
from fairwatch.alarms import AlarmChange
from fairwatch.api.auth import authenticate, requires
from fairwatch.api.context import Context
from fairwatch.api.errors import json_response
from fairwatch.api.openapi import NAME_PATTERN, TEXT_PATTERN, responses
from fairwatch.api.routes import ctx_of, read_json_body
from fairwatch.errors import Forbidden, InvalidInput, NotFound, Overloaded, Problem
from fairwatch.events.inputs import MAX_ID, decode_json
from fairwatch.events.validate import rfc3339
from fairwatch.field import FieldDesk, UnitKind, UnitStatus, checklists, link, report_event, unit_json
from fairwatch.field.checklists import Checklists
from fairwatch.field.invites import MAX_HOURS
from fairwatch.field.qr import qr_svg
from fairwatch.field.reports import SEVERITIES
from fairwatch.model import Decision, Role
from fairwatch.store import LogEntry, Txn, Unit, WelfareCase
from fairwatch.stream import Hub

UnitId = Annotated[int, Path(ge=1, le=MAX_ID, description="A unit id")]
T = TypeVar("T")
FIELD_VIA = "field"

router = APIRouter(prefix="/api/v1", tags=["field"])

# -- request bodies, for the OpenAPI description -----------------------------------------------------------
_NAME = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": NAME_PATTERN}
_TEXT = {"type": "string", "minLength": 1, "maxLength": 4000, "pattern": TEXT_PATTERN}
_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_LOCATION = {
    "oneOf": [
        {"type": "object", "required": ["lat", "lon"], "additionalProperties": False,
         "properties": {"lat": {"type": "number", "minimum": -90, "maximum": 90},
                        "lon": {"type": "number", "minimum": -180, "maximum": 180}}},
        {"type": "object", "required": ["x", "y"], "additionalProperties": False,
         "properties": {"x": {"type": "number", "minimum": -1e8, "maximum": 1e8},
                        "y": {"type": "number", "minimum": -1e8, "maximum": 1e8}}},
    ]
}  # fmt: skip


def _body(required: list[str], properties: dict[str, Any], *, optional: bool = False) -> dict[str, Any]:
    props = {k: v if k in required else {"anyOf": [v, {"type": "null"}]} for k, v in properties.items()}
    schema = {"type": "object", "additionalProperties": False, "required": required, "properties": props}
    return {"requestBody": {"required": not optional, "content": {"application/json": {"schema": schema}}}}


REPORT_BODY = _body(
    ["id", "type"],
    {
        "id": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": NAME_PATTERN},
        "type": {"type": "string", "maxLength": 128, "pattern": r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"},
        "zone": {"type": "string", "minLength": 1, "maxLength": 128, "pattern": NAME_PATTERN},
        "location": _LOCATION, "text": _TEXT, "severity": {"enum": list(SEVERITIES)},
        "time": {"type": "string", "format": "date-time"},
    },
)  # fmt: skip
UNIT_BODY = _body(
    ["name"],
    {"name": _NAME, "kind": {"enum": [k.value for k in UnitKind]}, "members": {"type": "integer", "minimum": 1, "maximum": 500}},
)  # fmt: skip
STATUS_BODY = _body(["status"], {"status": {"enum": [s.value for s in UnitStatus]}, "location": _LOCATION})
DISPATCH_BODY = _body([], {"incident": _ID, "alarm": _ID})
INVITE_BODY = _body(
    [], {"hours": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_HOURS}}, optional=True
)
LOCATION_BODY = _body([], {"location": _LOCATION}, optional=True)
WRITE = responses(200, 400, 401, 403, 404, 409, 413, 415, 422, 503)


# -- who is calling ------------------------------------------------------------------------------------------
def own_unit(p: Principal) -> int | None:
    """The unit a phone's principal is bound to (None for people and tokens)."""
    if p.via != FIELD_VIA:
        return None
    return int(p.name.removeprefix("unit:"))


def _for_unit(p: Principal, unit_id: int) -> None:
    """A phone may act only for its own unit; operators and above for any."""
    mine = own_unit(p)
    if mine is None and not permits(p.role, Role.OPERATOR):
        raise Forbidden(f"role '{p.role.value}' may not do this; needs 'operator' or higher")
    if mine is not None and mine != unit_id:
        raise Forbidden("a phone may change only its own unit")


def _reporter() -> Callable[[Request], Any]:
    """Field reports: a phone's session (stewards and up) or a device token."""

    async def dependency(request: Request) -> Principal:
        p = authenticate(request)
        if not (permits(p.role, Role.STEWARD) or permits(p.role, Permission.INGEST)):
            raise Forbidden(f"role '{p.role.value}' may not send field reports")
        request.state.principal = p
        return p

    dependency.required_role = Role.STEWARD  # type: ignore[attr-defined]
    return dependency


def _phone() -> Callable[[Request], Any]:
    """Routes only a signed-in phone uses (its unit is the one it is bound to)."""

    async def dependency(request: Request) -> Principal:
        p = authenticate(request)
        if own_unit(p) is None:
            raise Forbidden("only a phone signed in with a one-time link has a unit")
        request.state.principal = p
        return p

    dependency.required_role = Role.STEWARD  # type: ignore[attr-defined]
    return dependency


# -- helpers ---------------------------------------------------------------------------------------------------
async def _doc(request: Request, *, optional: bool = False) -> Any:
    if optional and request.headers.get("content-length") in (None, "0"):
        return {}
    return decode_json(await read_json_body(request, 64 * 1024))


def desk_of(request: Request) -> FieldDesk:
    return ctx_of(request).field_desk


async def _write(request: Request, fn: Callable[[Txn, float], T]) -> T:
    return await ctx_of(request).pipeline.call(fn)


def _apply(request: Request, txn: Txn, decisions: list[Decision], now: float) -> None:
    if decisions:
        ctx_of(request).pipeline.alarms.apply_decisions(txn, [(d, None) for d in decisions], now)


def publish_unit(request: Request, unit: Unit) -> dict[str, Any]:
    """Send the unit on the event stream; returns its JSON."""
    body = unit_json(unit)
    ctx_of(request).hub.publish("unit", orjson.dumps(body))
    return body


# -- units -----------------------------------------------------------------------------------------------------
@router.get("/units", summary="Units with their status, position and assignment",
            responses=responses(200, 401, 403, 503))  # fmt: skip
async def list_units(request: Request, _p: Principal = Depends(requires(Role.STEWARD))) -> Response:
    return json_response({"units": [unit_json(u) for u in ctx_of(request).store.list_units()]})


@router.post("/units", status_code=201, summary="Create a unit (a team or a person in the field)",
             openapi_extra=UNIT_BODY, responses=responses(201, 400, 401, 403, 409, 413, 415, 422, 503))  # fmt: skip
async def create_unit(request: Request, p: Principal = Depends(requires(Role.SUPERVISOR))) -> Response:
    doc = await _doc(request)
    unit = await _write(request, lambda txn, now: desk_of(request).create_unit(txn, p.name, doc, now))
    return json_response(publish_unit(request, unit), 201)


@router.get("/units/{unit_id}", summary="One unit", responses=responses(200, 401, 403, 404, 422, 503))
async def get_unit(
    request: Request, unit_id: UnitId, _p: Principal = Depends(requires(Role.STEWARD))
) -> Response:
    unit = ctx_of(request).store.get_unit(unit_id)
    if unit is None:
        raise NotFound(f"unit {unit_id} not found")
    return json_response(unit_json(unit))


@router.post("/units/{unit_id}/status", summary="Change a unit's status (409 when it cannot follow the current one)",
             openapi_extra=STATUS_BODY, responses=WRITE)  # fmt: skip
async def set_status(
    request: Request, unit_id: UnitId, p: Principal = Depends(requires(Role.STEWARD))
) -> Response:
    _for_unit(p, unit_id)
    doc = await _doc(request)

    def write(txn: Txn, now: float) -> Unit:
        unit, decisions = desk_of(request).set_status(txn, p.name, unit_id, doc, now)
        _apply(request, txn, decisions, now)
        return unit

    return json_response(publish_unit(request, await _write(request, write)))


@router.post("/units/{unit_id}/dispatch", summary="Dispatch a unit to an incident or an alarm",
             openapi_extra=DISPATCH_BODY, responses=WRITE)  # fmt: skip
async def dispatch(
    request: Request, unit_id: UnitId, p: Principal = Depends(requires(Role.OPERATOR))
) -> Response:
    doc = await _doc(request)
    unit = await _write(request, lambda txn, now: desk_of(request).dispatch(txn, p.name, unit_id, doc, now))
    return json_response(publish_unit(request, unit))


@router.post("/units/{unit_id}/accept", summary="Accept the unit's current assignment",
             responses=responses(200, 401, 403, 404, 409, 422, 503))  # fmt: skip
async def accept(
    request: Request, unit_id: UnitId, p: Principal = Depends(requires(Role.STEWARD))
) -> Response:
    _for_unit(p, unit_id)
    unit = await _write(request, lambda txn, now: desk_of(request).accept(txn, p.name, unit_id, now))
    return json_response(publish_unit(request, unit))


@router.post("/units/{unit_id}/invites", status_code=201,
             summary="A one-time sign-in link for the unit's phone (shown once; default 12 hours)",
             openapi_extra=INVITE_BODY, responses=responses(201, 400, 401, 403, 404, 413, 415, 422, 503))  # fmt: skip
async def invite(
    request: Request, unit_id: UnitId, p: Principal = Depends(requires(Role.SUPERVISOR))
) -> Response:
    doc = await _doc(request, optional=True)
    hours = doc.get("hours") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or set(doc) - {"hours"}:
        raise InvalidInput(
            [Problem("body", None, "must be a JSON object with at most 'hours'")], "invalid invite"
        )
    if hours is not None and (isinstance(hours, bool) or not isinstance(hours, int | float)):
        raise InvalidInput([Problem("hours", hours, "must be a number of hours")], "invalid invite")
    code, made = await _write(
        request, lambda txn, now: desk_of(request).invite(txn, p.name, unit_id, hours, now)
    )
    url = link(code, ctx_of(request).settings.field_link_base)
    body = {
        "link": url,
        "unit": unit_id,
        "expires": rfc3339(made.expires),
        "invite": made.id,
        "qr_svg": qr_svg(url),
    }
    return json_response(body, 201)


@router.post("/units/{unit_id}/revoke", summary="Revoke the unit's unused links and sign its phones out at once",
             responses=responses(200, 401, 403, 404, 422, 503))  # fmt: skip
async def revoke(
    request: Request, unit_id: UnitId, p: Principal = Depends(requires(Role.SUPERVISOR))
) -> Response:
    hashes = await _write(request, lambda txn, now: desk_of(request).revoke(txn, p.name, unit_id, now))
    ended = set(hashes)
    ctx_of(request).hub.end_streams(lambda q: q.via == FIELD_VIA and q.key in ended)
    return json_response({"unit": unit_id, "devices": len(hashes)})


# -- the phone ---------------------------------------------------------------------------------------------------
@router.post("/field/reports", status_code=202, summary="A field report (idempotent by the phone's `id`)",
             openapi_extra=REPORT_BODY, responses=responses(202, 400, 401, 403, 413, 415, 422, 503))  # fmt: skip
async def post_report(request: Request, p: Principal = Depends(_reporter())) -> Response:
    ctx = ctx_of(request)
    doc = await _doc(request)
    now = ctx.clock.now()
    event = report_event(
        doc, p.name.replace(":", "-"), now, taxonomy=ctx.incidents.taxonomy, schemas=ctx.schemas,
        zones=ctx.zones, max_age=ctx.settings.event_max_age_days * 86400.0,
    )  # fmt: skip
    accepted, duplicates = await ctx.pipeline.submit([event])
    mine = own_unit(p)
    if accepted and mine is not None:
        await _write(request, lambda txn, t: _onto_assignment(txn, mine, event.type, event.id, t))
    return json_response({"accepted": accepted, "duplicates": duplicates}, 202)


def _onto_assignment(txn: Txn, unit_id: int, event_type: str, event_id: str, now: float) -> None:
    """A report from a unit assigned to an incident goes onto that incident's log (by type and id: the
    narrative stays with the event)."""
    unit = txn.get_unit(unit_id)
    if unit is not None and unit.incident_id is not None:
        text = f"Field report {event_type} ({event_id}) from unit {unit.name}"
        txn.insert_log_entry(LogEntry(unit.incident_id, "note", text, f"unit:{unit.id}", now, now))


@router.get("/field/me", summary="The signed-in phone's unit and what it is assigned to",
            responses=responses(200, 401, 403, 503))  # fmt: skip
async def me(request: Request, p: Principal = Depends(_phone())) -> Response:
    unit_id = own_unit(p)
    unit = ctx_of(request).store.get_unit(unit_id or 0)
    if unit is None:
        raise NotFound(f"unit {unit_id} not found")
    body = unit_json(unit)
    body["assignment_detail"] = assignment_detail(request, unit)
    return json_response(body)


def assignment_detail(request: Request, unit: Unit) -> dict[str, Any] | None:
    """What the phone shows of its assignment: type, zone and title or number (never the log)."""
    store = ctx_of(request).store
    if unit.incident_id is not None:
        incident = store.get_incident(unit.incident_id)
        if incident is not None:
            return {"kind": "incident", "id": incident.id, "number": incident.number, "type": incident.type,
                    "zone": incident.zone, "title": incident.title, "location": incident.location}  # fmt: skip
    if unit.alarm_id is not None:
        alarm = store.get_alarm(unit.alarm_id)
        if alarm is not None:
            known = ctx_of(request).incidents.taxonomy.get(alarm.type)
            return {"kind": "alarm", "id": alarm.id, "type": alarm.type, "zone": alarm.zone,
                    "severity": alarm.severity.value, "title": known.name() if known else alarm.type}  # fmt: skip
    return None


@router.post("/field/check-in", summary="The phone's unit confirms it is fine (and where it is, if shared)",
             openapi_extra=LOCATION_BODY, responses=WRITE)  # fmt: skip
async def check_in(request: Request, p: Principal = Depends(_phone())) -> Response:
    doc = await _doc(request, optional=True)
    unit_id = own_unit(p) or 0

    def write(txn: Txn, now: float) -> Unit:
        unit, decisions = desk_of(request).check_in(txn, p.name, unit_id, doc, now)
        _apply(request, txn, decisions, now)
        return unit

    return json_response(publish_unit(request, await _write(request, write)))


@router.post("/field/help", summary="Help now: a critical alarm with the unit and its last known position",
             openapi_extra=LOCATION_BODY, responses=WRITE)  # fmt: skip
async def help_now(request: Request, p: Principal = Depends(_phone())) -> Response:
    doc = await _doc(request, optional=True)
    unit_id = own_unit(p) or 0

    def write(txn: Txn, now: float) -> Unit:
        unit, decisions = desk_of(request).help_now(txn, p.name, unit_id, doc, now)
        _apply(request, txn, decisions, now)
        return unit

    return json_response(publish_unit(request, await _write(request, write)))


@router.get("/field/stream", summary="Server-Sent Events of the phone's own unit (`event: unit`)",
            responses=responses(200, 401, 403, 503))  # fmt: skip
async def stream(request: Request, p: Principal = Depends(_phone())) -> Response:
    ctx = ctx_of(request)
    if not ctx.hub.accepting:
        raise Overloaded("the server is stopping; reconnect shortly", 5)
    sub, _missed, _reset = ctx.hub.subscribe(None, p)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(_unit_events(request, sub, p), media_type="text/event-stream", headers=headers)


async def _unit_events(request: Request, sub: Any, p: Principal) -> AsyncIterator[bytes]:
    ctx = ctx_of(request)
    mine = own_unit(p)
    try:
        yield b"retry: 1000\n\n"
        while not sub.dropped and sub.ended is None:
            try:
                msg = await asyncio.wait_for(sub.queue.get(), timeout=ctx.settings.stream_heartbeat)
            except TimeoutError:
                device = ctx.store.get_device(p.key)
                if device is None or device.revoked_at is not None or device.expires <= ctx.clock.now():
                    break
                yield b"event: heartbeat\ndata: {}\n\n"
                continue
            if msg.event == "unit" and orjson.loads(msg.data).get("id") == mine:
                yield msg.encode()
        why = sub.ended.value if sub.ended is not None else "access-ended"
        yield b"event: " + why.encode() + b'\ndata: {"reason": "' + why.encode() + b'"}\n\n'
    finally:
        ctx.hub.unsubscribe(sub)


# -- readiness checks --------------------------------------------------------------------------------------------
TICK_BODY = _body(["state"], {"state": {"enum": ["ok", "failed"]}})
OVERRIDE_BODY = _body(["reason"], {"reason": {**_TEXT, "maxLength": 1000}})
_CHECK_ID = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="A checklist id")]
_ITEM_ID = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="An item id")]


@router.get("/readiness", summary="Readiness per zone: the checklists' items ok, failed, pending or resolved",
            responses=responses(200, 401, 403, 503))  # fmt: skip
async def readiness(request: Request, p: Principal = Depends(requires(Role.STEWARD))) -> Response:
    ctx = ctx_of(request)
    lists = ctx.checklists
    mine = own_unit(p)
    if mine is not None:  # a phone sees the checklists of its own unit
        unit = ctx.store.get_unit(mine)
        lists = Checklists(tuple(lists.for_unit(unit.name))) if unit is not None else Checklists()
    return json_response({"zones": checklists.readiness(lists, checklists.states(ctx.store, lists))})


@router.post("/checklists/{checklist_id}/items/{item_id}", summary="Tick a checklist item ok or failed",
             openapi_extra=TICK_BODY, responses=WRITE)  # fmt: skip
async def tick_item(
    request: Request,
    checklist_id: _CHECK_ID,
    item_id: _ITEM_ID,
    p: Principal = Depends(requires(Role.STEWARD)),
) -> Response:
    ctx = ctx_of(request)
    checklist = ctx.checklists.get(checklist_id)
    mine = own_unit(p)
    if mine is None and not permits(p.role, Role.OPERATOR):
        raise Forbidden(f"role '{p.role.value}' may not tick checklists; needs 'operator' or higher")
    if mine is not None:
        unit = ctx.store.get_unit(mine)
        if unit is None or checklist.unit != unit.name:
            raise Forbidden(f"checklist {checklist_id!r} is not assigned to this phone's unit")
    doc = await _doc(request)
    state = doc.get("state") if isinstance(doc, dict) else None
    value = await _write(
        request,
        lambda txn, now: checklists.tick(txn, ctx.checklists, checklist_id, item_id, state, p.name, now),
    )
    ctx.hub.publish("readiness", orjson.dumps({"checklist": checklist_id, "item": item_id, **value}))
    return json_response(value)


@router.post("/checklists/{checklist_id}/items/{item_id}/override",
             summary="Resolve or override a failed item, with a reason (supervisor; audited)",
             openapi_extra=OVERRIDE_BODY, responses=WRITE)  # fmt: skip
async def override_item(
    request: Request,
    checklist_id: _CHECK_ID,
    item_id: _ITEM_ID,
    p: Principal = Depends(requires(Role.SUPERVISOR)),
) -> Response:
    ctx = ctx_of(request)
    doc = await _doc(request)
    reason = doc.get("reason") if isinstance(doc, dict) else None
    value = await _write(
        request,
        lambda txn, now: checklists.resolve(
            txn, ctx.store, ctx.checklists, checklist_id, item_id, reason, p.name, now
        ),
    )
    ctx.hub.publish("readiness", orjson.dumps({"checklist": checklist_id, "item": item_id, **value}))
    return json_response(value)


def register(app: FastAPI) -> None:
    """Add the field routes to `app`."""
    app.include_router(router)


class LiaisonDispatch:
    """The police liaison for escalated welfare cases (`welfare.timer.Liaison`): the field desk picks a free
    police liaison unit and dispatches it to the escalation alarm in the tick's transaction; the unit goes out on
    the event stream (its phone shows the assignment) after that transaction committed, when the alarm change
    is published."""

    def __init__(self, desk: FieldDesk, hub: Hub) -> None:
        self.desk = desk
        self.hub = hub
        self._sent: list[Unit] = []

    def choose(self, txn: Txn, now: float) -> tuple[int | None, str]:
        unit, note = self.desk.free_liaison(txn)
        return (unit.id if unit is not None else None), note

    def send(self, txn: Txn, unit_id: int, alarm_id: int, case: WelfareCase, now: float) -> None:
        self._sent.append(self.desk.dispatch_liaison(txn, unit_id, alarm_id, case.id, now))

    def reset(self) -> None:
        self._sent.clear()

    def published(self, _changes: list[AlarmChange]) -> None:
        """After a commit (an alarm change listener): publish the units sent in it."""
        sent, self._sent = self._sent, []
        for unit in sent:
            self.hub.publish("unit", orjson.dumps(unit_json(unit)))


def liaison(ctx: Context) -> LiaisonDispatch:
    """The liaison dispatcher of this deployment, listening for the commits it waits on."""
    dispatcher = LiaisonDispatch(ctx.field_desk, ctx.hub)
    ctx.change_listeners.append(dispatcher.published)
    return dispatcher
