"""History, shelving and silences in real headless Chromium against a real server with a fake clock: a resolved
alarm is found by a word of its comment; a shelved alarm leaves the queue and comes back by itself; a supervisor
creates and expires a silence. Screenshots go to build/screenshots/ (`make screenshots`: docs/img/)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.browser.conftest import IMG, SITE, add_user, new_page, sign_in
from tests.harness import Server

pytestmark = pytest.mark.browser

RULES = """
rules:
  - id: fire
    alarm: fire.suspected
    severity: critical
    when: {type: smoke.detected}
    group_by: [zone]
  - id: panic
    alarm: violence.panic_alarm
    severity: high
    when: {type: panic.pressed}
    group_by: [source]
"""
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, clock: FakeClock) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("history") / "data", RULES, clock, site=SITE) as s:
        add_user(s, "olga", Role.OPERATOR)
        add_user(s, "sam", Role.SUPERVISOR)
        add_user(s, "ada", Role.ADMIN)
        yield s


def raise_alarm(admin: httpx.Client, type_: str, zone: str, **extra: Any) -> int:
    event = {"id": f"h{next(_ids)}", "type": type_, "zone": zone, "source": f"dev-{next(_ids)}", **extra}
    assert admin.post("/api/v1/events", json=event).status_code == 202
    found = [a for a in admin.get("/api/v1/alarms", params={"zone": zone, "state": "open"}).json()["alarms"]]
    return int(found[0]["id"])


def shot(page: Page, name: str) -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / name))


def test_a_resolved_alarm_is_found_by_a_word_in_its_comment(page: Page, admin: httpx.Client) -> None:
    wanted = raise_alarm(admin, "smoke.detected", "food-court")
    admin.post(f"/api/v1/alarms/{wanted}/comment", json={"text": "Steward reports a barbecue behind stall 4"})
    admin.post(f"/api/v1/alarms/{wanted}/resolve", json={"disposition": "false_alarm"})
    other = raise_alarm(admin, "smoke.detected", "second-stage")
    admin.post(f"/api/v1/alarms/{other}/resolve", json={"disposition": "handled", "note": "smoke machine"})

    sign_in(page, "olga")
    page.get_by_label("Search").fill("barbecue")  # the top bar's box, on every page, leads to /history
    page.get_by_label("Search").press("Enter")
    expect(page).to_have_url(re.compile(r"/history\?q=barbecue&state=$"))
    expect(page.locator("#history-body tr")).to_have_count(1)
    page.goto("/history")
    rows = page.locator("#history-body tr")
    expect(rows).to_have_count(2)  # resolved alarms by default
    page.get_by_label("Search").fill("Barbecue")
    page.get_by_label("Search").press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-alarm-id", str(wanted))
    expect(rows.first).to_contain_text("false alarm")
    assert "q=Barbecue" in page.url  # kept in the URL: a reload shows the same search
    shot(page, "history.png")
    page.reload()
    expect(rows).to_have_count(1)
    page.get_by_label("Search").fill("no-such-word")  # results follow typing, without Enter
    expect(page.locator("#history-empty")).to_be_visible()
    page.get_by_label("Search").fill("machine")  # a word of the other alarm's resolution note
    page.get_by_role("button", name="Find").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-alarm-id", str(other))


def test_shelve_from_the_alarm_page_then_it_returns_by_itself(
    page: Page, admin: httpx.Client, srv: Server, clock: FakeClock
) -> None:
    alarm_id = raise_alarm(admin, "panic.pressed", "main-stage")
    sign_in(page, "olga", path=f"/alarms/{alarm_id}")
    page.get_by_label("Shelve for").select_option("15")
    page.get_by_role("button", name="Shelve").click()
    expect(page.locator("#act-message")).to_contain_text("reason: must not be empty")
    page.get_by_label("Reason to shelve").fill("Steward on site, device being checked")
    page.get_by_role("button", name="Shelve").click()
    expect(page.locator("#a-state")).to_have_text("Shelved")
    expect(page.locator("#shelf-info")).to_contain_text("by olga: Steward on site, device being checked")

    page.goto("/")
    expect(page.locator(f'#queue-body tr[data-id="{alarm_id}"]')).to_have_count(0)
    page.goto("/history")
    shelved = page.locator(f'#shelved-body tr[data-alarm-id="{alarm_id}"]')
    expect(shelved).to_contain_text("Steward on site, device being checked")
    expect(shelved).to_contain_text("olga")

    clock.advance(15 * 60)
    srv.tick()
    expect(shelved).to_have_count(0)  # gone from the shelved list by itself, over the live stream
    expect(page.locator("#shelved-empty")).to_be_visible()
    page.goto("/")
    row = page.locator(f'#queue-body tr[data-id="{alarm_id}"]')
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Unacknowledged")


def test_the_live_queue_drops_a_shelved_alarm_and_takes_it_back(
    page: Page, admin: httpx.Client, srv: Server, clock: FakeClock
) -> None:
    alarm_id = raise_alarm(admin, "panic.pressed", "second-stage")
    sign_in(page, "olga")
    row = page.locator(f'#queue-body tr[data-id="{alarm_id}"]')
    expect(row).to_have_count(1)
    r = admin.post(f"/api/v1/alarms/{alarm_id}/shelve", json={"minutes": 20, "reason": "known fault"})
    assert r.status_code == 200
    expect(row).to_have_count(0)  # over the live stream, without a reload
    clock.advance(20 * 60)  # (less than the 30 idle minutes that would end olga's session)
    srv.tick()
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Unacknowledged")


def test_a_supervisor_creates_and_expires_a_silence(page: Page, browser: Browser, srv: Server) -> None:
    sign_in(page, "sam", path="/silences")
    page.get_by_label("Zone").select_option(label="Food Court")
    page.get_by_label("Reason").fill("Kitchen smoke test during setup")
    page.get_by_role("button", name="Create silence").click()
    expect(page.locator("#silence-message")).to_contain_text("created")
    row = page.locator("#silences-body tr").filter(has_text="Kitchen smoke test during setup")
    expect(row).to_have_attribute("data-status", "active")
    expect(row).to_contain_text("zone Food Court")
    shot(page, "silences.png")

    operator = new_page(browser, srv)
    try:
        sign_in(operator, "olga", path="/silences")
        expect(operator.locator("#silences-body tr").filter(has_text="Kitchen smoke test")).to_have_count(1)
        expect(operator.get_by_role("button", name="Create silence")).to_have_count(0)  # supervisors only
        expect(operator.get_by_role("button", name="Expire")).to_have_count(0)
    finally:
        operator.context.close()

    row.get_by_role("button", name="Expire").click()
    expect(row).to_have_attribute("data-status", "expired")
    expect(row.get_by_role("button", name="Expire")).to_have_count(0)


def test_a_refused_silence_shows_the_servers_reason(page: Page) -> None:
    sign_in(page, "sam", path="/silences")
    page.get_by_label("Reason").fill("nothing chosen")
    page.get_by_role("button", name="Create silence").click()
    expect(page.locator("#silence-message")).to_contain_text("matchers: must name at least one of")


def test_a_kiosk_survives_the_idle_timeout_and_cannot_act(
    page: Page, browser: Browser, srv: Server, admin: httpx.Client, clock: FakeClock
) -> None:
    alarm_id = raise_alarm(admin, "smoke.detected", "main-stage")
    sign_in(page, "ada", path="/users")
    shot(page, "users-kiosk.png")
    page.get_by_label("Display name").fill("lobby-wall")
    page.get_by_role("button", name="Create kiosk").click()
    link = page.get_by_label("One-time kiosk link").input_value()
    expect(page.locator('tr[data-kiosk="lobby-wall"]')).to_contain_text("link not used yet")

    wall = new_page(browser, srv)
    try:
        wall.goto(link)
        expect(wall).to_have_url(re.compile(r"/kiosk$"))
        item = wall.locator(f'#kiosk-list li[data-alarm-id="{alarm_id}"]')
        expect(item).to_contain_text("Main Stage Arena")
        expect(wall.locator("#live")).to_have_text("Live")
        shot(wall, "kiosk.png")

        clock.advance(31 * 60)  # a person's session would end here
        wall.reload()
        expect(wall).to_have_url(re.compile(r"/kiosk$"))
        expect(item).to_be_visible()
        expect(wall.locator("#main button")).to_have_count(0)  # nothing to press on the wall
        expect(wall.get_by_role("button", name="Sign out")).to_have_count(0)
        status = wall.evaluate(
            """async (id) => (await fetch(`/api/v1/alarms/${id}/ack`, {method: "POST",
                 headers: {"X-CSRF-Token": document.querySelector('meta[name="csrf-token"]').content}})).status""",
            alarm_id,
        )
        assert status == 403  # read-only by role, whatever the page offers

        page.context.close()  # the admin's own session ended after 31 idle minutes: sign in afresh
        again = new_page(browser, srv)
        sign_in(again, "ada", path="/users")
        expect(again.locator('tr[data-kiosk="lobby-wall"]')).to_contain_text("in use")
        again.get_by_role("button", name="Revoke kiosk lobby-wall").click()
        expect(again.locator('tr[data-kiosk="lobby-wall"]')).to_contain_text("revoked")
        expect(wall).to_have_url(
            re.compile(r"/signin")
        )  # its stream ended: the display went to sign-in by itself
        again.context.close()
    finally:
        wall.context.close()
