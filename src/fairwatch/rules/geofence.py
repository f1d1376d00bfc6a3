"""Geofences: regions (a site zone or a polygon) tested with shapely, and placing located events in zones.

Points are plan metres (x, y). A point exactly on a region's border is inside it, as in `Site.zones_at`.
Events located only by WGS84 (lat, lon) are neither inside nor outside any region.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import shapely
from shapely import Polygon

from fairwatch.model import Event
from fairwatch.rules.spec import Point
from fairwatch.site import Site, Zone


def _num(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True, slots=True)
class Region:
    """A compiled geofence; `name` is the zone id or the polygon as written, for explanations."""

    name: str
    points: tuple[Point, ...]
    shape: Polygon = field(init=False, repr=False, compare=False)
    bounds: tuple[float, float, float, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        shape = Polygon(self.points)
        shapely.prepare(shape)  # prepared: repeated point tests reuse the polygon's index
        object.__setattr__(self, "shape", shape)
        object.__setattr__(self, "bounds", tuple(shape.bounds))

    @classmethod
    def of_zone(cls, zone: Zone) -> Region:
        """The region of a site zone, named by its id."""
        return cls(zone.id, zone.polygon)

    @classmethod
    def of_points(cls, points: tuple[Point, ...]) -> Region:
        """A polygon written in a rule, named by its points."""
        return cls("[" + ", ".join(f"[{_num(x)}, {_num(y)}]" for x, y in points) + "]", points)

    def covers(self, x: float, y: float) -> bool:
        """True if (x, y) lies inside the region or on its border."""
        min_x, min_y, max_x, max_y = self.bounds
        if x < min_x or x > max_x or y < min_y or y > max_y:
            return False  # most points of a big site miss a zone's box: skip shapely
        return bool(shapely.intersects_xy(self.shape, x, y))

    def __str__(self) -> str:
        return self.name


def point_of(event: Event) -> Point | None:
    """The event's plan position (x, y), or None if it has none."""
    loc = event.location
    if loc is None or loc.x is None or loc.y is None:
        return None
    return loc.x, loc.y


def place_event(event: Event, site: Site | None) -> Event:
    """`event` with its zone filled in from its location, or `event` itself when there is nothing to do.

    An event that names a zone keeps it. A point in several zones goes to the smallest (the most specific:
    a medical tent inside an arena), ties by site-file order. Geofence conditions test the location
    against every region themselves, so this choice only matters for `zone` matchers and `group_by`.
    """
    if site is None or event.zone is not None:
        return event
    point = point_of(event)
    if point is None:
        return event
    zones = site.zones_at(*point)
    if not zones:
        return event
    best = min(zones, key=lambda z: z.shape.area)  # min keeps the first of equals: file order
    return dataclasses.replace(event, zone=best.id)
