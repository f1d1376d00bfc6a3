"""The HTTP API (v1), OpenAPI at /api/v1/openapi.json; one exception-to-response mapper in `errors`."""

from __future__ import annotations

from fastapi import FastAPI

from fairwatch.api import errors, field, incidents, reports, routes, zones
from fairwatch.api.context import Context


def create_api(ctx: Context) -> FastAPI:
    """A FastAPI app serving the v1 API over `ctx`."""
    app = FastAPI(
        title="Fairwatch",
        version=ctx.version,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served by api/docs.py from packaged assets, not a CDN
        redoc_url=None,
    )
    app.state.ctx = ctx
    errors.install(app)
    routes.register(app)
    incidents.register(app)
    zones.register(app)
    reports.register(app)
    field.register(app)
    return app


__all__ = ["Context", "create_api"]
