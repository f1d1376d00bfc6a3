"""The field side of the console: the phone app at `/field` (signed in with a one-time link, installable, working
offline), its sign-in route `/field/join/{code}`, and the control room's units board `/units`.

A phone's session is its own cookie (`fw_field`, stored as a SHA-256 in `unit_devices`), bound to one unit; the API
sees it as a `steward` principal with `via == "field"` (`lookup`), and state-changing calls need the session's
CSRF token, as in the console.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Path, Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from fairwatch.access import Principal
from fairwatch.console import auth, i18n
from fairwatch.console.render import HERE
from fairwatch.console.routes import Console
from fairwatch.console.sessions import SAFE_METHODS, ConsoleUser
from fairwatch.errors import Forbidden
from fairwatch.events.inputs import MAX_ID
from fairwatch.field import FieldDesk, UnitKind, UnitStatus, unit_json
from fairwatch.model import Role
from fairwatch.site import Site
from fairwatch.store import Device, UnitReads
from fairwatch.taxonomy import Taxonomy

COOKIE = "fw_field"
FIELD_STATIC = HERE / "static" / "field"
VIA = "field"


def device_valid(device: Device | None, now: float) -> bool:
    """True while a phone's session works: not revoked, not expired."""
    return device is not None and device.revoked_at is None and now < device.expires


class FieldApp:
    """The phone app and the units board over the console."""

    def __init__(self, console: Console, desk: FieldDesk, taxonomy: Taxonomy, site: Site | None) -> None:
        self.console = console
        self.desk = desk
        self.taxonomy = taxonomy
        self.site = site

    @property
    def store(self) -> UnitReads:
        return self.console.ctx.store

    def device(self, request: Request) -> tuple[str, Device] | None:
        """The phone's session id and device row, when its cookie is a live session."""
        session_id = request.cookies.get(COOKIE)
        if not session_id:
            return None
        device = self.store.get_device(auth.session_hash(session_id))
        if device is None or not device_valid(device, self.console.ctx.clock.now()):
            return None
        return session_id, device

    def lookup(self, request: Request) -> Principal | None:
        """A steward principal for a phone's session; a state-changing call needs its CSRF header."""
        found = self.device(request)
        if found is None:
            return None
        session_id, device = found
        if request.method not in SAFE_METHODS and not auth.csrf_ok(
            session_id, request.headers.get("x-csrf-token")
        ):
            raise Forbidden(auth.CSRF_REFUSED)
        return Principal(f"unit:{device.unit_id}", Role.STEWARD, VIA, device.id_hash)

    def app_config(self, unit_id: int) -> dict[str, Any]:
        """What the phone's script needs: its unit, the report types and zones, the statuses."""
        unit = self.store.get_unit(unit_id)
        types = [
            {"id": t.id, "name": t.name(i18n.current()), "hazard_class": t.hazard_class}
            for t in self.taxonomy.active()
            if not t.id.startswith("technical.") and t.id != "other_safety.field_help_now"
        ]
        zones = [{"id": z.id, "name": z.name} for z in self.site.zones] if self.site is not None else []
        return {
            "unit": unit_json(unit) if unit is not None else None,
            "types": types,
            "zones": zones,
            "statuses": [s.value for s in UnitStatus],
            "server_now": self.console.ctx.clock.now(),
            "heartbeat": self.console.ctx.settings.stream_heartbeat,
            "plan": self.plan_config(),
        }

    def plan_config(self) -> dict[str, Any] | None:
        """The venue plan the report form draws (static/field/plan.js): plan size and each zone's polygon in plan
        metres (y up) with where its name goes, as the console map has them; None without a site."""
        if self.site is None:
            return None
        drawn = self.site.as_json()
        zones = [{k: z[k] for k in ("id", "name", "polygon", "label_at")} for z in drawn["zones"]]
        return {"width": self.site.plan.width, "height": self.site.plan.height, "zones": zones}


