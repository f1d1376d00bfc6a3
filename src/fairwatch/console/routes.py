"""The console's route table: sign-in, the pages (queue, map, alarm, handover, users) and their small JSON helpers.

Pages are shells the scripts fill from the JSON API; only the handover and users pages are rendered whole here.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Path, Request
from starlette.datastructures import FormData
from starlette.responses import FileResponse, RedirectResponse, Response

from fairwatch.access import (
    NAME_RE,
    Permission,
    parse_role,
    permits,
    revoke_token,
    save_user,
    set_user_disabled,
)
from fairwatch.console import auth, guide, handover, i18n, incidents, welfare
from fairwatch.console.auth import SessionState
from fairwatch.console.geo import basemap_json, geo_routes
from fairwatch.console.history import history_routes
from fairwatch.console.kiosk import kiosk_routes
from fairwatch.console.render import Pages
from fairwatch.console.sessions import COOKIE, ConsoleContext, ConsoleUser, Sessions, SignInRefused
from fairwatch.errors import Forbidden, InvalidInput, NotFound, Problem, Unauthorized
from fairwatch.events.inputs import MAX_ID, text_problem
from fairwatch.model import AlarmState, AuditEntry, Role, Severity
from fairwatch.site import Site, SoundPolicy
from fairwatch.store import AlarmQuery

# Roles no console user may have: devices use tokens, stewards sign a phone in with a one-time link (no passwords).
PEOPLE_ONLY = {
    Role.DEVICE: "is for API tokens, not people",
    Role.STEWARD: "is for phones signed in with a one-time link (fairwatch field invite), not for console users",
}
SIGNIN_COOKIE = "fw_signin"  # pre-session cookie: the sign-in form's CSRF token is derived from it
# Open in the handover's sense: still to be handled, shelved ones included (the next shift must know what is parked).
_ACTIVE = (AlarmState.OPEN.value, AlarmState.ACKNOWLEDGED.value, AlarmState.SHELVED.value)


class Console:
    """The console's state: the app context, sessions, templates and the site drawn on the map."""

    def __init__(self, ctx: ConsoleContext, site: Site | None = None) -> None:
        self.ctx = ctx
        self.site = site
        self.sessions = Sessions(ctx, site.timezone if site is not None else "UTC")
        self.pages = Pages(site.timezone if site is not None else "UTC", self.type_name)
        self.site_json: dict[str, Any] | None = self.site.as_json() if self.site is not None else None
        self.zone_names: dict[str, str] = (
            {z.id: z.name for z in self.site.zones} if self.site is not None else {}
        )

    def type_name(self, alarm_type: str, lang: str) -> str | None:
        """The taxonomy's name of a type in `lang` for a page in another language than English (None in English:
        the console writes English type names from the id, as it always has)."""
        kind = self.ctx.incidents.taxonomy.get(alarm_type) if lang != "en" else None
        return kind.name(lang) if kind is not None else None

    def signed_in(self, role: Role, touch: bool = True) -> Callable[[Request], Awaitable[ConsoleUser]]:
        """A dependency admitting session users whose role is at least `role` (declares it for deny-by-default)."""

        async def dependency(request: Request) -> ConsoleUser:
            user, ended = self.sessions.resolve(request.cookies.get(COOKIE), touch)
            if user is None:
                raise Unauthorized(
                    auth.ENDED_MESSAGES.get(ended or SessionState.VALID, "sign in to use the console")
                )
            request.state.console_user = user  # the error page still shows who is signed in
            refusal = auth.role_refusal(user.role, role)
            if refusal is not None:
                raise Forbidden(refusal)
            return user

        dependency.required_role = role  # type: ignore[attr-defined]
        return dependency

    def config(self, user: ConsoleUser, **extra: Any) -> dict[str, Any]:
        """What every page's script needs, embedded as JSON."""
        return {
            "user": user.name,
            "role": user.role.value,
            "actions": auth.actions_for(user.role),
            "bulk": auth.bulk_for(user.role),
            "server_now": self.ctx.clock.now(),
            "timezone": self.pages.timezone,
            "site": self.site_json,
            "plan_url": "/console/plan"
            if self.site is not None and self.site.plan.image is not None
            else None,
            "severities": [s.value for s in Severity],
            "heartbeat": self.ctx.settings.stream_heartbeat,
            "sound": (self.site.sound if self.site is not None else SoundPolicy()).as_json(),
            "lang": i18n.current(),
            "local_type_names": guide.local_type_names(self.ctx.incidents.taxonomy, i18n.current()),
            **extra,
        }

    def page(self, template: str, user: ConsoleUser, status: int = 200, **values: Any) -> Response:
        """A signed-in page: layout values, the CSRF token and the script config."""
        cfg = self.config(user, **values.pop("config", {}))
        return self.pages.render(
            template,
            status,
            user=user,
            csrf=user.csrf,
            site_name=self.site.name if self.site is not None else None,
            version=self.ctx.version,
            config=cfg,
            is_admin=user.role.allows(Role.ADMIN),
            can_welfare=permits(user.role, Permission.WELFARE),
            zones=self.zone_names,
            **values,
        )

    def html_error(self, request: Request, status: int, body: dict[str, Any]) -> Response | None:
        """The API's `html_error` hook: on a console page, 401 goes to sign-in and other errors get a page."""
        path = request.url.path
        if path.startswith(("/api/", "/console/")) or "text/html" not in request.headers.get("accept", ""):
            return None
        if status == 401:
            target = path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/signin?next={quote(target, safe='')}", 303)
        user: ConsoleUser | None = getattr(request.state, "console_user", None)
        values = {
            "code": status,
            "message": str(body.get("message", "error")),
            "problems": body.get("problems", []),
        }
        if user is None:
            return self.pages.render("error.html", status, user=None, csrf="", config={}, **values)
        return self.page("error.html", user, status, title=f"Error {status}", **values)

    async def checked_form(self, request: Request, user: ConsoleUser) -> FormData:
        """The posted form, or 403 when its CSRF token (field `csrf` or header X-CSRF-Token) is not the session's."""
        form = await request.form()
        sent = request.headers.get("x-csrf-token") or form.get("csrf")
        if not auth.csrf_ok(user.session_id, sent if isinstance(sent, str) else None):
            raise Forbidden(auth.CSRF_REFUSED)
        unstorable = [
            p for k, v in form.multi_items() if isinstance(v, str) and (p := text_problem(k, v)) is not None
        ]
        if unstorable:  # a store cannot hold NUL or other stray controls (docs/reliability.md)
            raise InvalidInput(unstorable, "invalid form")
        return form


