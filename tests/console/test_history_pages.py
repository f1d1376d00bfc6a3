"""The history and silences pages over real HTTP, and shelved alarms in the shift handover."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.console.test_console_http import HTML, RULES, SITE, add_user, sign_in
from tests.harness import Server


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    with Server(tmp_path / "data", RULES, FakeClock(1_783_000_000.0), site=SITE) as s:
        add_user(s, "vic", Role.VIEWER)
        add_user(s, "olga", Role.OPERATOR)
        add_user(s, "sam", Role.SUPERVISOR)
        yield s


@pytest.mark.parametrize(
    ("user", "path", "present", "absent"),
    [
        ("vic", "/history", 'label for="h-q">Search</label>', '"can_unshelve": true'),
        ("olga", "/history", '"can_unshelve": true', "Create silence"),
        ("vic", "/silences", 'id="silences-body"', "Create silence"),
        ("sam", "/silences", "Create silence", "Sign in"),
    ],
    ids=["viewer-history", "operator-history", "viewer-silences", "supervisor-silences"],
)
def test_pages_offer_what_the_role_may_do(
    srv: Server, user: str, path: str, present: str, absent: str
) -> None:
    client, _ = sign_in(srv, user)
    page = client.get(path, headers=HTML)
    assert page.status_code == 200
    assert present in page.text and absent not in page.text


def test_pages_need_a_session(srv: Server) -> None:
    anonymous = httpx.Client(base_url=srv.url, timeout=20)
    for path in ("/history", "/silences", "/kiosk"):
        r = anonymous.get(path, headers=HTML)
        assert (r.status_code, r.headers["location"]) == (303, f"/signin?next=%2F{path[1:]}")


def test_the_handover_lists_shelved_alarms(srv: Server) -> None:
    with srv.client(Role.OPERATOR) as op:
        op.post("/api/v1/events", json={"source": "smoke-1", "type": "smoke.detected", "zone": "food-court"})
        alarm_id = op.get("/api/v1/alarms").json()["alarms"][0]["id"]
        r = op.post(f"/api/v1/alarms/{alarm_id}/shelve", json={"minutes": 60, "reason": "steward on site"})
        assert r.status_code == 200
    client, _ = sign_in(srv, "vic")
    page = client.get("/handover", headers=HTML).text
    assert f'href="/alarms/{alarm_id}"' in page
    assert '<span class="state state-shelved">shelved</span>' in page
