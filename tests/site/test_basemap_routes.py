"""The base map routes over real HTTP against a real server: the demo site's image, offline tiles from a site folder,
and every way to ask for a file outside the tile folder (dot segments, encoded slashes, links, other files of the
site folder, zooms out of range) answered 404, never 500 and never the file. Leaflet is served from the package."""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from fairwatch.access import save_user
from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.harness import Server

DEMO = Path(__file__).parents[2] / "src" / "fairwatch" / "sim" / "demo"
PASSWORD = "correct horse battery"
SITE = """\
site:
  id: tiled
  name: Tiled
  timezone: Europe/London
  plan: {width: 100, height: 50}
  georef: {lat: 51.5, lon: -0.12}
  basemap: {tiles: map/tiles, min_zoom: 15, max_zoom: 16}
zones:
  - {id: a, name: A, polygon: [[0, 0], [40, 0], [40, 40]], capacity: 10}
"""
TILE = "/console/basemap/tiles/15/16370/10895.png"


def signed_in(srv: Server, name: str, role: Role) -> httpx.Client:
    assert srv.app is not None
    pipeline = srv.app.pipeline

    async def save() -> None:
        await pipeline.call(lambda txn, now: save_user(txn, name, role, PASSWORD, "test", now))

    srv.call(save())
    client = httpx.Client(base_url=srv.url, timeout=20)
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text)
    assert found
    data = {"username": name, "password": PASSWORD, "csrf": found.group(1), "next": "/"}
    assert client.post("/signin", data=data).status_code == 303
    return client


def page_config(client: httpx.Client, path: str) -> dict[str, Any]:
    """The `config` a console page hands its scripts (its JSON block)."""
    found = re.search(r'<script type="application/json" id="fw-config">(.*?)</script>', client.get(path).text)
    assert found
    config: dict[str, Any] = json.loads(found.group(1))
    return config


def raw_get(srv: Server, client: httpx.Client, path: str) -> tuple[int, bytes]:
    """GET `path` exactly as written (httpx would remove dot segments), with the client's session cookie."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
    try:
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        conn.request("GET", path, headers={"cookie": cookie})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def tiled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    """A server whose site has tiles in `site/map/tiles`, a secret PNG beside the site file and one outside the
    site's folder, and a link inside the tile folder to the latter."""
    root = tmp_path_factory.mktemp("tiled")
    home = root / "site"
    column = home / "map" / "tiles" / "15" / "16370"
    column.mkdir(parents=True)
    Image.new("RGB", (256, 256), "#336699").save(column / "10895.png")
    Image.new("RGB", (8, 8), "#ff0000").save(home / "secret.png")
    Image.new("RGB", (8, 8), "#00ff00").save(home / "map" / "beside.png")
    Image.new("RGB", (8, 8), "#0000ff").save(root / "outside.png")
    (column / "10896.png").symlink_to(root / "outside.png")
    (column / "10897.png").write_text("<script>alert(1)</script>")
    (home / "t.site.yaml").write_text(SITE)
    with Server(root / "data", None, FakeClock(1_783_000_000.0), site=home / "t.site.yaml") as s:
        yield s, home


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    site = DEMO / "riverside.site.yaml"
    with Server(tmp_path_factory.mktemp("demo") / "data", None, FakeClock(1_783_000_000.0), site=site) as s:
        yield s


def test_the_demo_image_is_served_to_signed_in_viewers_only(demo: Server) -> None:
    assert httpx.get(demo.url + "/console/basemap/image").status_code == 401
    client = signed_in(demo, "vic", Role.VIEWER)
    r = client.get("/console/basemap/image")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content == (DEMO / "riverside-basemap.png").read_bytes()
    assert r.headers["content-security-policy"] == "default-src 'none'"
    assert client.get(TILE).status_code == 404  # the demo has an image, no tiles