def build_router(console: Console) -> APIRouter:
    """All console routes over `console`."""
    router = APIRouter(include_in_schema=False)
    _signin_routes(router, console)
    _page_routes(router, console)
    _handover_routes(router, console)
    incidents.add_routes(router, console)
    _user_routes(router, console)
    welfare.add_routes(router, console)
    history_routes(router, console)
    geo_routes(router, console)
    return router


# -- sign-in ---------------------------------------------------------------------------------------------------
def _signin_routes(router: APIRouter, console: Console) -> None:
    secure = console.ctx.settings.secure_cookies

    def signin_form(
        request: Request, status: int = 200, message: str | None = None, name: str = ""
    ) -> Response:
        pre = request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(24)
        next_path = auth.safe_next(request.query_params.get("next"))
        if message is None:
            message = _signin_notice(console, request)
        response = console.pages.render(
            "signin.html",
            status,
            user=None,
            csrf=auth.csrf_token(pre),
            config={},
            message=message,
            name=name,
            next=next_path,
            site_name=console.site.name if console.site is not None else None,
            error=status >= 400,
        )
        response.set_cookie(
            SIGNIN_COOKIE, pre, httponly=True, secure=secure, samesite="strict", path="/signin"
        )
        return response

    async def signin_page(request: Request) -> Response:
        user, _ = console.sessions.resolve(request.cookies.get(COOKIE))
        if user is not None:
            return RedirectResponse(auth.safe_next(request.query_params.get("next")), 303)
        return signin_form(request)

    async def signin(request: Request) -> Response:
        form = await request.form()
        name, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
        pre = request.cookies.get(SIGNIN_COOKIE)
        if pre is None or not auth.csrf_ok(pre, _text(form.get("csrf"))):
            return signin_form(request, 403, auth.CSRF_REFUSED, name)
        client = request.client.host if request.client else None
        try:
            session_id = await console.sessions.sign_in(name, password, client)
        except SignInRefused as exc:
            if exc.retry_after is None:
                return signin_form(request, 401, exc.message, name)
            refused = signin_form(request, 429, exc.message, name)
            refused.headers["Retry-After"] = str(exc.retry_after)
            return refused
        response = RedirectResponse(auth.safe_next(_text(form.get("next"))), 303)
        response.set_cookie(COOKIE, session_id, httponly=True, secure=secure, samesite="strict", path="/")
        response.delete_cookie(SIGNIN_COOKIE, path="/signin", secure=secure, httponly=True, samesite="strict")
        return response

    async def signout(
        request: Request, user: ConsoleUser = Depends(console.signed_in(Role.VIEWER))
    ) -> Response:
        await console.checked_form(request, user)
        if user.kiosk:
            raise Forbidden("a kiosk display does not sign out: an admin revokes it on the Users page")
        await console.sessions.sign_out(user)
        response = RedirectResponse("/signin?signed_out=1", 303)
        response.delete_cookie(COOKIE, path="/", secure=secure, httponly=True, samesite="strict")
        return response

    for endpoint in (signin_page, signin):
        endpoint.public = True  # type: ignore[attr-defined]
    router.add_api_route("/signin", signin_page, methods=["GET"])
    router.add_api_route("/signin", signin, methods=["POST"])
    router.add_api_route("/signout", signout, methods=["POST"])


