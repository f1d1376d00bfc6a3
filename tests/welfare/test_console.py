"""The console's welfare page over real HTTP: only welfare staff, supervisors and admins see it (and its link);
the forms open a case and record the person found, with the session's CSRF token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.console.test_console_http import HTML, SITE, add_user, form_csrf, sign_in
from tests.harness import Server
from tests.welfare.conftest import CLOTHING, CONTACT, T0


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    with Server(tmp_path / "data", None, FakeClock(T0), site=SITE) as s:
        for name, role in [("wendy", Role.WELFARE), ("olga", Role.OPERATOR), ("sam", Role.SUPERVISOR)]:
            add_user(s, name, role)
        yield s


def test_welfare_staff_open_a_case_and_record_the_person_found(srv: Server) -> None:
    client, _ = sign_in(srv, "wendy")
    page = client.get("/welfare", headers=HTML)
    assert page.status_code == 200 and 'href="/welfare"' in page.text and "No open case." in page.text
    form = {
        "csrf": form_csrf(page.text), "kind": "missing_person", "age_band": "5_to_8", "height_band": "unknown",
        "last_seen_zone": "food-court", "vulnerable": "on", "clothing": CLOTHING, "contact": CONTACT,
    }  # fmt: skip
    opened = client.post("/welfare/cases", data=form)
    assert (opened.status_code, opened.headers["location"]) == (303, "/welfare#case-1")
    page = client.get("/welfare", headers=HTML)
    assert CLOTHING in page.text and CONTACT in page.text and "vulnerable" in page.text
    assert srv.app is not None
    case = srv.app.store.get_welfare_case(1)
    assert case is not None and (case.vulnerable, case.reported_by) == (True, "wendy")
    done = client.post(
        "/welfare/cases/1/found", data={"csrf": form_csrf(page.text), "note": "with her father"}
    )
    assert done.status_code == 303
    page = client.get("/welfare", headers=HTML)
    assert "No open case." in page.text and "with her father" in page.text


def test_a_form_without_the_session_token_is_refused(srv: Server) -> None:
    client, _ = sign_in(srv, "wendy")
    r = client.post("/welfare/cases", data={"kind": "missing_person"}, headers=HTML)
    assert r.status_code == 403
    assert srv.app is not None and srv.app.store.list_welfare_cases() == []


def test_a_bad_form_names_the_field(srv: Server) -> None:
    client, _ = sign_in(srv, "wendy")
    csrf = form_csrf(client.get("/welfare", headers=HTML).text)
    r = client.post("/welfare/cases", data={"csrf": csrf, "kind": "missing_person"}, headers=HTML)
    assert r.status_code == 422 and "age_band" in r.text and "last_seen_zone" in r.text


def test_operators_see_neither_the_page_nor_its_link(srv: Server) -> None:
    client, _ = sign_in(srv, "olga")
    queue = client.get("/", headers=HTML)
    assert queue.status_code == 200 and 'href="/welfare"' not in queue.text
    assert client.get("/welfare", headers=HTML).status_code == 404
    csrf = form_csrf(queue.text)
    assert client.post("/welfare/cases", data={"csrf": csrf, "kind": "missing_person"}).status_code == 404
    supervisor, _ = sign_in(srv, "sam")
    assert supervisor.get("/welfare", headers=HTML).status_code == 200


def test_signed_out_goes_to_sign_in(srv: Server) -> None:
    r = httpx.get(f"{srv.url}/welfare", headers=HTML)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")