def test_the_map_page_tells_the_geo_view_where_the_base_map_and_leaflet_are(demo: Server) -> None:
    client = signed_in(demo, "mia", Role.VIEWER)
    assert page_config(client, "/map")["basemap"] == {
        "kind": "image",
        "name": "riverside-basemap.png",
        "bounds": [[51.5004607, -0.1214401], [51.5060334, -0.107039]],
        "url": "/console/basemap/image",
        "leaflet": "/static/leaflet",
    }
    leaflet = client.get("/static/leaflet/leaflet-src.esm.js")
    assert leaflet.status_code == 200 and "export" in leaflet.text and "1.9.3" in leaflet.text
    assert client.get("/static/leaflet/leaflet.css").status_code == 200


def test_a_tile_is_served_from_the_tile_folder(tiled: tuple[Server, Path]) -> None:
    srv, home = tiled
    assert httpx.get(srv.url + TILE).status_code == 401
    client = signed_in(srv, "olga", Role.VIEWER)
    r = client.get(TILE)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content == (home / "map" / "tiles" / "15" / "16370" / "10895.png").read_bytes()
    assert client.get("/console/basemap/image").status_code == 404  # tiles, no image
    assert page_config(client, "/map")["basemap"] == {
        "kind": "tiles",
        "min_zoom": 15,
        "max_zoom": 16,
        "url": "/console/basemap/tiles/{z}/{x}/{y}.png",
        "leaflet": "/static/leaflet",
    }


@pytest.mark.parametrize(
    "path",
    [
        "/console/basemap/tiles/15/16370/10894.png",  # missing
        "/console/basemap/tiles/14/8185/5447.png",  # below min_zoom
        "/console/basemap/tiles/15/16370/10896.png",  # a link out of the site's folder
        "/console/basemap/tiles/15/16370/10897.png",  # not a PNG
        "/console/basemap/tiles/15/16370/10895.jpg",
        "/console/basemap/tiles/../../secret.png",
        "/console/basemap/tiles/15/../../beside.png",
        "/console/basemap/tiles/15/16370/..%2F..%2F..%2F..%2Fsecret.png",
        "/console/basemap/tiles/15/16370/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret.png",
        "/console/basemap/tiles/15/..%2F..%2F..%2F/secret.png",
        "/console/basemap/tiles/%2e%2e/%2e%2e/beside.png",
        "/console/basemap/tiles/15/16370/..",
        "/console/basemap/tiles/-1/0/0.png",
        "/console/basemap/tiles/15/16370/1e3.png",
        "/console/basemap/tiles/99999999999/0/0.png",
        "/console/basemap/tiles/15/16370/%00.png",
    ],
)
def test_anything_but_a_tile_in_the_folder_is_a_404(tiled: tuple[Server, Path], path: str) -> None:
    srv, home = tiled
    client = signed_in(srv, "olga", Role.VIEWER)
    status, body = raw_get(srv, client, path)
    assert status == 404, (path, status, body[:200])
    for secret in (home / "secret.png", home / "map" / "beside.png", home.parent / "outside.png"):
        assert secret.read_bytes() not in body


def test_an_image_removed_after_start_is_a_404_not_a_500(tmp_path: Path) -> None:
    home = tmp_path / "site"
    home.mkdir()
    Image.new("RGB", (8, 8)).save(home / "aerial.png")
    bounds = "[[51.499, -0.121], [51.501, -0.118]]"
    text = SITE.replace(
        "{tiles: map/tiles, min_zoom: 15, max_zoom: 16}", f"{{image: aerial.png, bounds: {bounds}}}"
    )
    (home / "t.site.yaml").write_text(text)
    with Server(tmp_path / "data", None, FakeClock(1_783_000_000.0), site=home / "t.site.yaml") as srv:
        client = signed_in(srv, "vic", Role.VIEWER)
        assert client.get("/console/basemap/image").status_code == 200
        (home / "aerial.png").unlink()
        assert client.get("/console/basemap/image").status_code == 404
