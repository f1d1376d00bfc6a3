"""The venue map in real headless Chromium against a real server: the device layer (icons, states, toggle), zoom
and pan (wheel, keys, drag, touch pinch, buttons) by the SVG viewBox, zone labels that never overlap or leave their
zone (measured), level-of-service colours with a legend, and the zone table with sparklines and time to capacity."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from fairwatch.site import load_site
from tests.browser.conftest import IMG, SITE, add_user, new_page, sign_in
from tests.harness import Server

pytestmark = pytest.mark.browser

RULES = """
rules:
  - id: panic
    alarm: violence.panic_alarm
    severity: high
    when: {type: panic.pressed}
    group_by: [source]
  - id: silent
    alarm: technical.device_offline
    severity: low
    when: {absent: {type: heartbeat, for: 5m}}
    group_by: [source]
"""
T0 = 1_783_000_020.0
WHOLE = "0 0 800 500"
_ids = itertools.count(1)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def srv(tmp_path: Path, clock: FakeClock) -> Iterator[Server]:
    with Server(tmp_path / "data", RULES, clock, site=SITE) as s:
        add_user(s, "olga", Role.OPERATOR)
        yield s


@pytest.fixture
def device(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.DEVICE) as c:
        yield c


def send(device: httpx.Client, clock: FakeClock, source: str, type_: str, **fields: Any) -> None:
    stamp = datetime.fromtimestamp(clock.now(), UTC).isoformat().replace("+00:00", "Z")
    event = {"id": f"m{next(_ids)}", "source": source, "type": type_, "time": stamp, **fields}
    r = device.post("/api/v1/events", json=event)
    assert r.status_code == 202, r.text


def open_map(page: Page) -> None:
    sign_in(page, "olga", path="/map")
    expect(page.locator("#map svg .labels text")).to_have_count(len(load_site(SITE).zones))


def view_box(page: Page) -> list[float]:
    return [float(v) for v in (page.locator("#map svg").get_attribute("viewBox") or "").split()]


# -- device layer ------------------------------------------------------------------------------------------------
KINDS = {
    "crowd_counter": "counter", "smoke_detector": "smoke", "temperature_sensor": "heat", "panic_button": "panic",
    "gate": "gate", "line_counter": "line_counter", "weather_station": "weather",
}  # fmt: skip


def test_every_device_has_an_icon_for_its_kind_and_the_layer_toggles(page: Page) -> None:
    open_map(page)
    site = load_site(SITE)
    for d in site.devices:
        node = page.locator(f'#map g.device[data-device="{d.id}"]')
        expect(node).to_have_attribute("data-kind", KINDS[d.kind.value])
        expect(node).to_have_attribute("data-state", "ok")
    # every kind the console knows has its own drawing, also those the demo site has none of
    for kind in ("counter", "smoke", "heat", "panic", "camera", "gate", "heartbeat", "line_counter"):
        assert page.locator(f"#map svg defs symbol#fw-icon-{kind} path").count() >= 1, kind
    page.get_by_label("Devices").uncheck()
    expect(page.locator("#map g.device").first).to_be_hidden()
    page.get_by_label("Devices").check()
    expect(page.locator("#map g.device").first).to_be_visible()


def test_device_state_follows_its_alarms_ok_alarming_offline(
    page: Page, srv: Server, device: httpx.Client, clock: FakeClock
) -> None:
    send(device, clock, "camping-panic", "heartbeat")
    send(device, clock, "food-court-smoke-1", "heartbeat")
    send(device, clock, "food-court-panic", "panic.pressed", zone="food-court")
    clock.advance(30)
    send(device, clock, "food-court-smoke-1", "heartbeat")
    clock.advance(290)  # camping-panic silent for 5 m 20 s, the smoke detector for 4 m 50 s
    srv.tick()
    open_map(page)
    expect(page.locator('#map g.device[data-device="food-court-panic"]')).to_have_attribute(
        "data-state", "alarming"
    )
    expect(page.locator('#map g.device[data-device="camping-panic"]')).to_have_attribute(
        "data-state", "offline"
    )
    expect(page.locator('#map g.device[data-device="food-court-smoke-1"]')).to_have_attribute(
        "data-state", "ok"
    )
    heard = page.locator('#map g.device[data-device="camping-panic"] title')
    expect(heard).to_contain_text(re.compile(r"offline · last heard 5m [2-5]\ds ago"))


# -- zoom and pan ------------------------------------------------------------------------------------------------
def test_wheel_keys_drag_and_buttons_change_the_view_box(page: Page) -> None:
    open_map(page)
    svg = page.locator("#map svg")
    assert view_box(page) == [0, 0, 800, 500]
    box = svg.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.5)
    page.mouse.wheel(0, -400)  # zoom in around the pointer, left of centre
    expect(svg).not_to_have_attribute("viewBox", WHOLE)
    x, _y, w, h = view_box(page)
    assert w < 800 and h < 500 and abs(w / h - 1.6) < 0.01
    assert x < (800 - w) / 2  # the point under the pointer stayed put: the view moved left
    svg.focus()
    page.keyboard.press("+")
    assert view_box(page)[2] < w
    before = view_box(page)
    page.keyboard.press("ArrowRight")
    assert view_box(page)[0] > before[0]
    page.keyboard.press("ArrowDown")
    assert view_box(page)[1] > before[1]
    before = view_box(page)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 120, cy + 60, steps=6)
    page.mouse.up()
    after = view_box(page)
    assert (
        after[0] < before[0] and after[1] < before[1] and after[2] == before[2]
    )  # dragged: moved, not zoomed
    page.keyboard.press("-")
    assert view_box(page)[2] > after[2]
    page.get_by_role("button", name="Show the whole plan").click()
    expect(svg).to_have_attribute("viewBox", WHOLE)
    page.get_by_role("button", name="Zoom in").click()
    assert view_box(page)[2] == pytest.approx(640)
    page.get_by_role("button", name="Zoom out").click()
    expect(svg).to_have_attribute("viewBox", WHOLE)


def test_the_queue_page_map_zooms_too_and_labels_stay_clear(page: Page) -> None:
    sign_in(page, "olga", path="/")
    svg = page.locator("#map svg")
    expect(svg).to_have_attribute("viewBox", WHOLE)
    assert_labels_clear(page.evaluate(MEASURE))
    box = svg.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)
    expect(svg).not_to_have_attribute("viewBox", WHOLE)
    assert view_box(page)[2] < 800
    svg.focus()
    page.keyboard.press("0")
    expect(svg).to_have_attribute("viewBox", WHOLE)


def test_touch_pinch_zooms_and_the_view_never_leaves_the_plan(page: Page) -> None:
    open_map(page)
    # Two fingers moving apart (pointer events as a touch screen sends them): the view zooms in.
    page.evaluate(
        """() => {
        const svg = document.querySelector('#map svg');
        const r = svg.getBoundingClientRect();
        const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
        const ev = (type, id, x) => svg.dispatchEvent(new PointerEvent(type, {pointerId: id, pointerType: 'touch',
            isPrimary: id === 1, clientX: x, clientY: cy, bubbles: true, button: 0}));
        ev('pointerdown', 1, cx - 40); ev('pointerdown', 2, cx + 40);
        for (let k = 1; k <= 5; k++) { ev('pointermove', 1, cx - 40 - 20 * k); ev('pointermove', 2, cx + 40 + 20 * k); }
        ev('pointerup', 1, cx - 140); ev('pointerup', 2, cx + 140);
    }"""
    )
    w = view_box(page)[2]
    assert w == pytest.approx(800 * 80 / 280, rel=0.02)  # fingers 80 px apart, then 280 px: 3.5x
    page.locator("#map svg").focus()
    for _ in range(40):
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowUp")
    assert view_box(page)[:2] == [0, 0]
    for _ in range(30):
        page.keyboard.press("-")
    assert view_box(page) == [0, 0, 800, 500]  # never smaller than the whole plan


# -- labels ------------------------------------------------------------------------------------------------------
MEASURE = """() => {
  const svg = document.querySelector('#map svg');
  return [...svg.querySelectorAll('.labels text.zone-label')].map((t) => {
    const zone = svg.querySelector(`polygon.zone[data-zone="${t.dataset.zone}"]`);
    const b = t.getBBox();
    const corners = [[b.x, b.y], [b.x + b.width, b.y], [b.x, b.y + b.height], [b.x + b.width, b.y + b.height]];
    const r = t.getBoundingClientRect();
    const z = zone.getBoundingClientRect();
    return {
      zone: t.dataset.zone, text: t.textContent,
      box: [r.left, r.top, r.right, r.bottom], zoneBox: [z.left, z.top, z.right, z.bottom],
      cornersInside: corners.every(([x, y]) => zone.isPointInFill(new DOMPoint(x, y))),
    };
  });
}"""


def assert_labels_clear(labels: list[dict[str, Any]]) -> None:
    for a, b in itertools.combinations(labels, 2):
        ax0, ay0, ax1, ay1 = a["box"]
        bx0, by0, bx1, by1 = b["box"]
        assert ax1 <= bx0 or bx1 <= ax0 or ay1 <= by0 or by1 <= ay0, f"{a['text']!r} overlaps {b['text']!r}"
    for label in labels:
        x0, y0, x1, y1 = label["box"]
        zx0, zy0, zx1, zy1 = label["zoneBox"]
        assert zx0 <= x0 and zy0 <= y0 and x1 <= zx1 and y1 <= zy1, (
            f"{label['text']!r} spills out of its zone"
        )
        assert label["cornersInside"], f"{label['text']!r} leaves its zone's outline"


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080), (1024, 700)], ids=["1366", "1920", "1024"])
def test_one_label_per_zone_never_overlapping_and_inside_its_zone(
    browser: Browser, srv: Server, size: tuple[int, int]
) -> None:
    page = new_page(browser, srv)
    page.set_viewport_size({"width": size[0], "height": size[1]})
    try:
        open_map(page)
        labels = page.evaluate(MEASURE)
        site = load_site(SITE)
        assert sorted(label["zone"] for label in labels) == sorted(z.id for z in site.zones)
        names = {z.id: z.name for z in site.zones}
        for label in labels:  # the whole name, on one line or two
            assert label["text"].replace(" ", "") == names[label["zone"]].replace(" ", "")
        assert_labels_clear(labels)
        page.locator("#map svg").focus()
        page.keyboard.press("+")
        page.keyboard.press("+")
        assert_labels_clear(page.evaluate(MEASURE))  # zoomed in: still apart and inside
        first = page.evaluate(MEASURE)
        page.reload()
        expect(page.locator("#map svg .labels text")).to_have_count(len(site.zones))
        assert page.evaluate(MEASURE) != [] and [x["text"] for x in page.evaluate(MEASURE)] == [
            x["text"] for x in first
        ]  # deterministic: the same layout after a reload
    finally:
        page.context.close()


CROWDED = """
site: {id: crowded, name: Crowded, timezone: UTC, plan: {width: 400, height: 300}}
zones:
  - {id: platform, name: Accessible Viewing Platform, polygon: [[10, 10], [50, 10], [50, 30], [10, 30]], capacity: 50}
  - {id: aid, name: First Aid, polygon: [[55, 10], [75, 10], [75, 25], [55, 25]], capacity: 10}
  - {id: children, name: Lost Children Point, polygon: [[80, 10], [110, 10], [110, 40], [80, 40]], capacity: 20}
  - {id: catering, name: Backstage Catering Area, capacity: 200,
     polygon: [[100, 100], [200, 100], [200, 130], [130, 130], [130, 200], [100, 200]]}
  - {id: exchange, name: Wristband Exchange, polygon: [[220, 20], [380, 20], [300, 60]], capacity: 100}
  - {id: bar-1, name: Bar North One, polygon: [[220, 200], [270, 200], [270, 240], [220, 240]], capacity: 100}
  - {id: bar-2, name: Bar North Two, polygon: [[270, 200], [320, 200], [320, 240], [270, 240]], capacity: 100}
  - {id: bar-3, name: Bar North Three, polygon: [[320, 200], [370, 200], [370, 240], [320, 240]], capacity: 100}
  - {id: bar-4, name: Bar South One, polygon: [[220, 240], [270, 240], [270, 280], [220, 280]], capacity: 100}
  - {id: bar-5, name: Bar South Two, polygon: [[270, 240], [320, 240], [320, 280], [270, 280]], capacity: 100}
  - {id: bar-6, name: Bar South Three, polygon: [[320, 240], [370, 240], [370, 280], [320, 280]], capacity: 100}
