"""The console, the field app and the handover in six languages (issue 14): `?lang=xx` chooses and remembers, the
browser's Accept-Language is the default, an unknown code falls back to English, Arabic is laid out right to left,
script strings come from the JSON catalogues, alarm type names from the taxonomy, the alarm history's lines from
alarm.js. Screenshots (queue-rtl.png, map-rtl.png) go to build/screenshots/ (`make screenshots`: docs/img/)."""

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
from fairwatch.welfare import ESCALATION_TYPE
from tests.browser.conftest import IMG, PASSWORD, SITE, VIEWPORT, add_user, sign_in
from tests.harness import Server
from tests.welfare.conftest import open_case

pytestmark = pytest.mark.browser

RULES = """
rules:
  - id: fire
    alarm: fire.suspected
    severity: critical
    when: {type: smoke.detected}
    group_by: [zone]
  - id: medical-report
    alarm: medical.emergency
    severity: high
    when: {type: report.medical}
    group_by: [source]
"""
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, clock: FakeClock) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("languages") / "data", RULES, clock, site=SITE) as s:
        add_user(s, "olga", Role.OPERATOR)
        yield s


@pytest.fixture(scope="module")
def smoke(srv: Server, device: httpx.Client) -> None:
    """One critical `fire.suspected` alarm in the food court for the pages to show."""
    r = device.post(
        "/api/v1/events",
        json={
            "id": f"smoke-{next(_ids)}",
            "source": "smoke-1",
            "type": "smoke.detected",
            "zone": "food-court",
        },
    )
    assert r.status_code == 202, r.text


def html_attrs(page: Page) -> tuple[str | None, str | None]:
    root = page.locator("html")
    return root.get_attribute("lang"), root.get_attribute("dir")


def shot(page: Page, name: str) -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / name))


def test_lang_de_is_german_and_remembered_on_the_next_page(page: Page) -> None:
    sign_in(page, "olga")
    expect(page.get_by_role("link", name="Handover")).to_be_visible()  # English until a language is chosen
    page.goto("/?lang=de")
    assert html_attrs(page) == ("de", "ltr")
    nav = page.get_by_role("navigation", name="Hauptmenü")
    expect(nav.get_by_role("link", name="Alarme")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="Alarmliste")).to_be_visible()
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
    expect(page.locator("#queue thead")).to_contain_text("Schwere")
    nav.get_by_role("link", name="Übergabe").click()  # no ?lang= on this link: the cookie remembers
    page.wait_for_url(re.compile(r"/handover$"))
    assert html_attrs(page) == ("de", "ltr")
    expect(page.get_by_role("heading", name="Schichtübergabe")).to_be_visible()
    expect(page.get_by_role("button", name="Notiz hinzufügen")).to_be_visible()
    page.locator("#langs summary").click()  # the menu beside the user's name switches to another language
    page.locator("#langs").get_by_role("link", name="Français").click()
    expect(page.get_by_role("heading", name="Relève")).to_be_visible()
    assert html_attrs(page) == ("fr", "ltr")


def test_an_unknown_language_falls_back_to_english_and_says_so(page: Page) -> None:
    sign_in(page, "olga")
    response = page.goto("/?lang=xx")
    assert response is not None and response.status == 200
    assert html_attrs(page) == ("en", "ltr")
    expect(page.locator("#lang-refused")).to_contain_text("“xx” is not available")
    expect(page.get_by_role("heading", name="Alarm queue")).to_be_visible()


def test_the_browser_language_is_the_default_and_scripts_speak_it_too(browser: Browser, srv: Server) -> None:
    context = browser.new_context(
        viewport=VIEWPORT, base_url=srv.url, reduced_motion="reduce", locale="fr-FR"
    )
    context.set_default_timeout(5000)
    page = context.new_page()
    try:
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/signin\?next="))
        assert html_attrs(page) == ("fr", "ltr")
        page.get_by_label("Nom d'utilisateur").fill("olga")
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(re.compile(r"/$"))
        expect(page.get_by_role("heading", name="File des alarmes")).to_be_visible()
        # The connection pill and the mute button are written by the scripts, from static/i18n/fr.json.
        expect(page.locator("#live")).to_have_text("En direct")
        expect(page.locator("#sound-mute")).to_have_text(re.compile(r"^Couper \d+ min$"))
    finally:
        context.close()


