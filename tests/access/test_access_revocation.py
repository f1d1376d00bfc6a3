"""Revocation bites at once: a token revoked in the console is refused on its very next request; one revoked by the
CLI in another process once the token cache's short TTL has passed (the server's clock is faked); a disabled user's
session ends on its next request. Every change is audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fairwatch.access import revoke_token
from fairwatch.clock import FakeClock
from fairwatch.model import AuditRecord, Role
from fairwatch.store import SqlStore, sqlite_url
from tests.access.conftest import add_user, page_csrf, run_cli, sign_in
from tests.harness import Server

T0 = 1_783_000_000.0


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    with Server(tmp_path / "data", None, FakeClock(T0)) as s:
        add_user(s, "ada", Role.ADMIN)
        add_user(s, "olga", Role.OPERATOR)
        yield s


def audit(srv: Server, action: str) -> list[AuditRecord]:
    assert srv.app is not None
    return [r for r in srv.app.store.iter_audit() if r.action == action]


def alarms(srv: Server, token: str) -> int:
    r = httpx.get(srv.url + "/api/v1/alarms", headers={"Authorization": f"Bearer {token}"}, timeout=20)
    return r.status_code


def test_a_token_revoked_in_the_console_is_refused_on_its_next_request(srv: Server) -> None:
    token = srv.token(Role.VIEWER, "wall-screen")
    assert alarms(srv, token) == 200  # now in the token cache
    with sign_in(srv, "ada") as admin:
        assert admin.post("/tokens/wall-screen/revoke").status_code == 403  # no CSRF token
        r = admin.post("/tokens/wall-screen/revoke", data={"csrf": page_csrf(admin)})
        assert r.status_code == 200 and "Revoked token wall-screen." in r.text
    assert alarms(srv, token) == 401
    [record] = audit(srv, "token-revoked")
    assert (record.actor, record.object, record.details) == ("ada", "token:wall-screen", {"count": 1})


def test_a_token_revoked_by_the_cli_in_another_process_is_refused_on_the_next_request(srv: Server) -> None:
    token = srv.token(Role.VIEWER, "wall-screen")
    assert alarms(srv, token) == 200  # cached by this server
    done = run_cli("token", "revoke", "wall-screen", "--data", str(srv.data))
    assert (done.returncode, done.stdout, done.stderr) == (0, "token wall-screen revoked (1 token)\n", "")
    assert alarms(srv, token) == 401  # the clock has not moved: the cache entry is still fresh, yet dropped
    assert [r.actor for r in audit(srv, "token-revoked")] == ["cli"]


def test_without_the_marker_the_cache_ttl_bounds_the_delay(srv: Server) -> None:
    """A revocation made where the server cannot see the data directory (another machine, same database)."""
    token = srv.token(Role.VIEWER, "wall-screen")
    assert alarms(srv, token) == 200
    assert srv.app is not None and isinstance(srv.clock, FakeClock)
    store = SqlStore(sqlite_url(srv.data))
    try:
        with store.transaction() as txn:
            revoke_token(txn, "wall-screen", "elsewhere", srv.clock.now())
    finally:
        store.close()
    assert alarms(srv, token) == 200  # cached, and nothing told this server
    srv.clock.advance(srv.app.settings.token_cache_seconds)  # the cache entry's TTL has passed, nothing more
    assert alarms(srv, token) == 401
    assert [r.actor for r in audit(srv, "token-revoked")] == ["elsewhere"]


def test_revoking_an_unknown_token_says_so(srv: Server) -> None:
    done = run_cli("token", "revoke", "nobody", "--data", str(srv.data))
    assert (done.returncode, done.stderr.strip()) == (2, "no live token named 'nobody'")


def test_a_user_disabled_in_the_console_loses_their_session_at_once(srv: Server) -> None:
    with sign_in(srv, "olga") as olga, sign_in(srv, "ada") as admin:
        assert olga.get("/", headers={"accept": "text/html"}).status_code == 200
        r = admin.post("/users/olga/disable", data={"csrf": page_csrf(admin)})
        assert r.status_code == 200 and "Disabled user olga; their sessions have ended." in r.text
        assert olga.get("/api/v1/alarms").status_code == 401
        page = olga.get("/", headers={"accept": "text/html"})
        assert (page.status_code, page.headers["location"]) == (303, "/signin?next=%2F")
        r = admin.post("/users/olga/enable", data={"csrf": page_csrf(admin)})
        assert "Enabled user olga." in r.text
        assert olga.get("/api/v1/alarms").status_code == 401  # enabling does not bring old sessions back
    with sign_in(srv, "olga") as again:
        assert again.get("/api/v1/alarms").status_code == 200
    [off] = audit(srv, "user-disabled")
    [on] = audit(srv, "user-enabled")
    assert (off.actor, off.object, off.details) == ("ada", "user:olga", {"sessions_ended": 1})
    assert (on.actor, on.object) == ("ada", "user:olga")


def test_an_admin_cannot_disable_themselves(srv: Server) -> None:
    with sign_in(srv, "ada") as admin:
        r = admin.post("/users/ada/disable", data={"csrf": page_csrf(admin)})
        assert r.status_code == 422 and "is you: another admin must disable your account" in r.text
    assert audit(srv, "user-disabled") == []


def test_a_user_disabled_by_the_cli_loses_their_session_on_the_next_request(srv: Server) -> None:
    with sign_in(srv, "olga") as olga:
        assert olga.get("/api/v1/alarms").status_code == 200
        done = run_cli("user", "disable", "olga", "--data", str(srv.data))
        assert (done.returncode, done.stdout) == (0, "user olga disabled\n")
        assert olga.get("/api/v1/alarms").status_code == 401
    done = run_cli("user", "enable", "olga", "--data", str(srv.data))
    assert (done.returncode, done.stdout) == (0, "user olga enabled\n")
    with sign_in(srv, "olga") as again:
        assert again.get("/api/v1/alarms").status_code == 200
    assert [r.actor for r in audit(srv, "user-disabled") + audit(srv, "user-enabled")] == ["cli", "cli"]


def test_a_new_password_does_not_enable_a_disabled_user(srv: Server) -> None:
    assert run_cli("user", "disable", "olga", "--data", str(srv.data)).returncode == 0
    with sign_in(srv, "ada") as admin:
        form = {"csrf": page_csrf(admin), "name": "olga", "role": "operator", "password": "a new password!"}
        assert "Saved user olga." in admin.post("/users", data=form).text
    assert srv.app is not None
    user = srv.app.store.get_user("olga")
    assert user is not None and user.disabled