def install(
    asgi: FastAPI, console: Console, desk: FieldDesk, taxonomy: Taxonomy, site: Site | None
) -> FieldApp:
    """Mount the phone app and the units board; returns the app (its `lookup` authenticates phones)."""
    app = FieldApp(console, desk, taxonomy, site)
    router = APIRouter(include_in_schema=False)
    _phone_routes(router, app)
    _board_routes(router, app)
    asgi.include_router(router)
    asgi.mount("/static/field", StaticFiles(directory=FIELD_STATIC), name="field-static")
    return app


def chain(*lookups: Callable[[Request], Principal | None] | None) -> Callable[[Request], Principal | None]:
    """One session lookup trying each in turn (the console's session, then a phone's)."""

    def lookup(request: Request) -> Principal | None:
        for one in lookups:
            found = one(request) if one is not None else None
            if found is not None:
                return found
        return None

    return lookup


def _phone_routes(router: APIRouter, app: FieldApp) -> None:
    pages = app.console.pages
    secure = app.console.ctx.settings.secure_cookies

    async def join(code: str, request: Request) -> Response:
        session_id = auth.new_session_id()
        id_hash = auth.session_hash(session_id)
        client = request.client.host if request.client else None
        await app.console.ctx.pipeline.call(
            lambda txn, now: app.desk.join(txn, code[:200], id_hash, client, now)
        )
        response = RedirectResponse("/field", 303)
        # Lax, not Strict: the link is opened from a camera or a chat app, and the redirect must carry the cookie.
        response.set_cookie(COOKIE, session_id, httponly=True, secure=secure, samesite="lax", path="/")
        return response

    async def phone(request: Request) -> Response:
        found = app.device(request)
        if found is None:
            return pages.render("field/signed_out.html", 401, user=None, csrf="", config={})
        session_id, device = found
        cfg = app.app_config(device.unit_id)
        return pages.render("field/app.html", 200, user=None, csrf=auth.csrf_token(session_id), config=cfg)

    async def manifest(_request: Request) -> Response:
        return FileResponse(FIELD_STATIC / "manifest.webmanifest", media_type="application/manifest+json")

    async def worker(_request: Request) -> Response:
        headers = {"Service-Worker-Allowed": "/field", "Cache-Control": "no-cache"}
        return FileResponse(FIELD_STATIC / "sw.js", media_type="text/javascript", headers=headers)

    endpoints: list[Any] = [join, phone, manifest, worker]
    for endpoint in endpoints:
        endpoint.public = True  # the phone's routes check its session themselves
    router.add_api_route("/field/join/{code}", join, methods=["GET"])
    router.add_api_route("/field", phone, methods=["GET"])
    router.add_api_route("/field/manifest.webmanifest", manifest, methods=["GET"])
    router.add_api_route("/field/sw.js", worker, methods=["GET"])


def _board_routes(router: APIRouter, app: FieldApp) -> None:
    console = app.console

    async def board(user: ConsoleUser = Depends(console.signed_in(Role.VIEWER))) -> Response:
        cfg = {
            "page": "units",
            "units": [unit_json(u) for u in app.store.list_units()],
            "kinds": [k.value for k in UnitKind],
            "manage": user.role.allows(Role.SUPERVISOR),
            "dispatch": user.role.allows(Role.OPERATOR),
        }
        return console.page("field/units.html", user, title="Units", nav="units", config=cfg)

    async def unit_page(
        unit_id: int = Path(ge=1, le=MAX_ID), user: ConsoleUser = Depends(console.signed_in(Role.VIEWER))
    ) -> Response:
        return RedirectResponse(f"/units#unit-{unit_id}", 303)

    router.add_api_route("/units", board, methods=["GET"])
    router.add_api_route("/units/{unit_id}", unit_page, methods=["GET"])


__all__ = ["COOKIE", "FieldApp", "chain", "device_valid", "install"]