"""


def test_labels_stay_clear_on_a_crowded_site_with_tiny_concave_and_thin_zones(
    browser: Browser, tmp_path: Path
) -> None:
    site = tmp_path / "crowded.yaml"
    site.write_text(CROWDED)
    with Server(tmp_path / "data", RULES, FakeClock(T0), site=site) as crowded:
        add_user(crowded, "olga", Role.OPERATOR)
        page = new_page(browser, crowded)
        try:
            sign_in(page, "olga", path="/map")
            expect(page.locator("#map svg .labels text")).to_have_count(11)
            labels = page.evaluate(MEASURE)
            assert_labels_clear(labels)
            names = {z.id: z.name for z in load_site(site).zones}
            for label in labels:  # the name (maybe on two lines), or its initials where it cannot fit
                name = names[label["zone"]]
                initials = "".join(w[0] for w in name.split())
                assert label["text"].replace(" ", "") in (name.replace(" ", ""), initials), label
        finally:
            page.context.close()


# -- crowd measures ----------------------------------------------------------------------------------------------
def test_level_of_service_colours_sparklines_and_time_to_capacity(
    page: Page, device: httpx.Client, clock: FakeClock
) -> None:
    send(device, clock, "river-exit-counter", "counter.line", data={"forward": 0, "backward": 0})
    send(device, clock, "stage-walk-counter", "counter.line", data={"forward": 0, "backward": 0})
    for k in range(4):  # the Second Stage gains 500 people a minute
        send(device, clock, "second-stage-counter", "crowd.count", zone="second-stage", value=16000 + 500 * k)
        send(device, clock, "main-stage-counter", "crowd.density", zone="main-stage", value=3.0 + 0.2 * k)
        if k < 3:
            clock.advance(60)
    # river exit, 6 m: 5400 out in the last minute = 900 p/m/min (F); stage walk, 8 m: 160 = 20 p/m/min (A)
    send(device, clock, "river-exit-counter", "counter.line", data={"forward": 5400 * 3, "backward": 0})
    send(device, clock, "stage-walk-counter", "counter.line", data={"forward": 480, "backward": 0})
    open_map(page)
    expect(page.locator('#map g.link[data-link="river-exit"]')).to_have_attribute("data-los", "F")
    expect(page.locator('#map g.link[data-link="stage-walk"]')).to_have_attribute("data-los", "A")
    # main stage 3.6 p/m² is standing level C; the second stage 17,500 people on its area
    expect(page.locator('#map polygon.los-outline[data-los-zone="main-stage"]')).to_have_attribute(
        "data-los", "C"
    )
    colour = page.locator('#map g.link[data-link="river-exit"] line').evaluate(
        "e => getComputedStyle(e).stroke"
    )
    legend_f = page.locator('#los-legend [data-los="F"] b').evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert colour == legend_f  # the legend explains the colour
    expect(page.locator("#los-legend")).to_contain_text("A < 23")
    row = page.locator('#zone-rows tr[data-zone="second-stage"]')
    expect(row).to_contain_text("full in ~5 min")  # 2,500 left at 500 a minute
    expect(row).to_contain_text("17,500 / 20,000")
    expect(row.locator("svg.spark").first).to_have_attribute("data-points", "4")
    expect(row.locator("svg.spark").first).to_have_attribute(
        "aria-label", "Occupancy of Second Stage, last 15 minutes: 16,000 to 17,500 people, now 17,500 people"
    )
    walk = page.locator('#zone-rows tr[data-zone="river-walk"] svg.spark').nth(1)
    expect(walk).to_have_attribute(
        "aria-label",
        "Net flow into River Walk (egress route), last 15 minutes: -5,240 to -5,240 per minute, now -5,240 per minute",
    )
    badge = page.locator('#map text.full-in[data-zone="second-stage"]')
    expect(badge).to_have_text("full in ~5 min")
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / "map-crowd.png"))
