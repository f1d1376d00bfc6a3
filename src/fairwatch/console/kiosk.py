"""Kiosk (wall display) mode: an admin makes a kiosk on the Users page (or `fairwatch kiosk create`) and opens its
one-time link on the display; the display then holds a long-lived read-only session (`access.create_kiosk`) that
no idleness ends, until an admin revokes it. `/kiosk` is the wall view: active alarms, counts, the venue map."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from fairwatch.access import KIOSK_DAYS, claim_kiosk, create_kiosk, revoke_kiosk
from fairwatch.console.sessions import COOKIE, ConsoleUser
from fairwatch.errors import InvalidInput, NotFound, Problem
from fairwatch.model import Role

if TYPE_CHECKING:
    from fairwatch.console.routes import Console

CLAIM_PATH = "/kiosk/claim"
UsersPage = Callable[..., Response]  # the Users page renderer of console/routes.py: (user, status, **values)


def claim_url(base: str, code: str) -> str:
    """The one-time link for a kiosk code, on the server at `base` (e.g. http://10.0.0.5:8470)."""
    return f"{base.rstrip('/')}{CLAIM_PATH}?code={code}"


def kiosk_routes(router: APIRouter, console: Console, users_page: UsersPage) -> None:
    """Register the wall view, the claim link and the admin's create/revoke actions."""
    admin = console.signed_in(Role.ADMIN)
    secure = console.ctx.settings.secure_cookies

    async def wall(user: ConsoleUser = Depends(console.signed_in(Role.VIEWER))) -> Response:
        cfg = {"page": "kiosk", "kiosk": user.kiosk}
        return console.page("kiosk.html", user, title="Wall display", nav="kiosk", config=cfg)

    async def claim(request: Request) -> Response:
        code = request.query_params.get("code", "")
        client = request.client.host if request.client else None
        session_id, _ = await console.ctx.pipeline.call(lambda txn, now: claim_kiosk(txn, code, client, now))
        response = RedirectResponse("/kiosk", 303)
        response.set_cookie(COOKIE, session_id, httponly=True, secure=secure, samesite="lax", path="/")
        return response

    async def create(request: Request, user: ConsoleUser = Depends(admin)) -> Response:
        form = await console.checked_form(request, user)
        name = str(form.get("name", "")).strip()
        try:
            days = _days(str(form.get("days", "")).strip() or str(KIOSK_DAYS))
            code = await console.ctx.pipeline.call(
                lambda txn, now: create_kiosk(txn, name, days, user.name, now)
            )
        except InvalidInput as exc:
            return users_page(user, 422, problems=exc.problems, kiosk_name=name)
        link = claim_url(str(request.base_url), code)
        return users_page(user, kiosk_link=link, kiosk_made=name)

    async def revoke(name: str, request: Request, user: ConsoleUser = Depends(admin)) -> Response:
        await console.checked_form(request, user)
        try:
            ended = await console.ctx.pipeline.call(lambda txn, now: revoke_kiosk(txn, name, user.name, now))
        except NotFound as exc:
            return users_page(user, 404, problems=[Problem("name", name, str(exc))])
        console.ctx.hub.end_streams(lambda p: p.via == "kiosk" and p.key == ended)
        return users_page(user, done=f"Revoked kiosk {name}; its display is signed out.")

    claim.public = True  # type: ignore[attr-defined]
    router.add_api_route("/kiosk", wall, methods=["GET"])
    router.add_api_route(CLAIM_PATH, claim, methods=["GET"])
    router.add_api_route("/kiosks", create, methods=["POST"])
    router.add_api_route("/kiosks/{name}/revoke", revoke, methods=["POST"])


def _days(text: str) -> int:
    if not text.isdigit():
        raise InvalidInput([Problem("days", text, "must be a whole number of days")], "invalid kiosk")
    return int(text)
