"""Where a unit is on the site: its shared position (plan metres or WGS84) as a plan point and the zone it is in
(pure; the inverse of `site.model.plan_to_geo`, the site's equirectangular projection around its origin)."""

from __future__ import annotations

import math

from fairwatch.site import GeoRef, Site
from fairwatch.site.model import _WGS84_A, _WGS84_E2  # the same ellipsoid as the forward projection


def geo_to_plan(georef: GeoRef, lat: float, lon: float) -> tuple[float, float]:
    """Plan metres (x east, y north) of a WGS84 point near the site's origin."""
    phi = math.radians(georef.lat)
    w = 1.0 - _WGS84_E2 * math.sin(phi) ** 2
    meridian = _WGS84_A * (1.0 - _WGS84_E2) / w**1.5
    normal = _WGS84_A / math.sqrt(w)
    y = math.radians(lat - georef.lat) * meridian
    x = math.radians(lon - georef.lon) * normal * math.cos(phi)
    return x, y


def plan_point(site: Site, location: dict[str, float]) -> tuple[float, float] | None:
    """The plan point of a position, or None (WGS84 on a site without a georef)."""
    if "x" in location and "y" in location:
        return location["x"], location["y"]
    if "lat" in location and "lon" in location and site.georef is not None:
        return geo_to_plan(site.georef, location["lat"], location["lon"])
    return None


def zone_at(site: Site | None, location: dict[str, float] | None) -> str | None:
    """The smallest zone containing the position (the most specific), or None."""
    if site is None or location is None:
        return None
    point = plan_point(site, location)
    zones = site.zones_at(*point) if point is not None else []
    return min(zones, key=lambda z: z.shape.area).id if zones else None
