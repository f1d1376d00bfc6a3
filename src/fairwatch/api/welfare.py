"""The welfare API (docs/welfare.md): lost/found-person cases and incidents' scene photos.

Welfare cases exist only for callers with the welfare permission (roles `welfare`, `supervisor`, `admin`): to
anyone else every case route answers exactly what an unknown path answers (404), so an operator's or a device's
token cannot even learn that cases exist. Cases never go on the event stream, a feed or a webhook; their audit
records carry ids only. Photos are for operators and up; they are never sent to receivers.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, FastAPI, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.responses import Response

from fairwatch.access import Permission, Principal, permits
from fairwatch.api.auth import authenticate, requires
from fairwatch.api.context import Context
from fairwatch.api.errors import PayloadTooLarge, UnsupportedMediaType, json_response
from fairwatch.api.openapi import NAME_PATTERN, TEXT_PATTERN, responses
from fairwatch.api.routes import ctx_of
from fairwatch.errors import InvalidInput, NotFound, Problem
from fairwatch.events.inputs import MAX_ID, decode_json
from fairwatch.incidents.serialize import entry_summary
from fairwatch.model import Role
from fairwatch.periodic import Periodic
from fairwatch.welfare import AgeBand, CaseKind, CaseState, HeightBand, Welfare
from fairwatch.welfare.photos import FIELD, clean, record
from fairwatch.welfare.serialize import case_json, photo_json

CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="A welfare case id")]
IncidentId = Annotated[int, Path(ge=1, le=MAX_ID, description="An incident id")]
PhotoId = Annotated[int, Path(ge=1, le=MAX_ID, description="A photo id")]
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the photo

router = APIRouter(prefix="/api/v1")

_NARRATIVE = {"type": "string", "minLength": 1, "maxLength": 1000, "pattern": TEXT_PATTERN,
              "description": "Narrative: stored, shown to welfare staff, never published"}  # fmt: skip
CASE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["kind", "age_band", "last_seen_zone"],
                    "properties": {
                        "kind": {"enum": [k.value for k in CaseKind]},
                        "age_band": {"enum": [a.value for a in AgeBand]},
                        "height_band": {"enum": [h.value for h in HeightBand]},
                        "clothing": _NARRATIVE,
                        "last_seen_zone": {"type": "string", "maxLength": 128, "pattern": NAME_PATTERN},
                        "last_seen_at": {"type": "string", "format": "date-time"},
                        "vulnerable": {"type": "boolean"},
                        "contact": _NARRATIVE,
                    },
                }
            }
        },
    }
}
FOUND_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["note"],
                    "properties": {"note": _NARRATIVE},
                }
            }
        },
    }
}
PHOTO_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FIELD],
                    "properties": {FIELD: {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
IMAGE = {
    "200": {
        "description": "The photo as stored (re-encoded, no metadata)",
        "content": {t: {} for t in ("image/jpeg", "image/png", "image/webp")},
    }
}


def hidden(need: Permission) -> Callable[[Request], Awaitable[Principal]]:
    """Like `requires`, but a caller without `need` gets the answer of an unknown path (404), not 403."""

    async def dependency(request: Request) -> Principal:
        principal = authenticate(request)
        if not permits(principal.role, need):
            raise HTTPException(404, "Not Found")
        request.state.principal = principal
        return principal

    dependency.required_role = need  # type: ignore[attr-defined]
    return dependency


def welfare_of(request: Request) -> Welfare:
    found = request.app.state.welfare
    assert isinstance(found, Welfare)
    return found


async def _json(request: Request) -> Any:
    ctype = request.headers.get("content-type", "")
    if ctype.split(";", 1)[0].strip().lower() != "application/json":
        raise UnsupportedMediaType(f"Content-Type must be application/json (got {ctype or 'none'!r})")
    return decode_json(await _body(request, 64 * 1024))


async def _body(request: Request, limit: int) -> bytes:
    """The raw body, refusing more than `limit` bytes (413) whether or not a length was declared."""
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


# -- welfare cases ---------------------------------------------------------------------------------------------
WELFARE = hidden(Permission.WELFARE)


@router.post("/welfare/cases", status_code=201, openapi_extra=CASE_BODY,
             responses=responses(201, 400, 401, 404, 413, 415, 422, 503),
             summary="Open a lost/found-person case: description only (welfare, supervisor, admin)")  # fmt: skip
async def create_case(request: Request, p: Principal = Depends(WELFARE)) -> Response:
    doc = await _json(request)
    welfare = welfare_of(request)
    case = await ctx_of(request).pipeline.call(lambda txn, now: welfare.desk.create(txn, p.name, doc, now))
    welfare.timer.changed()
    return json_response(case_json(case), 201)


@router.get("/welfare/cases", summary="Welfare cases, newest first (?state=open|closed)",
            responses=responses(200, 401, 404, 422, 503))  # fmt: skip
async def list_cases(request: Request, _p: Principal = Depends(WELFARE)) -> Response:
    state = request.query_params.get("state")
    states = {s.value for s in CaseState}
    if state is not None and state not in states:
        raise InvalidInput([Problem("state", state, "must be open or closed")], "invalid query")
    cases = ctx_of(request).store.list_welfare_cases((state,) if state else ())
    return json_response({"cases": [case_json(c) for c in cases]})


@router.get("/welfare/cases/{case_id}", summary="One welfare case",
            responses=responses(200, 401, 404, 422, 503))  # fmt: skip
async def get_case(case_id: CaseId, request: Request, _p: Principal = Depends(WELFARE)) -> Response:
    case = ctx_of(request).store.get_welfare_case(case_id)
    if case is None:
        raise NotFound(f"welfare case {case_id} not found")
    return json_response(case_json(case))


@router.post("/welfare/cases/{case_id}/found", openapi_extra=FOUND_BODY,
             responses=responses(200, 400, 401, 404, 409, 413, 415, 422, 503),
             summary="The person is found: close the case with a reunification note {note}")  # fmt: skip
async def case_found(case_id: CaseId, request: Request, p: Principal = Depends(WELFARE)) -> Response:
    doc = await _json(request)
    welfare = welfare_of(request)
    pipeline = ctx_of(request).pipeline
    case = await pipeline.call(
        lambda txn, now: welfare.found(txn, pipeline.alarms, p.name, case_id, doc, now)
    )
    welfare.timer.changed()
    return json_response(case_json(case))


# -- photos ----------------------------------------------------------------------------------------------------
async def _upload(request: Request, limit: int) -> bytes:
    """The bytes of the multipart file field `photo` (at most `limit`); what it claims to be is ignored."""
    ctype = request.headers.get("content-type", "")
    if ctype.split(";", 1)[0].strip().lower() != "multipart/form-data":
        raise UnsupportedMediaType(f"Content-Type must be multipart/form-data (got {ctype or 'none'!r})")
    try:
        body = await _body(request, limit + MULTIPART_OVERHEAD)
    except PayloadTooLarge:
        raise PayloadTooLarge(f"a photo may be at most {limit} bytes (photo_max_bytes)") from None

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        form = await MultiPartParser(request.headers, stream(), max_files=1, max_fields=10).parse()
    except MultiPartException as exc:
        raise InvalidInput([Problem("body", None, f"is not valid multipart: {exc.message}")]) from None
    try:
        part = form.get(FIELD)
        if not isinstance(part, UploadFile):
            raise InvalidInput(
                [Problem(FIELD, None, "is required: a file field named 'photo'")], "invalid photo"
            )
        data = await part.read()
    finally:
        await form.close()
    if len(data) > limit:
        raise PayloadTooLarge(f"a photo may be at most {limit} bytes (photo_max_bytes; got {len(data)})")
    return data


@router.post("/incidents/{incident_id}/photos", status_code=201, openapi_extra=PHOTO_BODY,
             responses=responses(201, 400, 401, 403, 404, 409, 413, 415, 422, 503),
             summary="Add a scene photo (multipart field `photo`; JPEG, PNG or WebP by content; EXIF removed)")  # fmt: skip
async def add_photo(
    incident_id: IncidentId, request: Request, p: Principal = Depends(requires(Role.OPERATOR))
) -> Response:
    ctx, welfare = ctx_of(request), welfare_of(request)
    if ctx.store.get_incident(incident_id) is None:  # before reading a large body
        raise NotFound(f"incident {incident_id} not found")
    data = await _upload(request, ctx.settings.photo_max_bytes)
    image = await run_in_threadpool(clean, data)
    staged = await run_in_threadpool(welfare.files.stage, image)
    try:
        photo, entry = await ctx.pipeline.call(lambda txn, now: record(txn, p.name, incident_id, image, now))
    except BaseException:
        welfare.files.discard(staged)
        raise
    await run_in_threadpool(welfare.files.keep, staged, photo)
    base = f"/api/v1/incidents/{incident_id}/photos"
    summary = {"id": photo.id, "incident_id": incident_id, "sha256": photo.sha256, "size": photo.size}
    ctx.hub.publish("incident", orjson.dumps({"kind": "photo", "photo": summary}))
    ctx.hub.publish("incident", orjson.dumps({"kind": "logged", "entry": entry_summary(entry)}))
    return json_response(photo_json(photo, base), 201)


@router.get("/incidents/{incident_id}/photos", summary="The incident's photos (metadata; operator and up)",
            responses=responses(200, 401, 403, 404, 422, 503))  # fmt: skip
async def list_photos(
    incident_id: IncidentId, request: Request, _p: Principal = Depends(requires(Role.OPERATOR))
) -> Response:
    store = ctx_of(request).store
    if store.get_incident(incident_id) is None:
        raise NotFound(f"incident {incident_id} not found")
    base = f"/api/v1/incidents/{incident_id}/photos"
    return json_response({"photos": [photo_json(p, base) for p in store.incident_photos(incident_id)]})


@router.get("/incidents/{incident_id}/photos/{photo_id}", summary="One photo's image (operator and up)",
            responses=responses(401, 403, 404, 422, 503, ok=IMAGE))  # fmt: skip
async def get_photo(
    incident_id: IncidentId,
    photo_id: PhotoId,
    request: Request,
    _p: Principal = Depends(requires(Role.OPERATOR)),
) -> Response:
    photo = ctx_of(request).store.get_photo(photo_id)
    if photo is None or photo.incident_id != incident_id:
        raise NotFound(f"photo {photo_id} of incident {incident_id} not found")
    data = await run_in_threadpool(welfare_of(request).files.read, photo)
    headers = {
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'",
        "Content-Disposition": f'inline; filename="{welfare_of(request).files.path(photo).name}"',
    }
    return Response(data, media_type=photo.media_type, headers=headers)


def install(app: FastAPI, ctx: Context, welfare: Welfare) -> Welfare:
    """Attach the routes, hand the escalation timer to the writer's tick and purge the short classes hourly."""
    app.state.welfare = welfare
    app.include_router(router)
    ctx.pipeline.timers.append(welfare.timer)
    purger = Periodic("short retention", ctx.settings.tick_seconds, lambda: welfare.maybe_purge(ctx.pipeline))

    async def start() -> None:
        await run_in_threadpool(welfare.files.sweep_staged)  # left by a stop between staging and commit
        purger.start()

    async def stop() -> None:
        await purger.stop()

    ctx.on_start.append(start)
    ctx.on_stop.append(stop)
    return welfare
