"""The API's documentation pages, Swagger UI at /api/v1/docs and ReDoc at /api/v1/redoc, served without any CDN.

The JavaScript and CSS come from the `fastapi-offline` package (MIT), which ships the Swagger UI and ReDoc
distribution files; a control room is often on a network that cannot reach the internet.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

OPENAPI_URL = "/api/v1/openapi.json"
STATIC_URL = "/api/v1/docs/static"
ASSETS = Path(fastapi_offline.__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Serve the two documentation pages and their assets on `app` (public, like the description itself)."""
    app.mount(STATIC_URL, StaticFiles(directory=ASSETS), name="docs-static")

    async def swagger_ui(_request: Request) -> Response:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title=f"{app.title} API",
            swagger_js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_URL}/favicon.png",
            swagger_ui_parameters={
                "validatorUrl": None
            },  # the default sends the description to an outside host
        )

    async def redoc(_request: Request) -> Response:
        return get_redoc_html(
            openapi_url=OPENAPI_URL,
            title=f"{app.title} API",
            redoc_js_url=f"{STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{STATIC_URL}/favicon.png",
            with_google_fonts=False,
        )

    for path, page in (("/api/v1/docs", swagger_ui), ("/api/v1/redoc", redoc)):
        app.add_api_route(path, page, methods=["GET"], include_in_schema=False)
        setattr(page, "public", True)  # noqa: B010 - marks the route public for the deny-by-default test
