"""Console sessions over a real app (SQLite store, single writer) with a fake clock: sign-in, throttling,
timeouts, sign-out, the audit trail, and how the API's session lookup enforces CSRF."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request

from fairwatch.access import Principal, save_user
from fairwatch.app import App
from fairwatch.clock import FakeClock
from fairwatch.console import auth
from fairwatch.console.auth import SessionState
from fairwatch.console.sessions import COOKIE, Sessions, SignInRefused
from fairwatch.errors import Forbidden
from fairwatch.model import AuditRecord, Role
from fairwatch.settings import Settings
from fairwatch.store import User

SITE = Path(__file__).parents[2] / "src" / "fairwatch" / "sim" / "demo" / "riverside.site.yaml"
PASSWORD = "correct horse battery"
T0 = 1_783_000_000.0  # 2026-07-02 13:46:40 UTC, 14:46:40 BST at the Riverside site


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
async def app(tmp_path: Path, clock: FakeClock) -> AsyncIterator[App]:
    built = App.build(Settings(data=tmp_path, site=SITE, tick_seconds=3600), clock)
    await built.start()
    await built.pipeline.call(lambda txn, now: save_user(txn, "olga", Role.OPERATOR, PASSWORD, "test", now))
    yield built
    await built.stop()


@pytest.fixture
def sessions(app: App) -> Sessions:
    return app.console.sessions


async def settle(app: App) -> None:
    """Let background writes (session touches) reach the writer and commit."""
    await asyncio.sleep(0)
    await app.pipeline.call(lambda txn, now: None)


def last_audit(app: App, action: str) -> AuditRecord:
    return [r for r in app.store.iter_audit() if r.action == action][-1]


def request(method: str, session_id: str | None = None, csrf: str | None = None) -> Request:
    headers: list[tuple[bytes, bytes]] = []
    if session_id is not None:
        headers.append((b"cookie", f"{COOKIE}={session_id}".encode()))
    if csrf is not None:
        headers.append((b"x-csrf-token", csrf.encode()))
    scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "path": "/api/v1/alarms/1/ack",
        "headers": headers,
    }
    return Request({**scope, "query_string": b""})


async def test_sign_in_stores_only_a_hash_and_is_audited(
    app: App, sessions: Sessions, tmp_path: Path
) -> None:
    session_id = await sessions.sign_in("olga", PASSWORD, "10.0.0.7")
    with sqlite3.connect(tmp_path / "fairwatch.db") as db:
        stored = list(db.execute("SELECT id_hash, user_name, created, last_seen FROM sessions"))
    assert stored == [(auth.session_hash(session_id), "olga", T0, T0)]
    record = last_audit(app, "user-signed-in")
    assert (record.actor, record.object, record.details) == ("olga", "user:olga", {"client": "10.0.0.7"})


@pytest.mark.parametrize(
    ("name", "password", "obj", "reason"),
    [
        ("olga", "wrong password", "user:olga", "bad-password"),
        ("nobody", PASSWORD, "user:nobody", "unknown-user"),
        ("dora", PASSWORD, "user:dora", "disabled"),
        ("../etc", PASSWORD, "user:?", "unknown-user"),
    ],
    ids=["wrong-password", "unknown-user", "disabled-user", "not-a-name"],
)
async def test_refused_sign_ins_say_the_same_and_are_audited(
    app: App, sessions: Sessions, name: str, password: str, obj: str, reason: str
) -> None:
    disabled = User("dora", Role.OPERATOR, app.store.get_user("olga").password_hash, T0, disabled=True)  # type: ignore[union-attr]
    await app.pipeline.call(lambda txn, now: txn.upsert_user(disabled))
    with pytest.raises(SignInRefused) as refused:
        await sessions.sign_in(name, password, "10.0.0.7")
    assert refused.value.message == "Unknown user or wrong password."
    record = last_audit(app, "user-sign-in-failed")
    assert (record.actor, record.object, record.details["reason"]) == ("anonymous", obj, reason)


async def test_five_failures_lock_the_account_even_for_the_right_password(
    app: App, sessions: Sessions, clock: FakeClock
) -> None:
    for _ in range(5):
        with pytest.raises(SignInRefused):
            await sessions.sign_in("olga", "wrong password")
        clock.advance(60)
    with pytest.raises(SignInRefused) as refused:
        await sessions.sign_in("olga", PASSWORD)
    assert refused.value.message == (
        "Too many failed sign-ins for this account. Try again in 10 minutes (after 15:01 BST)."
    )
    assert last_audit(app, "user-sign-in-failed").details["reason"] == "throttled"
    clock.advance(9 * 60 + 59)
    with pytest.raises(SignInRefused):
        await sessions.sign_in("olga", PASSWORD)
    clock.advance(1)  # 15 minutes after the first failure: it leaves the window
    assert await sessions.sign_in("olga", PASSWORD)


async def test_saving_the_user_clears_a_lockout(app: App, sessions: Sessions) -> None:
    for _ in range(5):
        with pytest.raises(SignInRefused):
            await sessions.sign_in("olga", "wrong password")
    await app.pipeline.call(
        lambda txn, now: save_user(txn, "olga", Role.OPERATOR, "a brand new password", "admin", now)
    )
    assert await sessions.sign_in("olga", "a brand new password")


async def test_activity_keeps_a_session_until_30_idle_minutes(
    app: App, sessions: Sessions, clock: FakeClock
) -> None:
    session_id = await sessions.sign_in("olga", PASSWORD)
    for _ in range(3):
        clock.advance(29 * 60)
        user, ended = sessions.resolve(session_id)
        assert (user is not None, ended) == (True, None)
        await settle(app)
    clock.advance(30 * 60)
    assert sessions.resolve(session_id) == (None, SessionState.IDLE)


async def test_no_session_outlives_12_hours(app: App, sessions: Sessions, clock: FakeClock) -> None:
    session_id = await sessions.sign_in("olga", PASSWORD)
    for _ in range(35):
        clock.advance(20 * 60)
        sessions.resolve(session_id)
        await settle(app)
    assert sessions.resolve(session_id)[0] is not None  # 11 h 40 min, active all along
    clock.advance(20 * 60)
    assert sessions.resolve(session_id) == (None, SessionState.EXPIRED)


async def test_reading_without_touch_does_not_extend(app: App, sessions: Sessions, clock: FakeClock) -> None:
    session_id = await sessions.sign_in("olga", PASSWORD)
    clock.advance(20 * 60)
    sessions.resolve(session_id, touch=False)
    await settle(app)
    clock.advance(10 * 60)
    assert sessions.resolve(session_id) == (None, SessionState.IDLE)


async def test_sign_out_ends_the_session_everywhere(app: App, sessions: Sessions) -> None:
    session_id = await sessions.sign_in("olga", PASSWORD)
    user, _ = sessions.resolve(session_id)
    assert user is not None
    await sessions.sign_out(user)
    assert sessions.resolve(session_id) == (None, None)
    assert last_audit(app, "user-signed-out").object == "user:olga"


async def test_a_new_sign_in_sweeps_ended_sessions(
    app: App, sessions: Sessions, clock: FakeClock, tmp_path: Path
) -> None:
    await sessions.sign_in("olga", PASSWORD)
    clock.advance(31 * 60)
    await sessions.sign_in("olga", PASSWORD)
    with sqlite3.connect(tmp_path / "fairwatch.db") as db:
        assert list(db.execute("SELECT created FROM sessions")) == [(T0 + 31 * 60,)]


@pytest.mark.parametrize(
    ("method", "with_csrf", "expected"),
    [
        ("GET", False, Principal("olga", Role.OPERATOR, "session")),
        ("POST", True, Principal("olga", Role.OPERATOR, "session")),
        ("POST", False, auth.CSRF_REFUSED),
        ("DELETE", False, auth.CSRF_REFUSED),
    ],
    ids=["read-needs-no-token", "write-with-token", "write-without-token", "delete-without-token"],
)
async def test_api_lookup_enforces_csrf_on_writes(
    sessions: Sessions, method: str, with_csrf: bool, expected: Principal | str
) -> None:
    session_id = await sessions.sign_in("olga", PASSWORD)
    req = request(method, session_id, auth.csrf_token(session_id) if with_csrf else None)
    if isinstance(expected, str):
        with pytest.raises(Forbidden, match=expected.replace(".", r"\.")):
            sessions.lookup(req)
    else:
        assert sessions.lookup(req) == expected


async def test_api_lookup_without_a_live_session_is_anonymous(sessions: Sessions, clock: FakeClock) -> None:
    session_id = await sessions.sign_in("olga", PASSWORD)
    clock.advance(31 * 60)
    assert (sessions.lookup(request("GET")), sessions.lookup(request("POST", session_id))) == (None, None)
    assert sessions.lookup(request("GET", "made-up")) is None
