"""The pure rules of console sign-in: session lifetime, throttling, CSRF tokens, roles and redirects."""

from __future__ import annotations

import pytest

from fairwatch.console import auth
from fairwatch.console.auth import SessionState
from fairwatch.model import Role

T0 = 1_783_000_000.0  # 2026-07-02 13:46:40 UTC


@pytest.mark.parametrize(
    ("created", "last_seen", "now", "expected"),
    [
        (T0, T0, T0, SessionState.VALID),
        (T0, T0, T0 + 29 * 60 + 59, SessionState.VALID),
        (T0, T0, T0 + 30 * 60, SessionState.IDLE),
        (T0, T0 + 11 * 3600, T0 + 11 * 3600 + 60, SessionState.VALID),
        (T0, T0 + 12 * 3600 - 1, T0 + 12 * 3600, SessionState.EXPIRED),
        (T0, T0, T0 + 13 * 3600, SessionState.EXPIRED),
    ],
    ids=[
        "fresh",
        "idle-just-under-30min",
        "idle-30min",
        "active-at-11h",
        "absolute-12h-despite-activity",
        "both",
    ],
)
def test_session_state(created: float, last_seen: float, now: float, expected: SessionState) -> None:
    assert auth.session_state(created, last_seen, now) is expected


@pytest.mark.parametrize(
    ("last_seen", "now", "expected"),
    [(T0, T0 + 59, False), (T0, T0 + 60, True)],
    ids=["within-a-minute", "a-minute-later"],
)
def test_last_seen_is_written_at_most_once_a_minute(last_seen: float, now: float, expected: bool) -> None:
    assert auth.needs_touch(last_seen, now) is expected


@pytest.mark.parametrize(
    ("what", "until", "expected"),
    [
        ("account", T0 + 2, "Too many failed sign-ins for this account. Try again in 2 seconds."),
        ("address", T0 + 0.2, "Too many failed sign-ins for this address. Try again in 1 seconds."),
        ("address", T0 + 300, "Too many failed sign-ins for this address. Try again in 5 minutes."),
    ],
    ids=["account-seconds", "under-a-second", "minutes"],
)
def test_limited_message(what: str, until: float, expected: str) -> None:
    assert auth.limited_message(what, until, T0) == expected


def test_csrf_token_belongs_to_its_session() -> None:
    sid, other = auth.new_session_id(), auth.new_session_id()
    token = auth.csrf_token(sid)
    assert (auth.csrf_ok(sid, token), auth.csrf_ok(other, token), auth.csrf_ok(sid, None)) == (
        True,
        False,
        False,
    )
    assert token not in sid and auth.session_hash(sid) not in (sid, token)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.VIEWER, []),
        (Role.OPERATOR, ["ack", "assign", "comment", "resolve", "shelve", "unshelve"]),
        (Role.SUPERVISOR, ["ack", "assign", "comment", "resolve", "reopen", "shelve", "unshelve"]),
        (Role.ADMIN, ["ack", "assign", "comment", "resolve", "reopen", "shelve", "unshelve"]),
    ],
    ids=["viewer", "operator", "supervisor", "admin"],
)
def test_actions_for_role(role: Role, expected: list[str]) -> None:
    assert auth.actions_for(role) == expected


@pytest.mark.parametrize(
    ("role", "needed", "expected"),
    [
        (Role.VIEWER, Role.OPERATOR, "role 'viewer' may not do this; needs 'operator' or higher"),
        (Role.OPERATOR, Role.SUPERVISOR, "role 'operator' may not do this; needs 'supervisor' or higher"),
        (Role.SUPERVISOR, Role.ADMIN, "role 'supervisor' may not do this; needs 'admin' or higher"),
        (Role.OPERATOR, Role.OPERATOR, None),
        (Role.ADMIN, Role.VIEWER, None),
    ],
    ids=["viewer-acts", "operator-reopens", "supervisor-admins", "operator-acts", "admin-reads"],
)
def test_role_refusal(role: Role, needed: Role, expected: str | None) -> None:
    assert auth.role_refusal(role, needed) == expected


def test_action_roles_match_the_api_route_table() -> None:
    """The console offers an action only to roles the API admits for it."""
    from fastapi.routing import APIRoute

    from fairwatch.api.routes import router

    declared = {}
    for route in router.routes:
        if isinstance(route, APIRoute) and route.path.startswith("/api/v1/alarms/{alarm_id}/"):
            roles = [getattr(d.call, "required_role", None) for d in route.dependant.dependencies]
            declared[route.path.rsplit("/", 1)[1]] = next(r for r in roles if r is not None)
    assert declared == auth.ACTION_ROLES


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (None, "/"),
        ("/alarms/7", "/alarms/7"),
        ("/?zone=main-stage", "/?zone=main-stage"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/signin?next=/", "/"),
        ("javascript:alert(1)", "/"),
    ],
    ids=["none", "page", "query", "other-host", "scheme-relative", "backslash", "signin-loop", "script"],
)
def test_safe_next(target: str | None, expected: str) -> None:
    assert auth.safe_next(target) == expected