def _signin_notice(console: Console, request: Request) -> str | None:
    if request.query_params.get("signed_out"):
        return auth.SIGNED_OUT
    _, ended = console.sessions.resolve(request.cookies.get(COOKIE), touch=False)
    return auth.ENDED_MESSAGES.get(ended) if ended is not None else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# -- pages -----------------------------------------------------------------------------------------------------
def _page_routes(router: APIRouter, console: Console) -> None:
    viewer = console.signed_in(Role.VIEWER)

    async def queue(user: ConsoleUser = Depends(viewer)) -> Response:
        names = guide.type_names(console.ctx.incidents.taxonomy)
        cfg = {"page": "queue", "type_names": names}
        return console.page("queue.html", user, title="Alarm queue", nav="queue", config=cfg)

    async def venue_map(user: ConsoleUser = Depends(viewer)) -> Response:
        cfg = {"page": "map", "basemap": basemap_json(console.site)}
        return console.page("map.html", user, title="Venue map", nav="map", config=cfg)

    async def alarm(
        alarm_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: ConsoleUser = Depends(viewer)
    ) -> Response:
        if console.ctx.store.get_alarm(alarm_id) is None:
            raise NotFound(f"alarm {alarm_id} not found")
        people = [
            u.name for u in console.ctx.store.list_users() if not u.disabled and u.role.allows(Role.OPERATOR)
        ]
        cfg = {"page": "alarm", "alarm_id": alarm_id, "users": people}
        return console.page(
            "alarm.html", user, title=f"Alarm {alarm_id}", nav="queue", alarm_id=alarm_id, config=cfg
        )

    async def alarm_guide(
        alarm_id: Annotated[int, Path(ge=1, le=MAX_ID)], _user: ConsoleUser = Depends(viewer)
    ) -> Response:
        found = console.ctx.store.get_alarm(alarm_id)
        if found is None:
            raise NotFound(f"alarm {alarm_id} not found")
        desk = console.ctx.incidents
        body = guide.guide(
            found, console.ctx.pipeline.engine.ruleset, desk.taxonomy, desk.cards, i18n.current()
        )
        return Response(
            orjson.dumps(body), media_type="application/json", headers={"Cache-Control": "no-store"}
        )

    async def session(
        request: Request, user: ConsoleUser = Depends(console.signed_in(Role.VIEWER, touch=False))
    ) -> Response:
        if request.query_params.get("touch") == "1":
            console.sessions.resolve(user.session_id, touch=True)
        body = {"user": user.name, "role": user.role.value, "server_now": console.ctx.clock.now()}
        return Response(
            orjson.dumps(body), media_type="application/json", headers={"Cache-Control": "no-store"}
        )

    async def plan(_user: ConsoleUser = Depends(viewer)) -> Response:
        image = console.site.plan.image if console.site is not None else None
        if image is None:
            raise NotFound("the site has no plan image")
        headers = {
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff",
        }
        return FileResponse(image, headers=headers)

    router.add_api_route("/", queue, methods=["GET"])
    router.add_api_route("/map", venue_map, methods=["GET"])
    router.add_api_route("/alarms/{alarm_id}", alarm, methods=["GET"])
    router.add_api_route("/console/session", session, methods=["GET"])
    router.add_api_route("/console/alarms/{alarm_id}/guide", alarm_guide, methods=["GET"])
    router.add_api_route("/console/plan", plan, methods=["GET"])


