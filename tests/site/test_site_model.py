"""Spatial queries and the console's JSON view of a site."""

from __future__ import annotations

import json
import math

import pytest

from fairwatch.errors import NotFound
from fairwatch.site import GeoRef, Site, parse_site
from fairwatch.site.model import plan_to_geo

TEXT = """\
site:
  id: fair
  name: Fair
  timezone: UTC
  plan: {width: 100, height: 50}
  georef: {lat: 51.5, lon: -0.12}
zones:
  - {id: a, name: Zone A, polygon: [[0, 0], [40, 0], [40, 40], [0, 40]], capacity: 100}
  - {id: b, name: Zone B, polygon: [[40, 0], [100, 0], [100, 40], [40, 40]], capacity: 200, indoor: true}
  - {id: tri, name: Triangle, polygon: [[0, 40], [20, 50], [40, 40]], capacity: 5, area_m2: 150}
devices:
  - {id: c1, kind: crowd_counter, zone: a, location: {x: 10, y: 10}}
  - {id: hb, kind: heartbeat}
"""


@pytest.fixture(scope="module")
def site() -> Site:
    return parse_site(TEXT, "fair.site.yaml")


ZONES_AT = [
    ("inside-a", (10.0, 10.0), ["a"]),
    ("inside-b", (70.0, 20.0), ["b"]),
    ("shared-border-is-in-both", (40.0, 20.0), ["a", "b"]),
    ("outer-border-counts", (0.0, 20.0), ["a"]),
    ("corner-of-three-zones", (40.0, 40.0), ["a", "b", "tri"]),
    ("inside-triangle", (20.0, 45.0), ["tri"]),
    ("beside-triangle", (5.0, 48.0), []),
    ("outside-the-plan", (-5.0, 10.0), []),
    ("far-away", (1e6, 1e6), []),
]


@pytest.mark.parametrize(("point", "expected"), [c[1:] for c in ZONES_AT], ids=[c[0] for c in ZONES_AT])
def test_zones_at(site: Site, point: tuple[float, float], expected: list[str]) -> None:
    assert [z.id for z in site.zones_at(*point)] == expected


def test_zone_and_device_lookup(site: Site) -> None:
    assert site.zone("b").name == "Zone B"
    assert site.device("c1").zone == "a"
    assert site.zone_ids == frozenset({"a", "b", "tri"})
    with pytest.raises(NotFound) as zone_error:
        site.zone("nope")
    assert str(zone_error.value) == "site 'fair' has no zone 'nope'"
    with pytest.raises(NotFound) as device_error:
        site.device("nope")
    assert str(device_error.value) == "site 'fair' has no device 'nope'"


# Textbook lengths of one degree on the WGS84 ellipsoid: latitude at the equator 110,574 m
# (meridian radius of curvature), longitude at the equator 111,319.5 m and at 60° N 55,800 m.
GEO = [
    ("origin-is-the-georef", GeoRef(51.5, -0.12), (0.0, 0.0), (51.5, -0.12)),
    ("one-degree-north-at-equator", GeoRef(0.0, 0.0), (0.0, 110_574.3), (1.0, 0.0)),
    ("one-degree-east-at-equator", GeoRef(0.0, 0.0), (111_319.5, 0.0), (0.0, 1.0)),
    ("one-degree-east-at-60n", GeoRef(60.0, 10.0), (55_800.1, 0.0), (60.0, 11.0)),
    ("south-west-is-negative", GeoRef(0.0, 0.0), (-111_319.5, -110_574.3), (-1.0, -1.0)),
]


@pytest.mark.parametrize(("georef", "point", "expected"), [c[1:] for c in GEO], ids=[c[0] for c in GEO])
def test_plan_to_geo(georef: GeoRef, point: tuple[float, float], expected: tuple[float, float]) -> None:
    lat, lon = plan_to_geo(georef, *point)
    assert lat == pytest.approx(expected[0], abs=1e-5)
    assert lon == pytest.approx(expected[1], abs=1e-5)


def enu_to_geo(origin: GeoRef, east: float, north: float) -> tuple[float, float]:
    """Exact reference: a point on the local tangent plane -> ECEF -> geodetic (Bowring iteration)."""
    a, e2 = 6_378_137.0, 6.694_379_990_14e-3
    phi, lam = math.radians(origin.lat), math.radians(origin.lon)
    n0 = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    x = n0 * math.cos(phi) * math.cos(lam) - math.sin(lam) * east - math.sin(phi) * math.cos(lam) * north
    y = n0 * math.cos(phi) * math.sin(lam) + math.cos(lam) * east - math.sin(phi) * math.sin(lam) * north
    z = n0 * (1 - e2) * math.sin(phi) + math.cos(phi) * north
    p, lat = math.hypot(x, y), phi
    for _ in range(10):
        n = a / math.sqrt(1 - e2 * math.sin(lat) ** 2)
        height = p / math.cos(lat) - n
        lat = math.atan2(z, p * (1 - e2 * n / (n + height)))
    return math.degrees(lat), math.degrees(math.atan2(y, x))


@pytest.mark.parametrize("bearing", [0, 45, 90, 135, 180, 225, 270, 315])
def test_to_geo_is_within_15_cm_at_1_km(bearing: int) -> None:
    origin = GeoRef(51.501, -0.12)
    east, north = 1000 * math.sin(math.radians(bearing)), 1000 * math.cos(math.radians(bearing))
    lat, lon = plan_to_geo(origin, east, north)
    ref_lat, ref_lon = enu_to_geo(origin, east, north)
    metres = math.hypot((lat - ref_lat) * 111_257.0, (lon - ref_lon) * 69_440.0)  # degree lengths at 51.5° N
    assert metres < 0.15


def test_to_geo_uses_the_site_georef(site: Site) -> None:
    assert site.to_geo(0, 0) == (51.5, -0.12)
    lat, lon = site.to_geo(100, 50) or (0.0, 0.0)
    assert lat > 51.5 and lon > -0.12  # north-east of the origin


def test_to_geo_without_georef_is_none() -> None:
    plain = parse_site(TEXT.replace("  georef: {lat: 51.5, lon: -0.12}\n", ""), "fair.site.yaml")
    assert plain.to_geo(10, 10) is None
    assert "geo" not in plain.as_json()["zones"][0]


def test_as_json_has_what_the_console_map_draws(site: Site) -> None:
    data = site.as_json()
    assert json.loads(json.dumps(data)) == data  # plain JSON values only
    assert data["plan"] == {"width": 100.0, "height": 50.0, "image": None}
    assert data["georef"] == {"lat": 51.5, "lon": -0.12}
    a = data["zones"][0]
    assert {k: a[k] for k in ("id", "name", "area_m2", "capacity", "indoor")} == {
        "id": "a",
        "name": "Zone A",
        "area_m2": 1600.0,
        "capacity": 100,
        "indoor": False,
    }
    assert a["polygon"] == [[0.0, 0.0], [40.0, 0.0], [40.0, 40.0], [0.0, 40.0]]
    assert [z.id for z in site.zones_at(*a["label_at"])] == ["a"]
    assert a["geo"][0] == [51.5, -0.12]
    assert data["devices"] == [
        {
            "id": "c1",
            "kind": "crowd_counter",
            "zone": "a",
            "location": {"x": 10.0, "y": 10.0},
            "geo": list(plan_to_geo(GeoRef(51.5, -0.12), 10, 10)),
        },
        {"id": "hb", "kind": "heartbeat", "zone": None, "location": None},
    ]


def test_sites_are_frozen(site: Site) -> None:
    with pytest.raises(AttributeError):
        site.id = "other"  # type: ignore[misc]
