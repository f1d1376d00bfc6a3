"""Site files: what parses, and the exact message for every way a file can be wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairwatch.errors import ConfigError
from fairwatch.model import Location
from fairwatch.site import DeviceKind, GeoRef, load_site, parse_site

SITE = """\
site:
  id: fair
  name: Fair
  timezone: Europe/London
  plan: {width: 100, height: 50}
"""
ZONE_A = "{id: a, name: A, polygon: [[0, 0], [40, 0], [40, 40], [0, 40]], capacity: 100}"
ZONE_B = "{id: b, name: B, polygon: [[40, 0], [100, 0], [100, 40], [40, 40]], capacity: 200}"
KINDS = (
    "crowd_counter, smoke_detector, temperature_sensor, panic_button, heartbeat, camera, "
    "weather_station, gate, line_counter, queue_counter"
)
DEVICE = "{id: c1, kind: crowd_counter, zone: a, location: {x: 10, y: 10}}"


def doc(zones: list[str], devices: list[str] | None = None, site: str = SITE) -> str:
    """A site file with one zone or device per line: with SITE, zone i is on line 6 + i."""
    text = site + "zones:\n" + "".join(f"  - {z}\n" for z in zones)
    if devices is not None:
        text += "devices:\n" + "".join(f"  - {d}\n" for d in devices)
    return text


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_site(text, "t.site.yaml")
    return info.value.messages


ERRORS = [
    # --- zones (SITE has 5 lines, "zones:" is line 6, zone 1 is line 7) ---
    (
        "capacity-negative",
        doc(["{id: a, name: A, polygon: [[0, 0], [40, 0], [40, 40]], capacity: -5}"]),
        ["t.site.yaml:7: zone 1 ('a'): capacity: expected a positive integer (got -5)"],
    ),
    (
        "capacity-bool-is-not-a-number",
        doc([ZONE_A, "{id: b, name: B, polygon: [[40, 0], [100, 0], [100, 40]], capacity: yes}"]),
        ["t.site.yaml:8: zone 2 ('b'): capacity: expected a positive integer (got True)"],
    ),
    (
        "capacity-fraction",
        doc(["{id: a, name: A, polygon: [[0, 0], [40, 0], [40, 40]], capacity: 10.5}"]),
        ["t.site.yaml:7: zone 1 ('a'): capacity: expected a positive integer (got 10.5)"],
    ),
    (
        "polygon-self-intersecting",
        doc(["{id: a, name: A, polygon: [[0, 0], [10, 10], [10, 0], [0, 10]], capacity: 1}"]),
        ["t.site.yaml:7: zone 1 ('a'): polygon: is not a valid polygon (Self-intersection[5 5])"],
    ),
    (
        "polygon-collinear",
        doc(["{id: a, name: A, polygon: [[0, 0], [10, 0], [20, 0]], capacity: 1}"]),
        ["t.site.yaml:7: zone 1 ('a'): polygon: is not a valid polygon (Self-intersection[10 0])"],
    ),
    (
        "polygon-too-few-points",
        doc(["{id: a, name: A, polygon: [[0, 0], [10, 0]], capacity: 1}"]),
        ["t.site.yaml:7: zone 1 ('a'): polygon: expected a list of at least 3 points [x, y] (got 2 points)"],
    ),
    (
        "polygon-not-a-list",
        doc(["{id: a, name: A, polygon: square, capacity: 1}"]),
        ["t.site.yaml:7: zone 1 ('a'): polygon: expected a list of at least 3 points [x, y] (got 'square')"],
    ),
    (
        "polygon-point-not-a-pair",
        doc(["{id: a, name: A, polygon: [[0, 0], [1], [2, 2]], capacity: 1}"]),
        ["t.site.yaml:7: zone 1 ('a'): polygon[1]: expected a pair of numbers [x, y] (got a list)"],
    ),
    (
        "polygon-point-outside-plan",
        doc(["{id: a, name: A, polygon: [[0, 0], [150, 0], [0, 10]], capacity: 1}"]),
        ["t.site.yaml:7: zone 1 ('a'): polygon[1]: point (150, 0) lies outside the plan (0..100 x 0..50)"],
    ),
    (
        "zone-unknown-key",
        doc(["{id: a, name: A, polygon: [[0, 0], [40, 0], [40, 40]], capacity: 1, colour: red}"]),
        [
            "t.site.yaml:7: zone 1 ('a'): unknown key 'colour' "
            "(expected one of id, name, polygon, area_m2, capacity, indoor)"
        ],
    ),
    (
        "zone-missing-keys",
        doc(["{id: a, name: A}"]),
        [
            "t.site.yaml:7: zone 1 ('a'): missing required key 'polygon'",
            "t.site.yaml:7: zone 1 ('a'): missing required key 'capacity'",
        ],
    ),
    (
        "zone-bad-id-is-not-named",
        doc(["{id: Main Stage, name: A, polygon: [[0, 0], [40, 0], [40, 40]], capacity: 1}"]),
        ["t.site.yaml:7: zone 1: id: expected an id matching ^[a-z0-9][a-z0-9_-]*$ (got 'Main Stage')"],
    ),
    (
        "zone-duplicate-id",
        doc([ZONE_A, ZONE_A.replace("name: A", "name: Again")]),
        ["t.site.yaml:8: zone 2 ('a'): id: duplicate id (first defined at line 7)"],
    ),
    (
        "zone-area-zero",
        doc(["{id: a, name: A, polygon: [[0, 0], [40, 0], [40, 40]], capacity: 1, area_m2: 0}"]),
        ["t.site.yaml:7: zone 1 ('a'): area_m2: expected a positive number (got 0)"],
    ),
    (
        "zone-indoor-not-bool",
        doc(["{id: a, name: A, polygon: [[0, 0], [40, 0], [40, 40]], capacity: 1, indoor: 'no'}"]),
        ["t.site.yaml:7: zone 1 ('a'): indoor: expected true or false (got 'no')"],
    ),
    (
        "zone-not-a-mapping",
        doc(["just a name"]),
        ["t.site.yaml:7: zone 1: expected a mapping (got 'just a name')"],
    ),
    (
        "zones-empty",
        SITE + "zones: []\n",
        ["t.site.yaml:6: zones: expected a non-empty list (got an empty list)"],
    ),
    # --- devices (after two zones, "devices:" is line 9, device 1 is line 10) ---
    (
        "device-unknown-zone",
        doc([ZONE_A, ZONE_B], ["{id: c1, kind: crowd_counter, zone: north-gat}"]),
        ["t.site.yaml:10: device 1 ('c1'): zone: unknown zone 'north-gat'"],
    ),
    (
        "device-unknown-kind",
        doc([ZONE_A, ZONE_B], ["{id: s1, kind: smoke, zone: a}"]),
        [f"t.site.yaml:10: device 1 ('s1'): kind: unknown device kind 'smoke' (expected one of {KINDS})"],
    ),
    (
        "device-location-outside-its-zone",
        doc([ZONE_A, ZONE_B], ["{id: c1, kind: crowd_counter, zone: a, location: {x: 60, y: 10}}"]),
        ["t.site.yaml:10: device 1 ('c1'): location: point (60, 10) lies outside zone 'a'"],
    ),
    (
        "device-location-outside-plan",
        doc([ZONE_A, ZONE_B], ["{id: w, kind: weather_station, location: {x: 10, y: 80}}"]),
        ["t.site.yaml:10: device 1 ('w'): location: point (10, 80) lies outside the plan (0..100 x 0..50)"],
    ),
    (
        "device-location-missing-y",
        doc([ZONE_A, ZONE_B], ["{id: w, kind: weather_station, location: {x: 10}}"]),
        ["t.site.yaml:10: device 1 ('w'): location: missing required key 'y'"],
    ),
    (
        "device-unknown-key",
        doc([ZONE_A, ZONE_B], ["{id: c1, kind: camera, model: x200}"]),
        [
            "t.site.yaml:10: device 1 ('c1'): unknown key 'model' (expected one of id, kind, zone, location, link, direction)"
        ],
    ),
    (
        "device-duplicate-id",
        doc([ZONE_A, ZONE_B], [DEVICE, DEVICE]),
        ["t.site.yaml:11: device 2 ('c1'): id: duplicate id (first defined at line 10)"],
    ),
    (
        "devices-not-a-list",
        doc([ZONE_A]) + "devices: {id: c1}\n",
        ["t.site.yaml:8: devices: expected a list (got a mapping)"],
    ),
    # --- the site header ---
    (
        "site-unknown-key-and-missing-name",
        doc(
            [ZONE_A],
            site="site:\n  id: fair\n  title: Fair\n  timezone: UTC\n  plan: {width: 100, height: 50}\n",
        ),
        [
            "t.site.yaml:2: site: missing required key 'name'",
            "t.site.yaml:3: site: unknown key 'title' (expected one of id, name, timezone, plan, georef, basemap)",
        ],
    ),
    (
        "site-timezone-unknown",
        doc([ZONE_A], site=SITE.replace("Europe/London", "Europe/Londn")),
        ["t.site.yaml:4: site: timezone: unknown IANA time zone (got 'Europe/Londn')"],
    ),
    (
        "plan-width-zero",
        doc([ZONE_A], site=SITE.replace("width: 100", "width: 0")),
        ["t.site.yaml:5: site: plan.width: expected a positive number (got 0)"],
    ),
    (
        "plan-image-missing",
        doc([ZONE_A], site=SITE.replace("height: 50}", "height: 50, image: nope.svg}")),
        ["t.site.yaml:5: site: plan.image: no such file next to the site file (got 'nope.svg')"],
    ),
    (
        "georef-out-of-range-and-incomplete",
        doc([ZONE_A], site=SITE + "  georef: {lat: 95}\n"),
        [
            "t.site.yaml:6: site: georef: missing required key 'lon'",
            "t.site.yaml:6: site: georef.lat: expected a latitude from -90 to 90 (got 95)",
        ],
    ),
    # --- the file as a whole ---
    (
        "top-level-typo",
        SITE + "zonez: []\n",
        [
            "t.site.yaml:1: missing required key 'zones'",
            "t.site.yaml:6: unknown key 'zonez' (expected one of site, zones, devices, links, los, schemas, sound, operations)",
        ],
    ),
    (
        "empty-file",
        "",
        [
            "t.site.yaml:1: a site file is a mapping with keys site, zones, devices, links, los, schemas, sound, operations (got nothing)"
        ],
    ),
    (
        "yaml-syntax",
        "site: [unclosed\n",
        ["t.site.yaml:2: invalid YAML: expected ',' or ']', but got '<stream end>'"],
    ),
    (
        "duplicate-key",
        "site: {}\nsite: {}\n",
        ["t.site.yaml:2: duplicate key 'site' (first at line 1)"],
    ),
    (
        "every-problem-at-once",
        doc(
            ["{id: a, name: A, polygon: [[0, 0], [40, 0], [40, 40]], capacity: 0}"],
            ["{id: c1, kind: counter, zone: b}"],
        ),
        [
            "t.site.yaml:7: zone 1 ('a'): capacity: expected a positive integer (got 0)",
            f"t.site.yaml:9: device 1 ('c1'): kind: unknown device kind 'counter' (expected one of {KINDS})",
            "t.site.yaml:9: device 1 ('c1'): zone: unknown zone 'b'",
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_invalid_site_files_name_file_line_item_and_field(text: str, expected: list[str]) -> None:
    assert errors_of(text) == expected


def test_config_error_prints_one_message_per_line() -> None:
    with pytest.raises(ConfigError) as info:
        parse_site(doc([ZONE_A], ["{id: x, kind: smoke}", "{id: y, kind: smoke}"]), "t.site.yaml")
    assert str(info.value).splitlines() == info.value.messages
    assert len(info.value.problems) == 2


def test_a_valid_file_parses_into_runtime_objects(tmp_path: Path) -> None:
    (tmp_path / "plan.svg").write_text("<svg/>")
    site_text = (
        SITE.replace("height: 50}", "height: 50, image: plan.svg}") + "  georef: {lat: 51.5, lon: -0.12}\n"
    )
    text = doc(
        [ZONE_A, ZONE_B.replace("capacity: 200", "capacity: 200, area_m2: 1500, indoor: true")],
        [DEVICE, "{id: hb, kind: heartbeat}"],
        site=site_text,
    )
    path = tmp_path / "fair.site.yaml"
    path.write_text(text)
    site = load_site(path)
    assert (site.id, site.name, site.timezone) == ("fair", "Fair", "Europe/London")
    assert (site.plan.width, site.plan.height, site.plan.image) == (100.0, 50.0, tmp_path / "plan.svg")
    assert site.georef == GeoRef(51.5, -0.12)
    a, b = site.zones
    assert (a.id, a.area_m2, a.capacity, a.indoor) == (
        "a",
        1600.0,
        100,
        False,
    )  # area defaults to the polygon's
    assert (b.id, b.area_m2, b.capacity, b.indoor) == ("b", 1500.0, 200, True)
    assert a.polygon == ((0.0, 0.0), (40.0, 0.0), (40.0, 40.0), (0.0, 40.0))
    c1, hb = site.devices
    assert (c1.kind, c1.zone, c1.location) == (DeviceKind.CROWD_COUNTER, "a", Location(x=10.0, y=10.0))
    assert (hb.kind, hb.zone, hb.location) == (DeviceKind.HEARTBEAT, None, None)


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.site.yaml"
    with pytest.raises(ConfigError) as info:
        load_site(missing)
    assert info.value.messages == [f"{missing}:1: cannot read site file: No such file or directory"]


def test_plan_image_is_found_through_a_symlinked_site_file() -> None:
    site = load_site(Path(__file__).parents[2] / "examples" / "sites" / "riverside.yaml")
    assert site.plan.image is not None
    assert site.plan.image.name == "riverside-plan.svg"
    assert site.plan.image.is_file()