@pytest.mark.usefixtures("smoke")
def test_arabic_is_right_to_left_and_the_layout_is_mirrored(page: Page) -> None:
    sign_in(page, "olga")
    page.goto("/?lang=ar")
    assert html_attrs(page) == ("ar", "rtl")
    expect(page.locator("#queue-body tr[data-alarm-id]").first).to_be_visible()
    width = page.viewport_size["width"] if page.viewport_size else VIEWPORT["width"]
    first_link = page.locator(".topbar nav a").first
    expect(first_link).to_have_text("القائمة")
    box = first_link.bounding_box()
    assert box is not None and box["x"] > width / 2, f"the nav starts on the right in Arabic: {box}"
    headers = page.locator("#queue thead th")
    first, last = headers.first.bounding_box(), headers.last.bounding_box()
    assert first is not None and last is not None and first["x"] > last["x"], (
        "the queue's columns run right to left"
    )
    queue, side = page.locator(".queue-panel").bounding_box(), page.locator(".map-panel").bounding_box()
    assert queue is not None and side is not None and queue["x"] > side["x"], "the map panel sits on the left"
    shot(page, "queue-rtl.png")
    page.goto("/map")  # remembered; the side panel of the map page mirrors as well
    assert html_attrs(page) == ("ar", "rtl")
    plan, alarms = page.locator(".map-main").bounding_box(), page.locator("#map-list").bounding_box()
    assert plan is not None and alarms is not None and plan["x"] > alarms["x"], (
        "the alarm list sits on the left"
    )
    # what map.js draws speaks Arabic too: the plan's label, the alarm marker, the zone table's sparklines
    expect(page.locator("#map svg").first).to_have_attribute("aria-label", re.compile("^مخطط موقع "))
    expect(page.locator("#map a.marker").first).to_have_attribute("aria-label", re.compile(r"^الإنذار \d+: "))
    expect(page.locator("#zone-rows svg.spark").first).to_have_attribute("aria-label", re.compile("^إشغال "))
    expect(page.locator("#view-plan")).to_have_text("المخطط")
    shot(page, "map-rtl.png")


@pytest.mark.usefixtures("smoke")
def test_the_german_queue_names_the_type_from_the_taxonomy(page: Page, admin: httpx.Client) -> None:
    sign_in(page, "olga")
    page.goto("/?lang=de")
    row = page.locator("#queue-body tr[data-alarm-id]").first
    expect(row.locator("td.what a")).to_have_text("Brandverdacht")  # the taxonomy's `names.de`
    expect(row.locator(".sev")).to_have_text("kritisch")
    expect(row.locator(".state")).to_have_text("Nicht quittiert")
    alarm = admin.get("/api/v1/alarms", params={"state": "open"}).json()["alarms"][0]
    assert alarm["type"] == "fire.suspected"  # the API stays in English
    page.goto(f"/alarms/{alarm['id']}")
    expect(page.locator("#alarm-title")).to_have_text(f"#{alarm['id']} Brandverdacht")
    expect(page.locator("#g-type-name")).to_have_text("Brandverdacht")


