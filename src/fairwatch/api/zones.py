"""Live crowd measures (docs/crowd.md, "Console"): `GET /api/v1/zones`, read from the in-memory board.

Per zone occupancy, capacity, density, standing level of service, projected time to capacity and a short
history; per link specific flow each way and its walkway level of service; per device when it was last heard.
Nothing here reads the database: the board is kept up to date by the writer after each commit.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.responses import Response

from fairwatch.access import Principal
from fairwatch.api.auth import requires
from fairwatch.api.errors import json_response
from fairwatch.api.openapi import responses
from fairwatch.api.routes import ctx_of
from fairwatch.errors import NotFound
from fairwatch.measures import LinkMeasure, Snapshot, ZoneMeasure
from fairwatch.model import Role

router = APIRouter(prefix="/api/v1", tags=["crowd"])


def _num(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def zone_json(z: ZoneMeasure) -> dict[str, Any]:
    """One zone's measures as JSON-ready values."""
    return {
        "id": z.id,
        "capacity": z.capacity,
        "area_m2": z.area_m2,
        "occupancy": _num(z.occupancy, 0),
        "of_capacity": _num(None if z.occupancy is None else z.occupancy / z.capacity, 4),
        "density": _num(z.density, 3),
        "los": z.los,
        "full_in_s": _num(z.full_in_s, 0),
        "trend_per_min": _num(z.trend_per_min, 1),
        "source": z.source,
        "as_of": z.as_of,
        "history": {
            "occupancy": [[t, round(v)] for t, v in z.occupancy_history],
            "flow": [[t, round(v, 1)] for t, v in z.flow_history],
        },
    }


def link_json(link: LinkMeasure) -> dict[str, Any]:
    """One link's measures as JSON-ready values (flows in persons per metre per minute)."""
    return {
        "id": link.id,
        "width_m": link.width_m,
        "forward": _num(link.forward, 1),
        "backward": _num(link.backward, 1),
        "total": _num(link.total, 1),
        "counterflow": _num(link.counterflow, 3),
        "los": link.los,
        "as_of": link.as_of,
        "history": [[t, round(f, 1), round(b, 1)] for t, f, b in link.history],
    }


def snapshot_json(s: Snapshot) -> dict[str, Any]:
    """The whole board as JSON."""
    return {
        "time": s.time,
        "zones": [zone_json(z) for z in s.zones],
        "links": [link_json(link) for link in s.links],
        "devices": [{"id": d, "last_seen": t} for d, t in s.last_seen.items()],
    }


@router.get(
    "/zones",
    summary="Live crowd measures: per zone occupancy, density, level of service, time to capacity and a short "
    "history; per link flow each way (persons/m/min) and its level of service; per device when last heard",
    responses=responses(200, 401, 403, 404, 503),
)
async def zones(request: Request, _p: Principal = Depends(requires(Role.VIEWER))) -> Response:
    ctx = ctx_of(request)
    if ctx.measures is None:
        raise NotFound("no site is configured (set FAIRWATCH_SITE): there are no zones to measure")
    return json_response(snapshot_json(ctx.measures.snapshot(ctx.clock.now())))


def register(app: FastAPI) -> None:
    """Attach the crowd measures route."""
    app.include_router(router)
