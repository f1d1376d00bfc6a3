"""The /field app on an emulated phone, with the control room's units board beside it: sign in with a one-time
link, report offline then online (stored exactly once), receive a dispatch live, accept it, change status; the
board sees each change live. Screenshots go to build/screenshots/ (`make screenshots`: docs/img/)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from fairwatch.clock import FakeClock
from fairwatch.config import load_site
from fairwatch.model import Role
from fairwatch.site.model import plan_to_geo
from tests.browser.conftest import IMG, SITE, add_user, new_page, sign_in
from tests.field.conftest import Phone
from tests.harness import Server

RULES = """
rules:
  - id: medical-report
    alarm: medical.emergency
    severity: high
    when: {type: report.medical}
    group_by: [source]
  - id: hot
    alarm: fire.high_temperature
    severity: high
    when: {type: temperature, value: {gt: 55}}
    group_by: [zone]
"""
# Playwright's "Pixel 7" descriptor (a phone viewport, touch, mobile layout).
PHONE: dict[str, Any] = {
    "viewport": {"width": 412, "height": 839},
    "screen": {"width": 412, "height": 915},
    "device_scale_factor": 2.625,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/128.0.0.0 Mobile Safari/537.36",
}


CHECKLISTS = """
checklists:
  - id: medical-post
    checkpoint: Medical post
    zone: medical-tent
    unit: Medic 2
    items:
      - {id: defib, text: Defibrillator present, severity: critical}