def test_the_field_app_in_spanish(browser: Browser, srv: Server) -> None:
    phone: dict[str, Any] = {"viewport": {"width": 412, "height": 839}, "is_mobile": True, "has_touch": True}
    with srv.client(Role.SUPERVISOR) as sup:
        unit = sup.post("/api/v1/units", json={"name": "Medic 7", "kind": "medic", "members": 2}).json()
        link = sup.post(f"/api/v1/units/{unit['id']}/invites", json={}).json()["link"]
    context = browser.new_context(base_url=srv.url, reduced_motion="reduce", **phone)
    context.set_default_timeout(8000)
    page = context.new_page()
    try:
        page.goto(link)
        expect(page).to_have_url(f"{srv.url}/field")
        page.wait_for_function(
            "() => navigator.serviceWorker.controller !== null"
        )  # the shell is kept from now
        page.goto("/field?lang=es")
        assert html_attrs(page) == ("es", "ltr")
        expect(page.locator("#help")).to_have_text("AYUDA YA")
        expect(page.get_by_role("button", name="Enviar aviso")).to_be_visible()
        expect(page.locator("#net")).to_have_text("En línea")
        expect(page.locator("#report-type option", has_text="Emergencia médica")).to_have_count(1)  # taxonomy
        expect(page.locator(".status-btn[data-status=on_scene]")).to_have_text(
            re.compile("en el lugar", re.I)
        )
        page.locator("#help").click()
        expect(page.locator("#help")).to_have_text("TOQUE OTRA VEZ PARA ENVIAR")  # a script string
        expect(page.locator("#zone-picked")).to_have_text("Toque el plano para elegir una zona")  # plan.js
        page.locator("#report-zone").select_option("food-court")
        expect(page.locator("#zone-picked")).to_have_text(re.compile(r"^Seleccionada: \S"))
        # The service worker keeps the page it serves offline, and the Spanish catalogue travels inside it.
        cached_catalogue = """async () => {
            const name = (await caches.keys()).find((k) => k.startsWith("fairwatch-field-"));
            if (!name) return null;
            const cached = await (await caches.open(name)).match("/field");
            if (!cached) return null;
            const html = new DOMParser().parseFromString(await cached.text(), "text/html");
            return JSON.parse(html.getElementById("fw-i18n").textContent)["Report sent"] || null;
        }"""
        found = None
        for _ in range(50):
            found = page.evaluate(cached_catalogue)
            if found == "Aviso enviado":
                break
            page.wait_for_timeout(200)
        assert found == "Aviso enviado", f"the cached /field carries {found!r}"
    finally:
        context.close()


@pytest.mark.usefixtures("smoke")
def test_the_printed_handover_in_chinese(page: Page) -> None:
    sign_in(page, "olga", path="/handover")
    page.goto("/handover?lang=zh")
    assert html_attrs(page) == ("zh", "ltr")
    page.get_by_label("交接备注").fill("3 号门护栏已修好。")
    page.get_by_role("button", name="添加备注").click()
    note = page.locator("#notes-panel .timeline li").first
    expect(note.locator(".act")).to_have_text("交接")
    expect(note).to_contain_text("olga 记录")
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.get_by_role("heading", name=re.compile("^交接班"))).to_be_visible()
    expect(page.locator(".print-only")).to_contain_text("由 olga 打印于")
    row = page.locator("#open-title").locator("xpath=../..").locator("tbody tr").first
    expect(row).to_contain_text("危急")
    expect(row).to_contain_text("疑似火情")  # the taxonomy's `names.zh`
    expect(page.get_by_role("heading", name=re.compile(r"变化情况（最近 \d+ 小时）"))).to_be_visible()
    changes = page.locator("#changes-title").locator("xpath=../..")
    expect(changes).to_contain_text("触发：危急 fire.suspected")  # the record's line, in the page's words


def test_the_units_board_in_german_and_the_liaison_the_system_sent_on_the_alarm_history(
    page: Page, srv: Server
) -> None:
    """Runs last: the escalation alarm it raises would come first in the other tests' queue."""
    with srv.client(Role.SUPERVISOR) as sup:
        r = sup.post("/api/v1/units", json={"name": "PL 9", "kind": "police_liaison", "members": 2})
        assert r.status_code == 201, r.text
    sign_in(page, "olga", path="/units")
    page.goto("/units?lang=de")
    row = page.locator("#units-body tr", has_text="PL 9")
    expect(row).to_contain_text("Polizeiverbindung")  # kind and status from the script, in German
    expect(row).to_contain_text("verfügbar")
    expect(row.get_by_role("button", name="Alarmieren")).to_be_visible()
    # A vulnerable missing person's case escalates at once, and the writer's tick sends the free liaison.
    with srv.client(Role.WELFARE) as welfare:
        case = open_case(welfare, vulnerable=True)
    srv.tick()
    with srv.client(Role.OPERATOR) as op:
        [alarm] = op.get("/api/v1/alarms", params={"type": ESCALATION_TYPE}).json()["alarms"]
    page.goto(f"/alarms/{alarm['id']}")
    line = page.locator("#history li", has_text="Einheit alarmiert")
    expect(line).to_contain_text(f"PL 9 zu diesem Alarm geschickt — Personensuchfall {case['id']} eskaliert")
    expect(line).to_contain_text("system")
    expect(page.locator("#history")).not_to_contain_text("unit-dispatched")
    page.goto("/units")
    expect(page.locator("#units-body tr", has_text="PL 9")).to_contain_text(f"Alarm {alarm['id']}")
