"""The post-event report over HTTP (docs/report.md): `GET /api/v1/reports/event?from=&to=[&site=]`, text/html.

Supervisors and admins only: the report carries the control log's decisions and their rationale (narrative that
viewers and operators read per incident in the console, never in bulk, and that is never published).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from fairwatch.access import Principal
from fairwatch.api.auth import requires
from fairwatch.api.openapi import responses
from fairwatch.api.routes import ctx_of
from fairwatch.model import Role
from fairwatch.report import build, gather, parse_period, render_html

router = APIRouter(prefix="/api/v1", tags=["reports"])

# The document has inline CSS and SVG only: no script, no request of its own.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
_TIME = {"format": "date-time", "examples": ["2026-07-04T18:00:00Z"]}
REPORT_RESPONSES = responses(
    401, 403, 422, 503,
    ok={"200": {"description": "The report: one self-contained HTML document",
                "content": {"text/html": {"schema": {"type": "string"}}}}},
)  # fmt: skip


@router.get("/reports/event", summary="Post-event report of [from, to) as printable HTML (supervisor)",
            responses=REPORT_RESPONSES, response_class=Response)  # fmt: skip
async def event_report(
    request: Request,
    start: Annotated[
        str | None, Query(alias="from", description="Start, RFC 3339 with a zone", json_schema_extra=_TIME)
    ] = None,
    end: Annotated[
        str | None, Query(alias="to", description="End (exclusive), RFC 3339", json_schema_extra=_TIME)
    ] = None,
    site: Annotated[str | None, Query(description="Only this site's alarms and incidents")] = None,
    _p: Principal = Depends(requires(Role.SUPERVISOR)),
) -> Response:
    ctx = ctx_of(request)
    period = parse_period(start, end, site)
    report = build(gather(ctx.store, period), ctx.incidents.taxonomy)
    # Drawing the plots is pure CPU: off the event loop, so ingest and streams keep going meanwhile.
    html = await run_in_threadpool(render_html, report)
    return Response(html, 200, headers=HEADERS, media_type="text/html; charset=utf-8")


def register(app: FastAPI) -> None:
    """Attach the report route."""
    app.include_router(router)
