"""The map page's geo view in real headless Chromium against a real server with the demo site (an image overlay):
Leaflet from the console's own files, the picture loaded, one zone polygon per zone, devices and alarms on top,
the plan view still the default and still zooming — and no request leaves the server."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, Request, expect

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
"""
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, clock: FakeClock) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("geo") / "data", RULES, clock, site=SITE) as s:
        add_user(s, "olga", Role.OPERATOR)
        yield s


def send(device: httpx.Client, clock: FakeClock, source: str, type_: str, **fields: Any) -> None:
    stamp = datetime.fromtimestamp(clock.now(), UTC).isoformat().replace("+00:00", "Z")
    event = {"id": f"g{next(_ids)}", "source": source, "type": type_, "time": stamp, **fields}
    r = device.post("/api/v1/events", json=event)
    assert r.status_code == 202, r.text


def watch_requests(page: Page) -> list[str]:
    """Every URL the page asks for (documents, scripts, styles, images, fetches)."""
    seen: list[str] = []

    def record(request: Request) -> None:
        seen.append(request.url)

    page.on("request", record)
    return seen


def assert_local(seen: list[str], srv: Server) -> None:
    outside = [u for u in seen if not u.startswith((srv.url + "/", "data:", "blob:"))]
    assert outside == [], outside
    assert any(u.startswith(srv.url + "/static/leaflet/") for u in seen)  # Leaflet came from us


def test_geo_view_draws_the_image_overlay_zones_and_devices_and_stays_local(page: Page, srv: Server) -> None:
    seen = watch_requests(page)
    site = load_site(SITE)
    sign_in(page, "olga", path="/map")
    # the plan view is the default
    expect(page.locator("#map svg polygon[data-zone]")).to_have_count(len(site.zones))
    expect(page.locator("#map-geo")).to_be_hidden()
    expect(page.get_by_role("button", name="Plan", exact=True)).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Geo", exact=True).click()
    expect(page).to_have_url(srv.url + "/map?view=geo")
    geo = page.locator("#map-geo")
    expect(geo).to_be_visible()
    expect(page.locator("#map")).to_be_hidden()
    expect(geo).to_have_class(re.compile(r"(^| )leaflet-container( |$)"))
    overlay = geo.locator("img.leaflet-image-layer")
    expect(overlay).to_have_attribute("src", "/console/basemap/image")
    page.wait_for_function(
        "() => document.querySelector('#map-geo img.leaflet-image-layer')?.naturalWidth > 0"
    )
    assert overlay.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [500, 310]
    zones = geo.locator("path.leaflet-interactive")
    expect(zones).to_have_count(len(site.zones))
    assert sorted(zones.evaluate_all("ps => ps.map((p) => p.dataset.zone)")) == sorted(
        z.id for z in site.zones
    )
    placed = [d for d in site.devices if d.location is not None]
    expect(geo.locator(".geo-device")).to_have_count(len(placed))
    expect(geo.locator(".geo-label")).to_have_count(len(site.zones))
    # the zones lie over the picture where the site's georef puts them: the plan's corners are inside the image
    inside = page.evaluate(
        """() => {
        const img = document.querySelector('#map-geo img.leaflet-image-layer').getBoundingClientRect();
        return [...document.querySelectorAll('#map-geo path.leaflet-interactive')].every((p) => {
            const b = p.getBoundingClientRect();
            return b.width > 4 && b.left >= img.left && b.right <= img.right && b.top >= img.top && b.bottom <= img.bottom;
        });
    }"""
    )
    assert inside
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / "map-geo.png"))
    assert_local(seen, srv)


def test_alarms_and_device_states_show_on_the_geo_view(
    page: Page, srv: Server, device: httpx.Client, clock: FakeClock
) -> None:
    sign_in(page, "olga", path="/map")
    page.goto("/map?view=geo")  # the view is kept in the URL
    geo = page.locator("#map-geo")
    expect(geo.locator("path.leaflet-interactive")).to_have_count(len(load_site(SITE).zones))
    send(device, clock, "food-court-panic", "panic.pressed", zone="food-court")
    marker = geo.locator("a.geo-alarm.sev-high.unacked")
    expect(marker).to_have_count(1)
    expect(marker).to_have_attribute("href", "/alarms/1")
    expect(geo.locator('path[data-zone="food-court"]')).to_have_attribute("data-severity", "high")
    expect(geo.locator('path[data-zone="main-stage"]')).not_to_have_attribute("data-severity", "high")
    expect(geo.locator('.geo-device[data-device="food-court-panic"]')).to_have_attribute(
        "data-state", "alarming"
    )
    page.get_by_label("Devices").uncheck()
    expect(geo.locator(".geo-device").first).to_be_hidden()
    page.get_by_label("Devices").check()
    expect(geo.locator(".geo-device").first).to_be_visible()
    marker.click()  # a marker is a link to its alarm
    expect(page).to_have_url(srv.url + "/alarms/1")