"""


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    clock = FakeClock(time.time())  # reports carry the server's time; fixed for the test, moved by none
    data = tmp_path_factory.mktemp("field") / "data"
    data.mkdir()
    (data / "checklists.yaml").write_text(CHECKLISTS)
    lists = data / "checklists.yaml"
    with Server(data, RULES, clock, site=SITE, flood_threshold=0, field_checklists=lists) as s:
        add_user(s, "olga", Role.OPERATOR)
        yield s


@pytest.fixture(scope="module")
def sup(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.SUPERVISOR) as c:
        yield c


@pytest.fixture
def phone_context(browser: Browser, srv: Server) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=srv.url, reduced_motion="reduce", **PHONE)
    context.set_default_timeout(8000)
    yield context
    context.close()


@pytest.fixture
def board(browser: Browser, srv: Server) -> Iterator[Page]:
    page = new_page(browser, srv)
    sign_in(page, "olga", path="/units")
    yield page
    page.context.close()


def reports_of(srv: Server, source: str) -> list[str]:
    assert srv.app is not None
    return [e.id for e in srv.app.store.iter_events() if e.source == source and e.type == "report.medical"]


def shot(page: Page, name: str) -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / name))


def test_a_phone_signs_in_reports_offline_is_dispatched_and_moves_while_the_board_follows(
    srv: Server, sup: httpx.Client, phone_context: BrowserContext, board: Page
) -> None:
    expect(board.locator("#live")).to_have_text("Live")  # the board's stream is open: it sees what comes next
    unit = sup.post("/api/v1/units", json={"name": "Medic 2", "kind": "medic", "members": 2}).json()
    link = sup.post(f"/api/v1/units/{unit['id']}/invites", json={}).json()["link"]
    source = f"unit-{unit['id']}"
    row = board.locator(f"#unit-{unit['id']}")
    expect(row).to_contain_text("available")  # arrived live: the board was open before the unit existed

    # Sign in with the one-time link; a second use is refused.
    phone = phone_context.new_page()
    phone.goto(link)
    expect(phone).to_have_url(f"{srv.url}/field")
    expect(phone.locator("#unit-name")).to_have_text("Medic 2")
    with httpx.Client(base_url=srv.url) as other:
        assert other.get(link, follow_redirects=False).status_code == 410

    # The service worker keeps the app shell: the app opens without a connection.
    assert phone.evaluate("navigator.serviceWorker.ready.then((r) => r.active !== null)") is True
    phone_context.set_offline(True)
    phone.reload()
    expect(phone.locator("#unit-name")).to_have_text("Medic 2")

    # Report while offline: it waits on the phone, then goes once the connection returns, and is stored once.
    expect(phone.locator("#net")).to_have_text("Offline")
    phone.get_by_label("What").fill("Medical emergency")
    phone.locator("#report-type").select_option("medical.emergency")
    phone.get_by_label("Details").fill("Collapsed by the bar, breathing")
    phone.get_by_role("button", name="Send report").click()
    expect(phone.locator("#outbox")).to_have_text("1 report waiting to be sent")
    assert reports_of(srv, source) == []
    shot(phone, "field-offline.png")
    phone_context.set_offline(False)
    expect(phone.locator("#outbox")).to_have_text("")
    expect(phone.locator("#message")).to_have_text("Report sent")
    stored = reports_of(srv, source)
    assert len(stored) == 1
    phone.reload()  # a reload flushes the outbox again: nothing is left to send twice
    expect(phone.locator("#outbox")).to_have_text("")
    assert reports_of(srv, source) == stored

    # The control room dispatches the unit to the alarm the report raised; the phone shows it at once.
    alarm = sup.get("/api/v1/alarms", params={"type": "medical.emergency"}).json()["alarms"][0]
    row.locator(".dispatch-id").fill(str(alarm["id"]))
    row.get_by_role("button", name="Dispatch").click()
    expect(row).to_contain_text("dispatched")
    expect(phone.locator("#assignment")).to_be_visible()
    expect(phone.locator("#assignment-text")).to_contain_text(f"Alarm {alarm['id']}")
    phone.get_by_role("button", name="Accept").click()
    expect(row).to_contain_text("(accepted)")
    expect(phone.get_by_role("button", name="Accept")).to_be_hidden()

    # Status changes, one tap each; the board follows live.
    phone.get_by_role("button", name="en route").click()
    expect(phone.locator("#status")).to_have_text("en route")
    expect(row).to_contain_text("en route")
    shot(phone, "field-phone.png")
    phone.get_by_role("button", name="on scene").click()
    expect(row).to_contain_text("on scene")
    phone.get_by_role("button", name="off duty").click()  # not allowed from on scene: the phone says why
    expect(phone.locator("#message")).to_contain_text("cannot follow")
    expect(row).to_contain_text("on scene")

    # A readiness check ticked on the phone: the board's readiness follows live.
    ready = board.locator('#readiness-body tr[data-zone="medical-tent"]')
    expect(ready).to_contain_text("not ready")
    phone.get_by_role("button", name="Defibrillator present: Failed").click()
    expect(ready).to_contain_text("Medical post: Defibrillator present (critical)")
    phone.get_by_role("button", name="Defibrillator present: OK").click()
    expect(ready.locator(".unit-status")).to_have_text("ready")
    shot(board, "field-units.png")


def test_the_alarm_page_dispatches_a_unit_and_the_map_shows_units(
    srv: Server, sup: httpx.Client, board: Page
) -> None:
    unit = sup.post("/api/v1/units", json={"name": "Steward North", "kind": "steward"}).json()
    phone = Phone(srv, sup.post(f"/api/v1/units/{unit['id']}/invites", json={}).json()["link"])
    site = load_site(SITE)
    assert site.georef is not None
    lat, lon = plan_to_geo(site.georef, 400.0, 440.0)  # what the phone's geolocation gives at the north gate
    r = phone.post("/api/v1/field/check-in", {"location": {"lat": lat, "lon": lon}})
    assert (r.status_code, r.json()["zone"]) == (200, "north-gate")
    phone.close()
    with srv.client(Role.DEVICE) as device:
        event = {"source": "t-gate", "type": "temperature", "zone": "north-gate", "value": 80}
        assert device.post("/api/v1/events", json=event).status_code == 202
    alarm = sup.get("/api/v1/alarms", params={"type": "fire.high_temperature"}).json()["alarms"][0]

    board.goto("/map")
    icon = board.locator(f'#map g.unit-icon[data-unit="{unit["id"]}"]')
    expect(icon).to_have_attribute("aria-label", "Steward North, steward, available")
    box = icon.locator("rect")
    assert abs(float(box.get_attribute("x") or "0") + 7 - 400) < 1  # drawn where the phone is (14-unit icon)

    board.goto(f"/alarms/{alarm['id']}")
    board.get_by_label("Dispatch unit").select_option(label="Steward North (steward, available)")
    board.get_by_role("button", name="Dispatch", exact=True).click()
    expect(board.locator("#dispatched-units")).to_contain_text("Steward North: dispatched")
    after = sup.get(f"/api/v1/units/{unit['id']}").json()
    assert (after["status"], after["assignment"]["alarm"]) == ("dispatched", alarm["id"])
    assert srv.app is not None
    assert [r.action for r in srv.app.store.history(f"unit:{unit['id']}")][-1] == "unit-dispatched"


def tap_plan(page: Page, x: float, y: float) -> None:
    """Tap the report form's plan at plan point (x, y) (metres, y up): the point as the drawing puts it on screen."""
    page.locator("#zone-plan svg").scroll_into_view_if_needed()
    sx, sy = page.evaluate(
        """([x, y]) => { const svg = document.querySelector('#zone-plan svg');
             const p = new DOMPoint(x, svg.viewBox.baseVal.height - y).matrixTransform(svg.getScreenCTM());
             return [p.x, p.y]; }""",
        [x, y],
    )
    page.touchscreen.tap(sx, sy)


