"""The language of console pages over real HTTP: `?lang=` sets the cookie, the cookie and Accept-Language choose,
`<html>` carries lang and dir, an unknown code is English; the API and static files are left alone."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.console.test_console_http import HTML, RULES, SITE, add_user, sign_in
from tests.harness import Server


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("i18n") / "data", RULES, FakeClock(1_783_000_000.0), site=SITE) as s:
        add_user(s, "olga", Role.OPERATOR)
        yield s


@pytest.fixture
def olga(srv: Server) -> Iterator[httpx.Client]:
    client, response = sign_in(srv, "olga")
    assert response.status_code == 303
    yield client
    client.close()


def root(html: str) -> tuple[str, str]:
    found = re.search(r'<html lang="([^"]+)" dir="([^"]+)">', html)
    assert found, html[:200]
    return found.group(1), found.group(2)


def test_lang_sets_a_year_long_cookie_and_the_next_page_keeps_it(olga: httpx.Client) -> None:
    first = olga.get("/?lang=zh-Hans", headers=HTML)
    assert first.status_code == 200
    assert root(first.text) == ("zh", "ltr")
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("fw_lang=zh;") and "Max-Age=31536000" in cookie and "Path=/" in cookie
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
    assert '<h1 id="queue-title">警报队列</h1>' in first.text
    then = olga.get("/handover", headers={**HTML, "accept-language": "de"})  # the cookie beats the browser
    assert "set-cookie" not in then.headers
    assert root(then.text) == ("zh", "ltr")
    assert "交接班" in then.text


def test_the_browser_language_is_the_default(srv: Server) -> None:
    with httpx.Client(base_url=srv.url) as anonymous:
        page = anonymous.get("/signin", headers={**HTML, "accept-language": "it, ar-EG;q=0.8, fr;q=0.5"})
        assert root(page.text) == ("ar", "rtl")
        assert "تسجيل الدخول" in page.text
        assert "set-cookie" not in page.headers or "fw_lang" not in page.headers["set-cookie"]
        assert root(anonymous.get("/signin", headers=HTML).text) == ("en", "ltr")


def test_an_unknown_language_is_english_with_a_notice(olga: httpx.Client) -> None:
    olga.get("/?lang=de", headers=HTML)
    page = olga.get("/?lang=<b>xx</b>", headers=HTML)
    assert page.status_code == 200
    assert root(page.text) == ("en", "ltr")
    assert "The language “&lt;b&gt;xx&lt;/b&gt;” is not available" in page.text  # escaped, never markup
    assert "fw_lang" not in page.headers.get("set-cookie", "")
    assert root(olga.get("/", headers=HTML).text) == ("de", "ltr")  # the remembered choice stands


def test_the_api_and_static_files_are_not_translated(olga: httpx.Client) -> None:
    api = olga.get("/api/v1/alarms?lang=de", headers={"accept": "application/json", "accept-language": "de"})
    assert api.status_code == 200 and "set-cookie" not in api.headers
    wrong = olga.get("/api/v1/alarms?limit=nope&lang=de", headers={"accept": "application/json"})
    assert wrong.status_code == 422 and "limit" in wrong.text and "set-cookie" not in wrong.headers
    catalogue = olga.get("/static/console/i18n/de.json?lang=fr")
    assert (
        catalogue.status_code == 200
        and catalogue.json()["Live connection restored. The queue is up to date."]
    )
    assert "set-cookie" not in catalogue.headers


def test_the_page_embeds_its_script_catalogue(olga: httpx.Client) -> None:
    german = olga.get("/?lang=de", headers=HTML).text
    embedded = re.search(r'<script type="application/json" id="fw-i18n">(.*?)</script>', german, re.S)
    assert embedded and json.loads(embedded.group(1))["Unacknowledged"] == "Nicht quittiert"
    english = olga.get("/?lang=en", headers=HTML).text
    assert '<script type="application/json" id="fw-i18n">{}</script>' in english