def test_zoom_buttons_drive_the_geo_view_and_the_plan_view_still_works(page: Page, srv: Server) -> None:
    seen = watch_requests(page)
    sign_in(page, "olga", path="/map")
    page.get_by_role("button", name="Geo", exact=True).click()
    geo = page.locator("#map-geo")
    expect(geo.locator("path.leaflet-interactive").first).to_be_visible()
    start = float(geo.get_attribute("data-zoom") or "nan")
    page.get_by_role("button", name="Zoom in").click()
    expect(geo).not_to_have_attribute("data-zoom", str(start))
    assert float(geo.get_attribute("data-zoom") or "nan") > start
    page.get_by_role("button", name="Zoom out").click()
    page.get_by_role("button", name="Zoom out").click()
    expect(geo).not_to_have_attribute("data-zoom", str(start).removesuffix(".0"))
    page.get_by_role("button", name="Show the whole plan").click()  # Fit: the zones again
    expect(geo).to_have_attribute("data-zoom", str(start).removesuffix(".0"))
    # back to the plan: unchanged, and its zoom still changes the view box
    page.get_by_role("button", name="Plan", exact=True).click()
    expect(page).to_have_url(srv.url + "/map")
    svg = page.locator("#map svg")
    expect(svg).to_be_visible()
    expect(geo).to_be_hidden()
    expect(svg).to_have_attribute("viewBox", "0 0 800 500")
    page.get_by_role("button", name="Zoom in").click()
    expect(svg).not_to_have_attribute("viewBox", "0 0 800 500")
    assert_local(seen, srv)


def test_a_site_without_a_base_map_offers_no_geo_view(
    browser: Browser, tmp_path: Path, clock: FakeClock
) -> None:
    plain = tmp_path / "plain.site.yaml"
    plain.write_text(SITE.read_text().replace("  basemap: {image:", "  # basemap: {image:"))
    (tmp_path / "riverside-plan.svg").write_bytes((SITE.parent / "riverside-plan.svg").read_bytes())
    with Server(tmp_path / "data", RULES, clock, site=plain) as s:
        add_user(s, "olga", Role.OPERATOR)
        p = new_page(browser, s)
        try:
            sign_in(p, "olga", path="/map")
            expect(p.locator("#map svg polygon[data-zone]").first).to_be_visible()
            expect(p.locator("#view-switch")).to_be_hidden()
            expect(p.get_by_role("button", name="Geo", exact=True)).to_have_count(0)
        finally:
            p.context.close()


def tile_of(lat: float, lon: float, z: int) -> tuple[int, int]:
    """The Web Mercator (XYZ) tile that holds a point."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_offline_tiles_are_drawn_under_the_zones(browser: Browser, tmp_path: Path, clock: FakeClock) -> None:
    """A site with `basemap: {tiles: ...}`: tiles cut around the site at zooms 15 to 18, each a PNG of one colour."""
    home = tmp_path / "site"
    site = load_site(SITE)
    assert site.georef is not None
    corners = [site.to_geo(0, 0), site.to_geo(800, 500)]
    for z in range(15, 19):
        (x0, y1), (x1, y0) = (tile_of(*c, z) for c in corners if c is not None)
        for x in range(x0 - 2, x1 + 3):
            (home / "tiles" / str(z) / str(x)).mkdir(parents=True)
            for y in range(y0 - 2, y1 + 3):
                Image.new("RGB", (256, 256), (40 + 10 * z, 90, 60)).save(
                    home / "tiles" / str(z) / str(x) / f"{y}.png"
                )
    text = SITE.read_text()
    basemap = next(line for line in text.splitlines() if line.startswith("  basemap:"))
    (home / "riverside.site.yaml").write_text(
        text.replace(basemap, "  basemap: {tiles: tiles, min_zoom: 15, max_zoom: 18}")
    )
    (home / "riverside-plan.svg").write_bytes((SITE.parent / "riverside-plan.svg").read_bytes())
    with Server(tmp_path / "data", RULES, clock, site=home / "riverside.site.yaml") as s:
        add_user(s, "olga", Role.OPERATOR)
        page = new_page(browser, s)
        try:
            seen = watch_requests(page)
            failed: list[str] = []
            page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
            sign_in(page, "olga", path="/map")
            page.get_by_role("button", name="Geo", exact=True).click()
            geo = page.locator("#map-geo")
            expect(geo.locator("path.leaflet-interactive")).to_have_count(len(site.zones))
            expect(geo.locator("img.leaflet-tile-loaded").first).to_be_visible()
            page.wait_for_function(
                "() => [...document.querySelectorAll('#map-geo img.leaflet-tile')].every((t) => t.complete)"
            )
            sizes = geo.locator("img.leaflet-tile").evaluate_all("ts => ts.map((t) => t.naturalWidth)")
            assert sizes and set(sizes) == {256}
            tiles = [u for u in seen if "/console/basemap/tiles/" in u]
            assert tiles and all(re.search(r"/tiles/1[5-8]/\d+/\d+\.png$", u) for u in tiles)
            assert failed == []
            assert_local(seen, s)
        finally:
            page.context.close()
