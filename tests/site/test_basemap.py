"""A site's base map (site.basemap): what parses, and the exact message for every way it can be wrong, each naming
file, line, field and value. Files are real (a site folder under tmp_path); images are made with Pillow."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from fairwatch.errors import ConfigError
from fairwatch.site import ImageBasemap, TileBasemap, load_site, parse_site

# The plan is 100 x 50 m from (51.5, -0.12): it spans lat 51.5 to ~51.50045 and lon -0.12 to ~-0.11856.
BOUNDS = "[[51.499, -0.121], [51.501, -0.118]]"
ZONES = "zones:\n  - {id: a, name: A, polygon: [[0, 0], [40, 0], [40, 40]], capacity: 10}\n"
GEOREF = "  georef: {lat: 51.5, lon: -0.12}\n"


def site_text(basemap: str, georef: str = GEOREF) -> str:
    """A site file whose `basemap` is on line 7 (line 6 without a georef)."""
    head = "site:\n  id: fair\n  name: Fair\n  timezone: Europe/London\n  plan: {width: 100, height: 50}\n"
    return head + georef + f"  basemap: {basemap}\n" + ZONES


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The site's folder, the working directory (so errors name `t.site.yaml`), with a real PNG in it."""
    home = tmp_path / "site"
    home.mkdir()
    Image.new("RGB", (40, 20), "#7c9c55").save(home / "aerial.png")
    monkeypatch.chdir(home)
    return home


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_site(text, "t.site.yaml")
    return info.value.messages


def test_an_image_overlay_is_read_with_its_bounds_and_type(folder: Path) -> None:
    Image.new("RGB", (8, 8)).save(folder / "photo.jpg", "JPEG")
    site = parse_site(site_text(f"{{image: photo.jpg, bounds: {BOUNDS}}}"), "t.site.yaml")
    assert site.basemap == ImageBasemap(
        folder / "photo.jpg", "image/jpeg", ((51.499, -0.121), (51.501, -0.118))
    )
    assert site.as_json()["basemap"] == {
        "kind": "image",
        "name": "photo.jpg",
        "bounds": [[51.499, -0.121], [51.501, -0.118]],
    }


def test_the_image_is_found_next_to_the_site_file_wherever_it_is_read_from(
    folder: Path, tmp_path: Path
) -> None:
    (folder / "t.site.yaml").write_text(site_text(f"{{image: aerial.png, bounds: {BOUNDS}}}"))
    os.chdir(tmp_path)
    site = load_site("site/t.site.yaml")
    assert isinstance(site.basemap, ImageBasemap) and site.basemap.path == folder / "aerial.png"
    assert site.basemap.media_type == "image/png"


def test_tiles_are_read_and_a_tile_is_found_only_inside_the_folder_and_zoom_range(
    folder: Path, tmp_path: Path
) -> None:
    (folder / "tiles" / "15" / "16370").mkdir(parents=True)
    Image.new("RGB", (256, 256)).save(folder / "tiles" / "15" / "16370" / "10895.png")
    (folder / "tiles" / "15" / "16370" / "10896.png").write_text("not a png")
    Image.new("RGB", (256, 256)).save(tmp_path / "elsewhere.png")
    (folder / "tiles" / "15" / "16370" / "10897.png").symlink_to(tmp_path / "elsewhere.png")
    (folder / "tiles" / "14" / "8185").mkdir(parents=True)
    Image.new("RGB", (256, 256)).save(folder / "tiles" / "14" / "8185" / "5447.png")
    site = parse_site(site_text("{tiles: tiles, min_zoom: 15, max_zoom: 18}"), "t.site.yaml")
    tiles = site.basemap
    assert tiles == TileBasemap(folder / "tiles", 15, 18)
    assert site.as_json()["basemap"] == {"kind": "tiles", "min_zoom": 15, "max_zoom": 18}
    assert tiles.tile(15, 16370, 10895) == folder / "tiles" / "15" / "16370" / "10895.png"
    assert tiles.tile(15, 16370, 10896) is None  # not a PNG
    assert tiles.tile(15, 16370, 10897) is None  # a link out of the folder
    assert tiles.tile(14, 8185, 5447) is None  # below min_zoom, though the file is there
    assert tiles.tile(15, 16370, 10894) is None  # missing
    assert tiles.tile(15, 2**15, 0) is None  # off the world


