"""Runtime site objects: plan, zones as shapely polygons behind an STRtree, devices, georeferencing."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from shapely import Point, Polygon, STRtree
from shapely.validation import explain_validity

from fairwatch.errors import NotFound
from fairwatch.model import Location
from fairwatch.site.basemap import Basemap
from fairwatch.site.sound import SoundPolicy

# WGS84 ellipsoid: semi-major axis (m) and first eccentricity squared.
_WGS84_A = 6_378_137.0
_WGS84_E2 = 6.694_379_990_14e-3


class DeviceKind(StrEnum):
    """What a device is; every kind also sends `heartbeat` events."""

    CROWD_COUNTER = "crowd_counter"
    SMOKE_DETECTOR = "smoke_detector"
    TEMPERATURE_SENSOR = "temperature_sensor"
    PANIC_BUTTON = "panic_button"
    HEARTBEAT = "heartbeat"
    CAMERA = "camera"
    WEATHER_STATION = "weather_station"
    GATE = "gate"
    LINE_COUNTER = "line_counter"  # counts people crossing a link, both ways (`counter.line`)
    QUEUE_COUNTER = "queue_counter"  # people queueing and the estimated wait (`counter.queue`)


OUTSIDE = "outside"  # the reserved zone id a link may lead to: off the site


class LinkKind(StrEnum):
    """What a link between two zones is (docs/crowd.md)."""

    GATE = "gate"
    CORRIDOR = "corridor"
    STAIRS_DOWN = "stairs_down"
    STAIRS_UP = "stairs_up"
    TURNSTILE = "turnstile"


@dataclass(frozen=True, slots=True)
class Link:
    """A way between two zones (`to` may be OUTSIDE); `forward` is from -> to. `planned_flow` is persons
    per metre per minute the plan expects (None: not stated)."""

    id: str
    from_zone: str
    to_zone: str
    width_m: float
    kind: LinkKind
    planned_flow: float | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """The site drawing: `width` x `height` metres; `image` is the resolved path of the drawing, if any."""

    width: float
    height: float
    image: Path | None = None


@dataclass(frozen=True, slots=True)
class GeoRef:
    """WGS84 position of the plan origin (x=0, y=0); x grows east and y north, in metres."""

    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Zone:
    """A named area of the site; `capacity` is persons, `area_m2` the usable area."""

    id: str
    name: str
    polygon: tuple[tuple[float, float], ...]
    area_m2: float
    capacity: int
    indoor: bool = False
    shape: Polygon = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "shape", Polygon(self.polygon))


@dataclass(frozen=True, slots=True)
class Device:
    """A device installed on the site; `location` is in plan metres (x, y)."""

    id: str
    kind: DeviceKind
    zone: str | None = None
    location: Location | None = None
    link: str | None = None  # a line counter's link
    reversed: bool = False  # a line counter mounted so that its `forward` is the link's to -> from


@dataclass(frozen=True, slots=True)
class Site:
    """A venue: plan, zones and devices. Build it with `load_site` or `parse_site`."""

    id: str
    name: str
    timezone: str
    plan: Plan
    zones: tuple[Zone, ...]
    devices: tuple[Device, ...] = ()
    georef: GeoRef | None = None
    links: tuple[Link, ...] = ()
    # The site's own level-of-service bands (five ascending upper bounds, A to E), if it sets them.
    walkway_los: tuple[float, ...] | None = None  # persons per metre per minute
    standing_los: tuple[float, ...] | None = None  # persons per m²
    sound: SoundPolicy = field(
        default_factory=SoundPolicy
    )  # which alarms the console sounds for (site/sound.py)
    basemap: Basemap | None = (
        None  # the geo view's image overlay or offline tiles (site/basemap.py); needs georef
    )
    _zones_by_id: dict[str, Zone] = field(init=False, repr=False, compare=False)
    _devices_by_id: dict[str, Device] = field(init=False, repr=False, compare=False)
    _tree: STRtree = field(init=False, repr=False, compare=False)
    _links_by_id: dict[str, Link] = field(init=False, repr=False, compare=False)
    _neighbours: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zones_by_id", {z.id: z for z in self.zones})
        object.__setattr__(self, "_devices_by_id", {d.id: d for d in self.devices})
        object.__setattr__(self, "_tree", STRtree([z.shape for z in self.zones]))
        object.__setattr__(self, "_links_by_id", {link.id: link for link in self.links})
        object.__setattr__(self, "_neighbours", _neighbours(self.links, self.devices))

    @property
    def link_ids(self) -> frozenset[str]:
        """Ids of every link."""
        return frozenset(self._links_by_id)

    def link(self, link_id: str) -> Link:
        """The link with this id; NotFound if there is none."""
        try:
            return self._links_by_id[link_id]
        except KeyError:
            raise NotFound(f"site '{self.id}' has no link '{link_id}'") from None

    def neighbour_counters(self, device_id: str) -> tuple[str, ...]:
        """The other line counters on links that share a zone (not `outside`) with this counter's link."""
        return self._neighbours.get(device_id, ())

    def counter_link(self, device_id: str) -> tuple[Link, bool] | None:
        """(link, reversed) for a line counter on a link, else None."""
        device = self._devices_by_id.get(device_id)
        if device is None or device.link is None:
            return None
        link = self._links_by_id.get(device.link)
        return None if link is None else (link, device.reversed)

    @property
    def zone_ids(self) -> frozenset[str]:
        """Ids of every zone."""
        return frozenset(self._zones_by_id)

    def zone(self, zone_id: str) -> Zone:
        """The zone with this id; NotFound if there is none."""
        try:
            return self._zones_by_id[zone_id]
        except KeyError:
            raise NotFound(f"site '{self.id}' has no zone '{zone_id}'") from None

    def device(self, device_id: str) -> Device:
        """The device with this id; NotFound if there is none."""
        try:
            return self._devices_by_id[device_id]
        except KeyError:
            raise NotFound(f"site '{self.id}' has no device '{device_id}'") from None

    def zones_at(self, x: float, y: float) -> list[Zone]:
        """Zones containing the point (x, y), border included, in file order."""
        hits = self._tree.query(Point(x, y), predicate="intersects")
        return [self.zones[i] for i in sorted(hits.tolist())]

    def to_geo(self, x: float, y: float) -> tuple[float, float] | None:
        """WGS84 (lat, lon) of plan point (x, y), or None without a georef (precision: docs/sites.md)."""
        if self.georef is None:
            return None
        return plan_to_geo(self.georef, x, y)

    def as_json(self) -> dict[str, Any]:
        """Everything the console map draws, as JSON-ready values."""
        return {
            "id": self.id,
            "name": self.name,
            "timezone": self.timezone,
            "plan": _plan_json(self.plan),
            "georef": None if self.georef is None else {"lat": self.georef.lat, "lon": self.georef.lon},
            "zones": [self._zone_json(z) for z in self.zones],
            "devices": [self._device_json(d) for d in self.devices],
            "links": [_link_json(link) for link in self.links],
            "basemap": None if self.basemap is None else self.basemap.as_json(),
        }

    def _zone_json(self, zone: Zone) -> dict[str, Any]:
        centre = zone.shape.representative_point()
        out: dict[str, Any] = {
            "id": zone.id,
            "name": zone.name,
            "polygon": [[x, y] for x, y in zone.polygon],
            "label_at": [round(centre.x, 2), round(centre.y, 2)],
            "area_m2": zone.area_m2,
            "capacity": zone.capacity,
            "indoor": zone.indoor,
        }
        if self.georef is not None:
            out["geo"] = [list(plan_to_geo(self.georef, x, y)) for x, y in zone.polygon]
            out["label_geo"] = list(plan_to_geo(self.georef, *out["label_at"]))
        return out

    def _device_json(self, device: Device) -> dict[str, Any]:
        loc = device.location
        out: dict[str, Any] = {
            "id": device.id,
            "kind": device.kind.value,
            "zone": device.zone,
            "location": None if loc is None else loc.as_dict(),
        }
        if device.link is not None:
            out["link"] = device.link
            out["direction"] = "reverse" if device.reversed else "forward"
        if self.georef is not None and loc is not None and loc.x is not None and loc.y is not None:
            out["geo"] = list(plan_to_geo(self.georef, loc.x, loc.y))
        return out


