"""The operator console: sign-in with server-side sessions, the live alarm queue, the venue map, alarm detail,
incidents and the control log, and the shift handover, as Jinja2 pages whose small dependency-free scripts read the
JSON API and its event stream."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from fairwatch.console import i18n, limits
from fairwatch.console.geo import mount_leaflet
from fairwatch.console.render import STATIC
from fairwatch.console.routes import Console, build_router
from fairwatch.console.sessions import ConsoleContext
from fairwatch.periodic import Periodic
from fairwatch.site import Site


def install(asgi: FastAPI, ctx: ConsoleContext, site: Site | None) -> Console:
    """Mount the console on `asgi`; the app hands `console.sessions.lookup` and `console.html_error` to the API
    so that sessions authenticate the API and its stream and browsers get error pages."""
    console = Console(ctx, site)
    _run_sign_in_flusher(ctx, console)
    asgi.include_router(build_router(console))
    asgi.mount("/static/console", StaticFiles(directory=STATIC), name="console-static")
    mount_leaflet(asgi)
    # Each page's language: ?lang=xx (remembered in a cookie), else the browser's, else English (console/i18n.py).
    i18n.load_all()
    asgi.add_middleware(i18n.LanguageMiddleware, secure=ctx.settings.secure_cookies)
    return console


__all__ = ["Console", "install"]


def _run_sign_in_flusher(ctx: ConsoleContext, console: Console) -> None:
    """While the server runs, write ended bursts of failed sign-ins (so an attack shows in the log within a
    minute of its end); at stop, write the rest."""
    flusher = Periodic("sign-in-flush", limits.BURST_GAP / 4, lambda: console.sessions.flush(ctx.clock.now()))

    async def start() -> None:
        flusher.start()

    async def stop() -> None:
        await flusher.stop()
        await console.sessions.flush(ctx.clock.now(), everything=True)

    ctx.on_start.append(start)
    ctx.on_stop.append(stop)
