"""The operator console: sign-in with server-side sessions, the live alarm queue, the venue map, alarm detail and
the shift handover, as Jinja2 pages whose small dependency-free scripts read the JSON API and its event stream."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from fairwatch.console.render import STATIC
from fairwatch.console.routes import Console, build_router
from fairwatch.console.sessions import ConsoleContext
from fairwatch.site import Site


def install(asgi: FastAPI, ctx: ConsoleContext, site: Site | None) -> Console:
    """Mount the console on `asgi`; the app hands `console.sessions.lookup` and `console.html_error` to the API
    so that sessions authenticate the API and its stream and browsers get error pages."""
    console = Console(ctx, site)
    asgi.include_router(build_router(console))
    asgi.mount("/static/console", StaticFiles(directory=STATIC), name="console-static")
    return console


__all__ = ["Console", "install"]