def _neighbours(links: tuple[Link, ...], devices: tuple[Device, ...]) -> dict[str, tuple[str, ...]]:
    """Per line counter: the counters on links that share a zone (not OUTSIDE) with its link."""
    by_zone: dict[str, set[str]] = {}
    for link in links:
        for zone in {link.from_zone, link.to_zone} - {OUTSIDE}:
            by_zone.setdefault(zone, set()).add(link.id)
    counters: dict[str, list[str]] = {}
    for device in devices:
        if device.link is not None:
            counters.setdefault(device.link, []).append(device.id)
    ends = {link.id: {link.from_zone, link.to_zone} - {OUTSIDE} for link in links}
    out: dict[str, tuple[str, ...]] = {}
    for device in devices:
        if device.link is None or device.link not in ends:
            continue
        near = set().union(*(by_zone[z] for z in ends[device.link]))
        out[device.id] = tuple(
            d for link_id in sorted(near) for d in counters.get(link_id, ()) if d != device.id
        )
    return out


def _link_json(link: Link) -> dict[str, Any]:
    return {
        "id": link.id,
        "from": link.from_zone,
        "to": link.to_zone,
        "width_m": link.width_m,
        "kind": link.kind.value,
        "planned_flow": link.planned_flow,
    }


def _plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "width": plan.width,
        "height": plan.height,
        "image": None if plan.image is None else plan.image.name,
    }


def plan_to_geo(georef: GeoRef, x: float, y: float) -> tuple[float, float]:
    """Equirectangular projection around the origin using WGS84 radii of curvature at its latitude."""
    phi = math.radians(georef.lat)
    w = 1.0 - _WGS84_E2 * math.sin(phi) ** 2
    meridian = _WGS84_A * (1.0 - _WGS84_E2) / w**1.5  # north-south radius of curvature
    normal = _WGS84_A / math.sqrt(w)  # east-west radius of curvature
    lat = georef.lat + math.degrees(y / meridian)
    lon = georef.lon + math.degrees(x / (normal * math.cos(phi)))
    return round(lat, 7), round(lon, 7)


def polygon_problem(points: list[tuple[float, float]]) -> str | None:
    """Why these points do not make a valid polygon, or None if they do."""
    shape = Polygon(points)
    if shape.is_valid and shape.area > 0:
        return None
    return str(explain_validity(shape))
