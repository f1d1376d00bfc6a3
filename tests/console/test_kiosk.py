"""Kiosk (wall display) sessions over real HTTP with a fake clock: made on the Users page or by the CLI, claimed
once through the link, not ended by idleness, read-only, revoked at once; and the pure rules of `access`."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from fairwatch.access import (
    Principal,
    claim_kiosk,
    create_kiosk,
    kiosk_live,
    revoke_kiosk,
    still_valid,
    token_hash,
)
from fairwatch.cli import cli
from fairwatch.clock import FakeClock
from fairwatch.errors import Conflict, InvalidInput, NotFound
from fairwatch.model import Role
from fairwatch.store import Kiosk, MemoryStore
from tests.console.test_console_http import HTML, PASSWORD, RULES, SITE, add_user, form_csrf, page_csrf
from tests.harness import Server

T0 = 1_783_000_000.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def srv(tmp_path: Path, clock: FakeClock) -> Iterator[Server]:
    with Server(tmp_path / "data", RULES, clock, site=SITE) as s:
        add_user(s, "ada", Role.ADMIN)
        yield s


def admin_client(srv: Server) -> httpx.Client:
    client = httpx.Client(base_url=srv.url, timeout=20)
    csrf = form_csrf(client.get("/signin").text)
    r = client.post("/signin", data={"username": "ada", "password": PASSWORD, "csrf": csrf, "next": "/"})
    assert r.status_code == 303
    return client


def make_kiosk(admin: httpx.Client, name: str = "lobby", days: str = "30") -> str:
    """Create a kiosk on the Users page; returns the one-time link it shows."""
    csrf = form_csrf(admin.get("/users").text)
    page = admin.post("/kiosks", data={"csrf": csrf, "name": name, "days": days}, headers=HTML)
    assert page.status_code == 200, page.text[:500]
    found = re.search(r'id="kiosk-link" type="text" readonly value="([^"]+)"', page.text)
    assert found, page.text[:1000]
    return found.group(1)


def claim(srv: Server, link: str) -> httpx.Client:
    display = httpx.Client(base_url=srv.url, timeout=20)
    r = display.get(link.removeprefix(srv.url))
    assert (r.status_code, r.headers["location"]) == (303, "/kiosk")
    return display


def test_a_kiosk_survives_idleness_and_the_shift_limit_but_cannot_act(srv: Server, clock: FakeClock) -> None:
    with srv.client(Role.DEVICE) as device:
        device.post(
            "/api/v1/events", json={"source": "smoke-1", "type": "smoke.detected", "zone": "food-court"}
        )
    link = make_kiosk(admin_client(srv))
    assert link.startswith(f"{srv.url}/kiosk/claim?code=")
    display = claim(srv, link)
    assert "kiosk:lobby" in display.get("/kiosk").text

    clock.advance(13 * 3600)  # past the 30-minute idle timeout and the 12-hour limit of people's sessions
    wall = display.get("/kiosk", headers=HTML)
    assert wall.status_code == 200 and "Read-only wall display (kiosk:lobby)" in wall.text
    assert "Sign out" not in wall.text
    alarms = display.get("/api/v1/alarms").json()["alarms"]
    assert len(alarms) == 1

    csrf = page_csrf(wall.text)
    refused = display.post(f"/api/v1/alarms/{alarms[0]['id']}/ack", headers={"X-CSRF-Token": csrf})
    assert (refused.status_code, refused.json()["message"]) == (
        403,
        "role 'viewer' may not do this; needs 'operator' or higher",
    )
    signout = display.post("/signout", data={"csrf": csrf}, headers=HTML)
    assert signout.status_code == 403
    assert display.get("/users", headers=HTML).status_code == 403
    assert display.get("/kiosk", headers=HTML).status_code == 200  # still signed in


def test_the_link_works_once(srv: Server) -> None:
    link = make_kiosk(admin_client(srv))
    claim(srv, link)
    again = httpx.Client(base_url=srv.url, timeout=20).get(link.removeprefix(srv.url), headers=HTML)
    assert again.status_code == 404
    assert "used already, has expired or was revoked" in again.text


def test_an_unused_link_expires_after_a_day(srv: Server, clock: FakeClock) -> None:
    link = make_kiosk(admin_client(srv))
    clock.advance(24 * 3600)
    r = httpx.Client(base_url=srv.url, timeout=20).get(link.removeprefix(srv.url))
    assert r.status_code == 404


def test_revoking_signs_the_display_out_at_once_and_is_audited(srv: Server) -> None:
    admin = admin_client(srv)
    display = claim(srv, make_kiosk(admin))
    csrf = form_csrf(admin.get("/users").text)
    page = admin.post("/kiosks/lobby/revoke", data={"csrf": csrf}, headers=HTML)
    assert "Revoked kiosk lobby" in page.text
    assert display.get("/api/v1/alarms").status_code == 401
    assert display.get("/kiosk", headers=HTML).headers["location"] == "/signin?next=%2Fkiosk"
    with sqlite3.connect(srv.data / "fairwatch.db") as conn:
        actions = [
            r[0] for r in conn.execute("SELECT action FROM audit WHERE object = 'kiosk:lobby' ORDER BY seq")
        ]
    assert actions == ["kiosk-created", "kiosk-claimed", "kiosk-revoked"]
    again = make_kiosk(admin)  # a revoked name may be used again, with a new link
    claim(srv, again)


def test_a_live_kiosk_name_cannot_be_made_twice_and_bad_input_is_named(srv: Server) -> None:
    admin = admin_client(srv)
    make_kiosk(admin)
    csrf = form_csrf(admin.get("/users").text)
    twice = admin.post("/kiosks", data={"csrf": csrf, "name": "lobby", "days": "30"}, headers=HTML)
    assert twice.status_code == 409 and "revoke it before making a new one" in twice.text
    bad = admin.post("/kiosks", data={"csrf": csrf, "name": "wall 1", "days": "400"}, headers=HTML)
    assert bad.status_code == 422
    assert "name: must be 1-64 characters" in bad.text
    assert "days: must be a whole number of days from 1 to 365" in bad.text


def test_the_cli_prints_only_the_link(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = CliRunner().invoke(
        cli, ["kiosk", "create", "--name", "gate-wall", "--data", str(data), "--url", "http://10.0.0.5:8470"]
    )
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"http://10\.0\.0\.5:8470/kiosk/claim\?code=[A-Za-z0-9_-]{43}\n", result.stdout)
    again = CliRunner().invoke(cli, ["kiosk", "create", "--name", "gate-wall", "--data", str(data)])
    assert again.exit_code == 2
    revoked = CliRunner().invoke(cli, ["kiosk", "revoke", "gate-wall", "--data", str(data)])
    assert (revoked.exit_code, revoked.stdout) == (0, "kiosk gate-wall revoked\n")


def test_kiosk_rules_with_plain_numbers() -> None:
    store = MemoryStore()
    with store.transaction() as txn:
        code = create_kiosk(txn, "lobby", 2, "ada", T0)
        with pytest.raises(Conflict):
            create_kiosk(txn, "lobby", 2, "ada", T0)
        for bad in (0, 366, True):
            with pytest.raises(InvalidInput):
                create_kiosk(txn, "other", bad, "ada", T0)
        with pytest.raises(NotFound):
            claim_kiosk(txn, "not-the-code", None, T0)
        session_id, kiosk = claim_kiosk(txn, code, "10.0.0.9", T0)
    assert kiosk_live(kiosk, T0 + 2 * 86400 - 1) and not kiosk_live(kiosk, T0 + 2 * 86400)
    # A kiosk's live stream is checked at every heartbeat like a person's: idleness never ends it, revocation does.
    principal = Principal("kiosk:lobby", Role.VIEWER, "kiosk", token_hash(session_id))
    assert still_valid(store, principal, T0 + 86400)
    with store.transaction() as txn:
        assert revoke_kiosk(txn, "lobby", "ada", T0 + 10) == token_hash(session_id)
    assert not still_valid(store, principal, T0 + 11)
    assert not kiosk_live(Kiosk("x", T0, "ada", T0 + 99, None, T0, revoked=T0 + 1), T0 + 2)
    assert not kiosk_live(None, T0)
