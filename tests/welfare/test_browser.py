"""The welfare page in real headless Chromium: welfare staff open a case with the form and record the person
found; an operator has no Welfare link. The screenshot goes to build/screenshots/ (`make screenshots`: docs/img)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.browser.conftest import IMG, SITE, add_user, browser, new_page, sign_in
from tests.harness import Server
from tests.welfare.conftest import CLOTHING, CONTACT, T0

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the module's Chromium (tests/browser/conftest.py)


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    with Server(tmp_path / "data", None, FakeClock(T0), site=SITE) as s:
        add_user(s, "wendy", Role.WELFARE)
        add_user(s, "olga", Role.OPERATOR)
        yield s


@pytest.fixture
def page(browser: Browser, srv: Server) -> Iterator[Page]:
    made = new_page(browser, srv)
    yield made
    made.context.close()


def test_welfare_staff_open_a_case_and_record_the_person_found(page: Page, srv: Server) -> None:
    sign_in(page, "wendy", path="/welfare")
    expect(page.get_by_role("link", name="Welfare")).to_have_attribute("aria-current", "page")
    page.get_by_label("Age band").select_option("5_to_8")
    page.get_by_label("Height band").select_option("100_to_130cm")
    page.get_by_label("Last seen in zone").select_option("food-court")
    page.get_by_label("Vulnerable (escalates at once)").check()
    page.get_by_label("Clothing and description (narrative)").fill(CLOTHING)
    page.get_by_label("Reporting contact (restricted)").fill(CONTACT)
    page.get_by_role("button", name="Open case").click()
    row = page.locator("#case-1")
    expect(row).to_contain_text(CLOTHING)
    expect(row).to_contain_text("vulnerable")
    page.evaluate("window.scrollTo(0, 0)")
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / "welfare.png"))
    page.get_by_label("Reunification note for case 1").fill("with her father at the info point")
    page.get_by_role("button", name="Found").click()
    expect(page.get_by_text("No open case.")).to_be_visible()
    expect(page.locator("#case-1")).to_contain_text("with her father at the info point")
    assert srv.app is not None
    case = srv.app.store.get_welfare_case(1)
    assert case is not None and (case.state, case.vulnerable) == ("closed", True)


def test_an_operator_has_no_welfare_link(page: Page) -> None:
    sign_in(page, "olga")
    expect(page.get_by_role("link", name="Handover")).to_be_visible()
    expect(page.get_by_role("link", name="Welfare")).to_have_count(0)