# (name, basemap value, expected messages); `basemap` is on line 7.
ERRORS = [
    (
        "missing-file",
        f"{{image: gone.png, bounds: {BOUNDS}}}",
        ["t.site.yaml:7: site: basemap.image: no such file next to the site file (got 'gone.png')"],
    ),
    (
        "dotdot-escape",
        f"{{image: ../outside.png, bounds: {BOUNDS}}}",
        ["t.site.yaml:7: site: basemap.image: leaves the site file's folder (got '../outside.png')"],
    ),
    (
        "dotdot-inside-a-path",
        f"{{image: sub/../../outside.png, bounds: {BOUNDS}}}",
        ["t.site.yaml:7: site: basemap.image: leaves the site file's folder (got 'sub/../../outside.png')"],
    ),
    (
        "absolute-path",
        f"{{image: /etc/passwd, bounds: {BOUNDS}}}",
        [
            "t.site.yaml:7: site: basemap.image: must be relative to the site file, not absolute (got '/etc/passwd')"
        ],
    ),
    (
        "not-an-image",
        f"{{image: fake.png, bounds: {BOUNDS}}}",
        [
            "t.site.yaml:7: site: basemap.image: not an image: expected a PNG, JPEG, WebP or GIF file (got 'fake.png')"
        ],
    ),
    (
        "image-of-another-kind",
        f"{{image: old.bmp, bounds: {BOUNDS}}}",
        [
            "t.site.yaml:7: site: basemap.image: an image of another kind: expected a PNG, JPEG, WebP or GIF file"
            " (got 'old.bmp')"
        ],
    ),
    (
        "image-name-not-a-string",
        f"{{image: 5, bounds: {BOUNDS}}}",
        ["t.site.yaml:7: site: basemap.image: expected a path relative to the site file (got 5)"],
    ),
    (
        "bounds-one-corner",
        "{image: aerial.png, bounds: [[51.499, -0.121]]}",
        [
            "t.site.yaml:7: site: basemap.bounds: expected [[south, west], [north, east]]: two [lat, lon] corners"
            " in degrees (got [[51.499, -0.121]])"
        ],
    ),
    (
        "bounds-not-numbers",
        "{image: aerial.png, bounds: [[51.499, west], [51.501, -0.118]]}",
        [
            "t.site.yaml:7: site: basemap.bounds: expected [[south, west], [north, east]]: two [lat, lon] corners"
            " in degrees (got [[51.499, 'west'], [51.501, -0.118]])"
        ],
    ),
    (
        "bounds-latitude-out-of-range",
        "{image: aerial.png, bounds: [[51.499, -0.121], [91, -0.118]]}",
        [
            "t.site.yaml:7: site: basemap.bounds: latitudes go from -90 to 90, longitudes from -180 to 180"
            " (got [[51.499, -0.121], [91, -0.118]])"
        ],
    ),
    (
        "bounds-corners-swapped",
        "{image: aerial.png, bounds: [[51.501, -0.118], [51.499, -0.121]]}",
        [
            "t.site.yaml:7: site: basemap.bounds: the first corner must be south-west of the second"
            " (got [[51.501, -0.118], [51.499, -0.121]])"
        ],
    ),
    (
        "bounds-lat-lon-swapped-miss-the-plan",
        "{image: aerial.png, bounds: [[-0.121, 51.499], [-0.118, 51.501]]}",
        [
            "t.site.yaml:7: site: basemap.bounds: do not overlap the plan (lat 51.5 to 51.5004, lon -0.12 to"
            " -0.11856) (got [[-0.121, 51.499], [-0.118, 51.501]])"
        ],
    ),
    (
        "image-without-bounds",
        "{image: aerial.png}",
        ["t.site.yaml:7: site: basemap: an image needs 'bounds': [[south, west], [north, east]]"],
    ),
    (
        "image-and-tiles",
        f"{{image: aerial.png, tiles: tiles, bounds: {BOUNDS}}}",
        [
            "t.site.yaml:7: site: basemap: expected either 'image' (with 'bounds') or 'tiles' (with 'min_zoom',"
            " 'max_zoom')"
        ],
    ),
    (
        "image-with-zoom",
        f"{{image: aerial.png, bounds: {BOUNDS}, max_zoom: 3}}",
        ["t.site.yaml:7: site: basemap: 'max_zoom' goes with tiles, not with an image"],
    ),
    (
        "unknown-key",
        f"{{image: aerial.png, bounds: {BOUNDS}, opacity: 0.5}}",
        [
            "t.site.yaml:7: site: basemap: unknown key 'opacity' (expected one of image, bounds, tiles, min_zoom,"
            " max_zoom)"
        ],
    ),
    (
        "not-a-mapping",
        "aerial.png",
        ["t.site.yaml:7: site: basemap: expected a mapping (got 'aerial.png')"],
    ),
    (
        "tiles-folder-missing",
        "{tiles: nowhere, min_zoom: 1, max_zoom: 2}",
        ["t.site.yaml:7: site: basemap.tiles: no such folder next to the site file (got 'nowhere')"],
    ),
    (
        "tiles-escape",
        "{tiles: .., min_zoom: 1, max_zoom: 2}",
        ["t.site.yaml:7: site: basemap.tiles: leaves the site file's folder (got '..')"],
    ),
    (
        "tiles-a-file",
        "{tiles: aerial.png, min_zoom: 1, max_zoom: 2}",
        ["t.site.yaml:7: site: basemap.tiles: no such folder next to the site file (got 'aerial.png')"],
    ),
    (
        "tiles-zoom-range",
        "{tiles: tiles, min_zoom: 19, max_zoom: 18}",
        ["t.site.yaml:7: site: basemap.max_zoom: is below min_zoom 19 (got 18)"],
    ),
    (
        "tiles-zoom-too-deep",
        "{tiles: tiles, min_zoom: 1.5, max_zoom: 23}",
        [
            "t.site.yaml:7: site: basemap.min_zoom: expected a zoom level, an integer from 0 to 22 (got 1.5)",
            "t.site.yaml:7: site: basemap.max_zoom: expected a zoom level, an integer from 0 to 22 (got 23)",
        ],
    ),
    (
        "tiles-without-zoom",
        "{tiles: tiles}",
        [
            "t.site.yaml:7: site: basemap: tiles need 'min_zoom'",
            "t.site.yaml:7: site: basemap: tiles need 'max_zoom'",
        ],
    ),
    (
        "tiles-with-bounds",
        f"{{tiles: tiles, min_zoom: 1, max_zoom: 2, bounds: {BOUNDS}}}",
        ["t.site.yaml:7: site: basemap: 'bounds' goes with an image, not with tiles"],
    ),
]


