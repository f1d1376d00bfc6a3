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

from fairwatch.access import save_user
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
    ("name", "password", "account", "reason"),
    [
        ("olga", "wrong password", "olga", "bad-password"),
        ("nobody", PASSWORD, "nobody", "unknown-user"),
        ("dora", PASSWORD, "dora", "disabled"),
        ("../etc", PASSWORD, "?", "unknown-user"),
    ],
    ids=["wrong-password", "unknown-user", "disabled-user", "not-a-name"],
)
async def test_refused_sign_ins_say_the_same_and_are_audited(
    app: App, sessions: Sessions, clock: FakeClock, name: str, password: str, account: str, reason: str
) -> None:
    disabled = User("dora", Role.OPERATOR, app.store.get_user("olga").password_hash, T0, disabled=True)  # type: ignore[union-attr]
    await app.pipeline.call(lambda txn, now: txn.upsert_user(disabled))
    with pytest.raises(SignInRefused) as refused:
        await sessions.sign_in(name, password, "10.0.0.7")
    assert refused.value.message == "Unknown user or wrong password."
    assert await sessions.flush(T0, everything=True) == 1
    record = last_audit(app, "user-sign-in-failed")
    assert (record.actor, record.object) == ("anonymous", "client:10.0.0.7")
    assert record.details == {
        "client": "10.0.0.7",
        "count": 1,
        "first": T0,
        "last": T0,
        "accounts": {account: 1},
        "reasons": {reason: 1},
    }


async def test_an_account_slows_down_instead_of_locking(
    app: App, sessions: Sessions, clock: FakeClock
) -> None:
    for _ in range(3):
        with pytest.raises(SignInRefused):
            await sessions.sign_in("olga", "wrong password")
    with pytest.raises(SignInRefused) as refused:
        await sessions.sign_in("olga", PASSWORD)  # even the right password waits
    assert (refused.value.message, refused.value.retry_after) == (
        "Too many failed sign-ins for this account. Try again in 2 seconds.",
        2,
    )
    clock.advance(2)  # two seconds, not fifteen minutes
    assert await sessions.sign_in("olga", PASSWORD)
    for _ in range(3):  # a success starts the count again
        with pytest.raises(SignInRefused) as refused:
            await sessions.sign_in("olga", "wrong password")
        assert refused.value.retry_after is None


async def test_a_burst_of_failures_is_written_once_after_a_quiet_minute(
    app: App, sessions: Sessions, clock: FakeClock
) -> None:
    for name in ("olga", "nobody"):
        with pytest.raises(SignInRefused):
            await sessions.sign_in(name, "wrong password", "203.0.113.9")
    assert [r for r in app.store.iter_audit() if r.action == "user-sign-in-failed"] == []
    clock.advance(60)
    assert await sessions.sign_in("olga", PASSWORD, "10.0.0.7")  # any later sign-in writes the ended burst
    [record] = [r for r in app.store.iter_audit() if r.action == "user-sign-in-failed"]
    assert (record.object, record.details["count"], record.details["accounts"]) == (
        "client:203.0.113.9",
        2,
        {"nobody": 1, "olga": 1},
    )


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
        ("GET", False, ("olga", Role.OPERATOR, "session", "olga")),
        ("POST", True, ("olga", Role.OPERATOR, "session", "olga")),
        ("POST", False, auth.CSRF_REFUSED),
        ("DELETE", False, auth.CSRF_REFUSED),
    ],
    ids=["read-needs-no-token", "write-with-token", "write-without-token", "delete-without-token"],
)
async def test_api_lookup_enforces_csrf_on_writes(
    sessions: Sessions, method: str, with_csrf: bool, expected: tuple[str, Role, str, str] | str
) -> None:
    session_id = await sessions.sign_in("olga", PASSWORD)
    req = request(method, session_id, auth.csrf_token(session_id) if with_csrf else None)
    if isinstance(expected, str):
        with pytest.raises(Forbidden, match=expected.replace(".", r"\.")):
            sessions.lookup(req)
    else:
        principal = sessions.lookup(req)
        assert principal is not None
        assert (principal.name, principal.role, principal.via, principal.user) == expected
        assert principal.key == auth.session_hash(session_id)  # what a stream is cut off by


async def test_api_lookup_without_a_live_session_is_anonymous(sessions: Sessions, clock: FakeClock) -> None:
    session_id = await sessions.sign_in("olga", PASSWORD)
    clock.advance(31 * 60)
    assert (sessions.lookup(request("GET")), sessions.lookup(request("POST", session_id))) == (None, None)
    assert sessions.lookup(request("GET", "made-up")) is None