def test_a_tap_on_the_venue_plan_picks_the_zone_under_the_finger(
    srv: Server, sup: httpx.Client, phone_context: BrowserContext
) -> None:
    unit = sup.post("/api/v1/units", json={"name": "Steward Plan", "kind": "steward"}).json()
    link = sup.post(f"/api/v1/units/{unit['id']}/invites", json={}).json()["link"]
    site = load_site(SITE)
    centres = {z.id: z.shape.representative_point() for z in site.zones}
    for zone_id in (
        "medical-tent",
        "food-court",
    ):  # no other zone holds these points: the pick is unambiguous
        point = centres[zone_id]
        assert [z.id for z in site.zones if z.shape.contains(point)] == [zone_id]
    phone = phone_context.new_page()
    phone.goto(link)
    expect(phone.locator("#zone-plan polygon")).to_have_count(len(site.zones))
    expect(phone.locator("#zone-picked")).to_have_text("Tap the plan to pick a zone")

    tap_plan(phone, centres["medical-tent"].x, centres["medical-tent"].y)
    expect(phone.locator("#report-zone")).to_have_value("medical-tent")
    expect(phone.locator('#zone-plan polygon[data-zone="medical-tent"]')).to_have_class("zone picked")
    expect(phone.locator("#zone-picked")).to_have_text("Selected: Medical Tent")
    tap_plan(phone, centres["food-court"].x, centres["food-court"].y)
    expect(phone.locator("#report-zone")).to_have_value("food-court")
    expect(phone.locator("#zone-plan polygon.picked")).to_have_count(1)
    tap_plan(phone, 5.0, 5.0)  # outside every zone: the choice stays
    expect(phone.locator("#report-zone")).to_have_value("food-court")
    phone.locator("#report-zone").select_option("north-gate")  # the pick list beside it shows on the plan
    expect(phone.locator('#zone-plan polygon[data-zone="north-gate"]')).to_have_class("zone picked")
    tap_plan(phone, centres["food-court"].x, centres["food-court"].y)
    shot(phone, "field-plan.png")

    # The report goes with the zone picked on the plan.
    phone.locator("#report-type").select_option("medical.emergency")
    phone.get_by_role("button", name="Send report").click()
    expect(phone.locator("#message")).to_have_text("Report sent")  # after the 202
    assert srv.app is not None
    zones = [e.zone for e in srv.app.store.iter_events() if e.source == f"unit-{unit['id']}"]
    assert zones == ["food-court"]