@pytest.mark.parametrize(("basemap", "expected"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_a_bad_basemap_names_file_line_field_and_value(
    folder: Path, tmp_path: Path, basemap: str, expected: list[str]
) -> None:
    Image.new("RGB", (8, 8)).save(tmp_path / "outside.png")  # a real image, but outside the site's folder
    Image.new("RGB", (8, 8)).save(folder / "old.bmp", "BMP")
    (folder / "fake.png").write_text("<html>not an image</html>")
    (folder / "tiles").mkdir()
    assert errors_of(site_text(basemap)) == expected


def test_a_basemap_without_georef_is_refused(folder: Path) -> None:
    assert errors_of(site_text(f"{{image: aerial.png, bounds: {BOUNDS}}}", georef="")) == [
        "t.site.yaml:6: site: basemap: needs site.georef (the plan origin's lat and lon) to lay the plan over it"
    ]


def test_a_link_that_leads_out_of_the_folder_is_refused(folder: Path, tmp_path: Path) -> None:
    Image.new("RGB", (8, 8)).save(tmp_path / "outside.png")
    (folder / "inside.png").symlink_to(tmp_path / "outside.png")
    assert errors_of(site_text(f"{{image: inside.png, bounds: {BOUNDS}}}")) == [
        "t.site.yaml:7: site: basemap.image: leaves the site file's folder (got 'inside.png')"
    ]


def test_the_demo_site_has_an_image_overlay_over_its_plan() -> None:
    site = load_site(Path(__file__).parents[2] / "src" / "fairwatch" / "sim" / "demo" / "riverside.site.yaml")
    assert isinstance(site.basemap, ImageBasemap) and site.basemap.media_type == "image/png"
    (south, west), (north, east) = site.basemap.bounds
    assert site.georef is not None
    corners = [site.to_geo(0, 0), site.to_geo(800, 500)]
    assert all(p is not None and south < p[0] < north and west < p[1] < east for p in corners)
    assert site.basemap.path.stat().st_size < 64_000
