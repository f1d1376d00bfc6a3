"""The console in real headless Chromium against a real server: sign-in, the live queue and map, alarm handling,
roles, CSRF, the connection banner, the handover and session expiry. Screenshots go to build/screenshots/
(`make screenshots` writes them to docs/img/)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.browser.conftest import IMG, SITE, add_user, sign_in
from tests.harness import Server

pytestmark = pytest.mark.browser

RULES = """
rules:
  - id: crush
    alarm: crowd_safety.crush_risk
    severity: critical
    when: {type: crowd.density, value: {gt: 4.0}}
    group_by: [zone]
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
  - id: heat
    alarm: weather.heat
    severity: medium
    when: {type: temperature, value: {gte: 35}}
    group_by: [zone]
  - id: fault
    alarm: technical.sensor_fault
    severity: low
    when: {type: device.fault}
    group_by: [source]
"""

_ids = itertools.count(1)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, clock: FakeClock) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("console") / "data", RULES, clock, site=SITE) as s:
        add_user(s, "olga", Role.OPERATOR)
        add_user(s, "vic", Role.VIEWER)
        add_user(s, "sam", Role.SUPERVISOR)
        yield s


def send(device: httpx.Client, source: str, type_: str, zone: str, value: float | None = None) -> None:
    event: dict[str, Any] = {"id": f"e{next(_ids)}", "source": source, "type": type_, "zone": zone}
    if value is not None:
        event["value"] = value
    r = device.post("/api/v1/events", json=event)
    assert r.status_code == 202, r.text


def alarm_id(admin: httpx.Client, type_: str, zone: str) -> int:
    for a in admin.get("/api/v1/alarms", params={"active": "true"}).json()["alarms"]:
        if a["type"] == type_ and a["zone"] == zone and a["state"] != "resolved":
            return int(a["id"])
    raise AssertionError(f"no {type_} alarm in {zone}")


def shot(page: Page, name: str) -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / name))


def test_sign_in_refuses_a_wrong_password_then_admits(page: Page) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2F$"))
    page.get_by_label("Username").fill("olga")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signin-message")).to_have_text("Unknown user or wrong password.")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Alarm queue")).to_be_visible()
    expect(page.locator(".who")).to_have_text("olga · operator")


def test_new_alarm_appears_in_queue_and_on_map_without_reload(
    page: Page, device: httpx.Client, admin: httpx.Client
) -> None:
    sign_in(page, "olga")
    expect(page.locator("#live")).to_have_text("Live")
    page.evaluate("window.__sameDocument = true")
    send(device, "second-stage-counter", "crowd.density", "second-stage", 4.6)
    row = page.locator("#queue-body tr", has_text="Crowd safety · crush risk").filter(has_text="Second Stage")
    expect(row).to_be_visible(timeout=2000)
    aid = alarm_id(admin, "crowd_safety.crush_risk", "second-stage")
    expect(page.locator(f'#map a.marker[data-id="{aid}"]')).to_have_count(1, timeout=2000)
    expect(page.locator('#map polygon[data-zone="second-stage"]')).to_have_class("zone sev-critical")
    expect(row).to_have_class(re.compile(r"\bunacked\b"))
    assert page.evaluate("window.__sameDocument") is True  # no reload happened


def test_queue_and_map_screenshots(
    page: Page, device: httpx.Client, admin: httpx.Client, clock: FakeClock
) -> None:
    # Alarms raised over the last hour and a half of (fake) time, so the ages in the screenshot look real.
    seeds: list[tuple[str, str, str, float | None, float]] = [
        ("car-park-counter", "device.fault", "car-park", None, 70),
        ("camping-temp-1", "temperature", "camping", 37.5, 21),
        ("north-gate-turnstiles", "device.fault", "north-gate", None, 6),
        ("main-stage-counter", "crowd.density", "main-stage", 4.3, 7),
        ("food-court-smoke-1", "smoke.detected", "food-court", None, 3),
        ("main-stage-panic", "panic.pressed", "main-stage", None, 1.5),
    ]
    for source, type_, zone, value, minutes_later in seeds:
        send(device, source, type_, zone, value)
        clock.advance(minutes_later * 60)
    admin.post(f"/api/v1/alarms/{alarm_id(admin, 'weather.heat', 'camping')}/ack")
    admin.post(f"/api/v1/alarms/{alarm_id(admin, 'technical.sensor_fault', 'car-park')}/ack")
    sign_in(page, "olga")
    rows = page.locator("#queue-body tr")
    expect(rows).to_have_count(7)
    expect(rows.nth(0).locator(".sev")).to_have_text("critical")  # most severe first
    expect(rows.nth(6).locator(".sev")).to_have_text("low")
    page.keyboard.press("j")
    shot(page, "queue.png")
    page.goto("/map")
    expect(page.locator("#map a.marker")).to_have_count(7)
    expect(page.locator('#map polygon[data-zone="main-stage"]')).to_have_class("zone sev-critical")
    expect(page.locator('#map polygon[data-zone="camping"]')).to_have_class("zone sev-medium")
    shot(page, "map.png")
    page.locator('#map a.marker[aria-label*="Weather · heat"]').click()
    expect(page).to_have_url(re.compile(r"/alarms/\d+$"))
    expect(page.get_by_role("heading", name=re.compile("Weather · heat"))).to_be_visible()


def test_filters_narrow_the_queue(page: Page) -> None:
    sign_in(page, "olga")
    expect(page.locator("#queue-body tr")).to_have_count(7)
    page.get_by_label("Zone", exact=True).select_option("main-stage")
    expect(page.locator("#queue-body tr")).to_have_count(2)
    page.get_by_label("Severity", exact=True).select_option("critical")
    expect(page.locator("#queue-body tr")).to_have_count(1)
    assert "zone=main-stage" in page.url and "severity=critical" in page.url
    page.get_by_role("button", name="Clear filters").click()
    expect(page.locator("#queue-body tr")).to_have_count(7)


def test_acknowledge_comment_and_resolve_from_the_detail_page(page: Page, admin: httpx.Client) -> None:
    aid = alarm_id(admin, "fire.suspected", "food-court")
    sign_in(page, "olga", path=f"/alarms/{aid}")
    expect(page.locator("#a-state")).to_have_text("Unacknowledged")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#a-state")).to_have_text("Acknowledged")
    expect(page.get_by_role("button", name="Acknowledge")).to_be_hidden()
    page.get_by_label("Assign to").select_option("olga")
    page.get_by_role("button", name="Assign").click()
    expect(page.locator("#facts")).to_contain_text("olga")
    page.get_by_label("Comment", exact=True).fill("Steward team 3 on the way; extinguisher ready")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator("#comments")).to_contain_text("Steward team 3 on the way")
    history = page.locator("#history li")
    expect(history).to_have_count(4)
    expect(history.nth(1)).to_contain_text("Acknowledged by olga")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "detail.png")
    page.locator("#act-panel").get_by_label("Disposition").select_option("false_alarm")
    page.get_by_label("Resolution note").fill("Fryer steam, no fire")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#a-state")).to_have_text("Resolved")
    expect(history.nth(4)).to_contain_text("Resolved by olga")
    expect(history.nth(4)).to_contain_text("as false alarm — Fryer steam, no fire")
    expect(page.get_by_role("button", name="Reopen")).to_have_count(0)  # operators cannot reopen


@pytest.mark.parametrize(
    ("width", "height"),
    [(1366, 768), (1024, 768), (768, 1024)],
    ids=["control-room", "tablet-landscape", "tablet"],
)
def test_pages_fit_the_screen_without_sideways_scrolling(
    page: Page, device: httpx.Client, width: int, height: int
) -> None:
    send(device, "river-walk-exit", "device.fault", "river-walk")
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, "olga")
    expect(page.locator("#queue-body tr").first).to_be_visible()
    fits = "() => [document.documentElement.scrollWidth <= innerWidth, (w => w.scrollWidth <= w.clientWidth)"
    fits += "(document.querySelector('.table-wrap'))]"
    assert page.evaluate(fits) == [True, True]
    expect(page.locator("#map svg")).to_be_visible()
    page.goto("/handover")
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")


def test_keyboard_moves_through_the_queue_and_acknowledges(page: Page, admin: httpx.Client) -> None:
    sign_in(page, "olga")
    rows = page.locator("#queue-body tr")
    expect(rows.nth(2)).to_be_visible()
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_be_focused()
    page.keyboard.press("k")
    expect(rows.nth(0)).to_be_focused()
    first = int(rows.nth(0).get_attribute("data-id") or 0)
    page.keyboard.press("a")  # acknowledged, it moves below the unacknowledged alarms of its severity
    expect(page.locator(f'#queue-body tr[data-id="{first}"]')).to_have_class(re.compile(r"\backed\b"))
    assert admin.get(f"/api/v1/alarms/{first}").json()["state"] == "acknowledged"
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("/")
    expect(page.get_by_label("Zone", exact=True)).to_be_focused()


def test_a_viewer_sees_no_actions_and_a_forced_post_is_refused(page: Page, admin: httpx.Client) -> None:
    aid = alarm_id(admin, "violence.panic_alarm", "main-stage")
    sign_in(page, "vic", path=f"/alarms/{aid}")
    expect(page.locator("#a-state")).to_have_text("Unacknowledged")
    expect(page.locator("#act-none")).to_have_text(
        "Your role (viewer) can look at alarms but not act on them."
    )
    expect(page.locator("#act-panel button")).to_have_count(0)
    forced = page.evaluate(
        """async (id) => {
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            const r = await fetch(`/api/v1/alarms/${id}/ack`, {method: "POST", headers: {"X-CSRF-Token": csrf}});
            return [r.status, (await r.json()).message];
        }""",
        aid,
    )
    assert forced == [403, "role 'viewer' may not do this; needs 'operator' or higher"]
    page.goto("/")
    expect(page.locator("#queue-body tr").first).to_be_visible()
    expect(page.locator("#queue-body button")).to_have_count(0)


def test_a_post_without_the_csrf_token_is_refused(page: Page, admin: httpx.Client) -> None:
    aid = alarm_id(admin, "violence.panic_alarm", "main-stage")
    sign_in(page, "olga")
    status = page.evaluate(
        """async (id) => {
            const r = await fetch(`/api/v1/alarms/${id}/ack`, {method: "POST"});
            return [r.status, (await r.json()).message];
        }""",
        aid,
    )
    assert status == [403, "CSRF token missing or invalid: reload the page and try again."]
    assert admin.get(f"/api/v1/alarms/{aid}").json()["state"] == "open"
    signout = page.evaluate("async () => (await fetch('/signout', {method: 'POST'})).status")
    assert signout == 403


def test_a_stale_action_shows_the_servers_conflict_message(page: Page, admin: httpx.Client) -> None:
    aid = alarm_id(admin, "violence.panic_alarm", "main-stage")
    page.route(
        "**/api/v1/stream", lambda route: route.abort()
    )  # no live update: the page keeps stale buttons
    sign_in(page, "olga", path=f"/alarms/{aid}")
    expect(page.get_by_role("button", name="Acknowledge")).to_be_visible()
    admin.post(f"/api/v1/alarms/{aid}/resolve", json={"disposition": "handled"})
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#act-message")).to_have_text(
        "cannot ack an alarm that is resolved; allowed actions: comment, reopen"
    )


def test_banner_when_the_live_connection_drops_and_returns(page: Page) -> None:
    # The first stream ends at once (as when a proxy or the server drops it); reconnects fail until `up` is set.
    phase = {"n": 0, "up": False}

    def stream(route: Route) -> None:
        phase["n"] += 1
        if phase["n"] == 1:
            route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body="retry: 300\n\n")
        elif phase["up"]:
            route.continue_()
        else:
            route.abort()

    page.route("**/api/v1/stream", stream)
    sign_in(page, "olga")
    expect(page.locator("#conn-banner")).to_contain_text("Live connection lost")
    expect(page.locator("#live")).to_have_text("Reconnecting")
    phase["up"] = True
    expect(page.locator("#conn-banner")).to_contain_text("Live connection restored", timeout=10_000)
    expect(page.locator("#live")).to_have_text("Live")


def test_handover_shows_open_alarms_changes_and_notes(page: Page) -> None:
    sign_in(page, "sam", path="/handover")
    expect(page.get_by_role("heading", name="What is open")).to_be_visible()
    expect(page.locator("#notes-panel")).to_contain_text("Fryer steam, no fire")
    expect(page.locator("#notes-panel")).to_contain_text("Steward team 3 on the way")
    page.get_by_label("Handover note").fill("Main stage barrier 4 replaced at 21:10; keep an eye on it.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#notes-panel .timeline li").first).to_contain_text("barrier 4 replaced")
    expect(page.locator("#notes-panel .timeline li").first).to_contain_text("by sam")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "handover.png")
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()  # the print stylesheet drops navigation and forms
    expect(page.get_by_role("button", name="Add note")).to_be_hidden()


def test_idle_session_sends_you_to_sign_in(page: Page, clock: FakeClock) -> None:
    sign_in(page, "olga")
    expect(page.locator("#live")).to_have_text("Live")
    clock.advance(31 * 60)
    page.reload()
    expect(page).to_have_url(re.compile(r"/signin\?next=%2F$"))
    expect(page.locator("#signin-message")).to_have_text(
        "Your session ended after 30 minutes without activity. Sign in again."
    )


def test_screenshots_exist() -> None:
    assert all((IMG / n).stat().st_size > 10_000 for n in ("queue.png", "map.png", "detail.png"))
