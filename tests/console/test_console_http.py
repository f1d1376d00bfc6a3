"""The console over real HTTP against a real server: cookies, CSRF, redirects, roles, handover, users, plan."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairwatch.access import save_user
from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.harness import Server

SITE = Path(__file__).parents[2] / "src" / "fairwatch" / "sim" / "demo" / "riverside.site.yaml"
PASSWORD = "correct horse battery"
RULES = """
rules:
  - id: fire
    alarm: fire.suspected
    severity: critical
    when: {type: smoke.detected}
    group_by: [zone]
"""
HTML = {"accept": "text/html"}


def add_user(srv: Server, name: str, role: Role) -> None:
    assert srv.app is not None
    pipeline = srv.app.pipeline

    async def save() -> None:
        await pipeline.call(lambda txn, now: save_user(txn, name, role, PASSWORD, "test", now))

    srv.call(save())


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    clock = FakeClock(1_783_000_000.0)
    with Server(tmp_path_factory.mktemp("http") / "data", RULES, clock, site=SITE) as s:
        for name, role in [
            ("olga", Role.OPERATOR),
            ("vic", Role.VIEWER),
            ("ada", Role.ADMIN),
            ("tim", Role.OPERATOR),
        ]:
            add_user(s, name, role)
        yield s


def form_csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def page_csrf(html: str) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert found
    return found.group(1)


def message(html: str) -> str:
    found = re.search(r'id="signin-message">([^<]+)<', html)
    return found.group(1) if found else ""


def sign_in(srv: Server, name: str, password: str = PASSWORD) -> tuple[httpx.Client, httpx.Response]:
    client = httpx.Client(base_url=srv.url, timeout=20)
    csrf = form_csrf(client.get("/signin").text)
    response = client.post(
        "/signin", data={"username": name, "password": password, "csrf": csrf, "next": "/"}
    )
    return client, response


def test_session_cookie_flags(srv: Server) -> None:
    client, r = sign_in(srv, "olga")
    assert (r.status_code, r.headers["location"]) == (303, "/")
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("fw_session="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert (
        "Secure" not in cookie and "Max-Age" not in cookie
    )  # ends with the browser; the server enforces time
    page = client.get("/")
    assert page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]


def test_secure_cookies_setting_marks_the_cookies_secure(tmp_path: Path) -> None:
    with Server(tmp_path / "data", None, FakeClock(), site=SITE, secure_cookies=True) as s:
        add_user(s, "olga", Role.OPERATOR)
        form = httpx.get(s.url + "/signin")
        pre = form.cookies["fw_signin"]  # a Secure cookie: httpx would not send it back over plain HTTP
        data = {"username": "olga", "password": PASSWORD, "csrf": form_csrf(form.text)}
        r = httpx.post(s.url + "/signin", data=data, headers={"cookie": f"fw_signin={pre}"})
    assert r.status_code == 303
    for cookie in [*form.headers.get_list("set-cookie"), *r.headers.get_list("set-cookie")]:
        assert "; Secure" in cookie, cookie


def test_sign_in_form_without_its_csrf_token_is_refused(srv: Server) -> None:
    client = httpx.Client(base_url=srv.url)
    client.get("/signin")
    r = client.post("/signin", data={"username": "olga", "password": PASSWORD})
    assert (r.status_code, message(r.text)) == (
        403,
        "CSRF token missing or invalid: reload the page and try again.",
    )


def test_a_slowed_account_gets_429_with_when_to_retry(srv: Server) -> None:
    for _ in range(3):
        _, r = sign_in(srv, "tim", "wrong password")
        assert (r.status_code, message(r.text)) == (401, "Unknown user or wrong password.")
    _, r = sign_in(srv, "tim")
    assert (r.status_code, r.headers["retry-after"]) == (429, "2")
    assert message(r.text) == "Too many failed sign-ins for this account. Try again in 2 seconds."


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [
        ("/", 303, "/signin?next=%2F"),
        ("/alarms/3?x=1", 303, "/signin?next=%2Falarms%2F3%3Fx%3D1"),
        ("/handover", 303, "/signin?next=%2Fhandover"),
        ("/console/session", 401, None),
    ],
    ids=["queue", "alarm-with-query", "handover", "json-helper"],
)
def test_without_a_session_pages_redirect_and_json_says_401(
    srv: Server, path: str, status: int, location: str | None
) -> None:
    r = httpx.get(srv.url + path, headers=HTML)
    assert (r.status_code, r.headers.get("location")) == (status, location)


def test_sign_out_deletes_the_session(srv: Server) -> None:
    client, _ = sign_in(srv, "olga")
    csrf = page_csrf(client.get("/").text)
    assert client.post("/signout", data={}).status_code == 403  # no token
    r = client.post("/signout", data={"csrf": csrf})
    assert (r.status_code, r.headers["location"]) == (303, "/signin?signed_out=1")
    assert message(client.get("/signin?signed_out=1").text) == "You signed out."
    stolen = httpx.get(
        srv.url + "/", headers=HTML, cookies={"fw_session": r.request.headers["cookie"].split("=")[1]}
    )
    assert stolen.status_code == 303


def test_session_authenticates_the_api_and_writes_need_the_header(srv: Server) -> None:
    with srv.client(Role.DEVICE) as device:
        device.post(
            "/api/v1/events",
            json={"source": "food-court-smoke-1", "type": "smoke.detected", "zone": "food-court"},
        )
    client, _ = sign_in(srv, "olga")
    csrf = page_csrf(client.get("/").text)
    aid = client.get("/api/v1/alarms").json()["alarms"][0]["id"]
    refused = client.post(f"/api/v1/alarms/{aid}/comment", json={"text": "x"})
    assert (refused.status_code, refused.json()["message"]) == (
        403,
        "CSRF token missing or invalid: reload the page and try again.",
    )
    done = client.post(
        f"/api/v1/alarms/{aid}/comment", json={"text": "on it"}, headers={"X-CSRF-Token": csrf}
    )
    assert done.status_code == 200
    with srv.client(Role.OPERATOR) as token_client:  # bearer tokens need no CSRF token
        assert token_client.post(f"/api/v1/alarms/{aid}/comment", json={"text": "ok"}).status_code == 200
    history = client.get(f"/api/v1/alarms/{aid}").json()["history"]
    actors = [h["actor"] for h in history if h["action"] == "alarm-commented"]
    assert actors[0] == "olga" and actors[1].startswith("token:")


@pytest.mark.parametrize(
    ("user", "path", "status", "text"),
    [
        ("olga", "/users", 403, "role &#39;operator&#39; may not do this; needs &#39;admin&#39; or higher"),
        ("vic", "/users", 403, "role &#39;viewer&#39; may not do this; needs &#39;admin&#39; or higher"),
        ("ada", "/users", 200, "Console users"),
        ("vic", "/handover?hours=0", 422, "hours: must be a whole number from 1 to 72"),
        ("vic", "/alarms/999", 404, "alarm 999 not found"),
    ],
    ids=["operator-users", "viewer-users", "admin-users", "bad-hours", "missing-alarm"],
)
def test_pages_by_role_and_errors(srv: Server, user: str, path: str, status: int, text: str) -> None:
    client, _ = sign_in(srv, user)
    r = client.get(path, headers=HTML)
    assert r.status_code == status and text in r.text


def test_handover_note_is_audited_and_shown(srv: Server) -> None:
    viewer, _ = sign_in(srv, "vic")
    csrf = page_csrf(viewer.get("/handover").text)
    assert viewer.post("/handover/notes", data={"csrf": csrf, "text": "x"}, headers=HTML).status_code == 403
    client, _ = sign_in(srv, "olga")
    csrf = page_csrf(client.get("/handover").text)
    r = client.post("/handover/notes", data={"csrf": csrf, "text": "Gate 3 barrier repaired", "hours": "4"})
    assert (r.status_code, r.headers["location"]) == (303, "/handover?hours=4#notes")
    assert "Gate 3 barrier repaired" in client.get("/handover?hours=4").text
    assert srv.app is not None
    note = [r for r in srv.app.store.iter_audit() if r.action == "handover-noted"][-1]
    assert (note.actor, note.object, note.details) == (
        "olga",
        "handover",
        {"text": "Gate 3 barrier repaired"},
    )


def test_admin_adds_a_user_who_can_then_sign_in(srv: Server) -> None:
    client, _ = sign_in(srv, "ada")
    csrf = page_csrf(client.get("/users").text)
    short = client.post("/users", data={"csrf": csrf, "name": "nell", "role": "viewer", "password": "short"})
    assert short.status_code == 422 and "password: must be at least 10 characters (got 5)" in short.text
    saved = client.post("/users", data={"csrf": csrf, "name": "nell", "role": "viewer", "password": PASSWORD})
    assert saved.status_code == 200 and "Saved user nell." in saved.text
    _, r = sign_in(srv, "nell")
    assert r.status_code == 303


def test_plan_image_is_served_to_signed_in_users(srv: Server) -> None:
    assert httpx.get(srv.url + "/console/plan").status_code == 401
    client, _ = sign_in(srv, "vic")
    r = client.get("/console/plan")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.headers["content-security-policy"].startswith("default-src 'none'")


def flat(routes: Iterable[Any]) -> Iterator[Any]:
    """Routes with included routers opened up (FastAPI keeps an included router as one lazy entry)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        yield from flat(inner.routes) if inner is not None else [route]


def test_every_console_route_declares_a_role_or_is_public(srv: Server) -> None:
    from fastapi.routing import APIRoute

    assert srv.app is not None
    checked = []
    for route in flat(srv.app.asgi.routes):
        if isinstance(route, APIRoute) and not route.path.startswith("/api/"):
            roles = [getattr(d.call, "required_role", None) for d in route.dependant.dependencies]
            assert any(roles) or getattr(route.endpoint, "public", False), route.path
            checked.append(route.path)
    assert {"/", "/map", "/alarms/{alarm_id}", "/handover", "/users", "/signin", "/signout"} <= set(checked)