# -- shift handover --------------------------------------------------------------------------------------------
def _handover_routes(router: APIRouter, console: Console) -> None:
    async def page(request: Request, user: ConsoleUser = Depends(console.signed_in(Role.VIEWER))) -> Response:
        hours = handover.parse_hours(request.query_params.get("hours"))
        now = console.ctx.clock.now()
        store = console.ctx.store
        open_alarms = store.list_alarms(AlarmQuery(states=_ACTIVE, limit=500))
        view = handover.build(open_alarms, store.audit_since(now - hours * 3600), now, hours, i18n.gettext)
        return console.page(
            "handover.html",
            user,
            title="Shift handover",
            nav="handover",
            view=view,
            can_note=user.role.allows(Role.OPERATOR),
            choices=(1, 4, 8, 12, 24),
            config={"page": "handover"},
        )

    async def add_note(
        request: Request, user: ConsoleUser = Depends(console.signed_in(Role.OPERATOR))
    ) -> Response:
        form = await console.checked_form(request, user)
        text = handover.check_note(str(form.get("text", "")))
        await console.ctx.pipeline.call(
            lambda txn, now: txn.append_audit(
                AuditEntry(now, user.name, "handover-noted", "handover", {"text": text})
            )
        )
        hours = handover.parse_hours(_text(form.get("hours")))
        return RedirectResponse(f"/handover?hours={hours}#notes", 303)

    router.add_api_route("/handover", page, methods=["GET"])
    router.add_api_route("/handover/notes", add_note, methods=["POST"])


# -- users (admin) ---------------------------------------------------------------------------------------------
def _user_routes(router: APIRouter, console: Console) -> None:
    admin = console.signed_in(Role.ADMIN)

    def users_page(user: ConsoleUser, status: int = 200, **values: Any) -> Response:
        users = console.ctx.store.list_users()
        tokens = console.ctx.store.list_tokens()
        kiosks = console.ctx.store.list_kiosks()
        roles = [r.value for r in Role if r not in (Role.DEVICE, Role.STEWARD)]
        return console.page(
            "users.html",
            user,
            status,
            title="Users",
            nav="users",
            users=users,
            tokens=tokens,
            kiosks=kiosks,
            now=console.ctx.clock.now(),
            roles=roles,
            **values,
        )

    async def page(user: ConsoleUser = Depends(admin)) -> Response:
        return users_page(user)

    async def save(request: Request, user: ConsoleUser = Depends(admin)) -> Response:
        form = await console.checked_form(request, user)
        name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
        try:
            role = parse_role(str(form.get("role", "")))
            if role in (Role.DEVICE, Role.STEWARD):
                raise InvalidInput([Problem("role", role.value, PEOPLE_ONLY[role])], "invalid role")
            existing = console.ctx.store.get_user(name) if NAME_RE.match(name) else None
            disabled = existing is not None and existing.disabled
            await console.ctx.pipeline.call(
                lambda txn, now: save_user(txn, name, role, password, user.name, now, disabled)
            )
        except InvalidInput as exc:
            return users_page(user, 422, problems=exc.problems, form_name=name)
        return users_page(user, saved=name)

    async def disable(name: str, request: Request, user: ConsoleUser = Depends(admin)) -> Response:
        await console.checked_form(request, user)
        if name == user.name:
            problem = Problem("name", name, "is you: another admin must disable your account")
            return users_page(user, 422, problems=[problem])
        await console.ctx.pipeline.call(lambda txn, now: set_user_disabled(txn, name, True, user.name, now))
        console.ctx.hub.end_streams(lambda p: p.via == "session" and p.user == name)
        return users_page(user, done=f"Disabled user {name}; their sessions have ended.")

    async def enable(name: str, request: Request, user: ConsoleUser = Depends(admin)) -> Response:
        await console.checked_form(request, user)
        await console.ctx.pipeline.call(lambda txn, now: set_user_disabled(txn, name, False, user.name, now))
        return users_page(user, done=f"Enabled user {name}.")

    async def revoke(name: str, request: Request, user: ConsoleUser = Depends(admin)) -> Response:
        await console.checked_form(request, user)
        hashes = set(
            await console.ctx.pipeline.call(lambda txn, now: revoke_token(txn, name, user.name, now))
        )
        console.ctx.forget_tokens(hashes)
        console.ctx.hub.end_streams(lambda p: p.via == "token" and p.key in hashes)
        return users_page(user, done=f"Revoked token {name}.")

    router.add_api_route("/users", page, methods=["GET"])
    router.add_api_route("/users", save, methods=["POST"])
    router.add_api_route("/users/{name}/disable", disable, methods=["POST"])
    router.add_api_route("/users/{name}/enable", enable, methods=["POST"])
    router.add_api_route("/tokens/{name}/revoke", revoke, methods=["POST"])
    kiosk_routes(router, console, users_page)
