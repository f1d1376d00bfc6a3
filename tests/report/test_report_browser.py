"""The report in real headless Chromium, under the route's own Content-Security-Policy: a supervisor signed in to
the console opens it; styles and plots apply, nothing is blocked or fetched. The screenshot goes to
build/screenshots/report.png (`make screenshots` writes it to docs/img/)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Request

from fairwatch.model import Role
from tests.browser.conftest import IMG, add_user, browser, new_page, sign_in
from tests.report.conftest import Shift
from tests.report.test_report import PERIOD

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the fixture, shared with the console's browser tests


def test_a_supervisor_opens_the_report_in_a_browser(browser: Browser, shift: Shift) -> None:
    add_user(shift.srv, "sam", Role.SUPERVISOR)
    console = new_page(browser, shift.srv)
    sign_in(console, "sam")
    page = console.context.new_page()  # the same session, and no requests of the console's own page
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    requested: list[str] = []

    def seen(request: Request) -> None:
        if not request.url.endswith("/favicon.ico"):  # the browser's own request, not the document's
            requested.append(request.url)

    page.on("request", seen)
    query = "&".join(f"{k}={v}" for k, v in PERIOD.items())
    response = page.goto(f"/api/v1/reports/event?{query}")
    assert response is not None and response.status == 200
    assert page.locator("h1").inner_text() == "Post-event report"
    # The inline stylesheet applied (the CSP allows inline styles only): the table cells have their border.
    border = page.locator("#per-hour td").first.evaluate("e => getComputedStyle(e).borderTopStyle")
    assert border == "solid"
    plots = page.locator("svg[role=img]")
    assert plots.count() == 5
    box = plots.first.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    assert requested == [page.url]  # the document asked for nothing else
    assert problems == []
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / "report.png"), full_page=True)
