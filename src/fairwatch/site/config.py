"""Strict parsing of site files (docs/sites.md).

Every problem in a file is collected and raised together as one ConfigError; each message names
file, line, item (`zone 3 ('main-stage')`, 1-based), dotted field path and the bad value.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shapely import Point, Polygon

from fairwatch.errors import ConfigError
from fairwatch.model import Location
from fairwatch.site.basemap import Basemap, read_basemap
from fairwatch.site.model import (
    OUTSIDE,
    Device,
    DeviceKind,
    GeoRef,
    Link,
    LinkKind,
    Plan,
    Site,
    Zone,
    plan_to_geo,
    polygon_problem,
)
from fairwatch.site.sound import read_sound
from fairwatch.yamlfile import LineDict, LineList, Reader, load_yaml, read_text, show

ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

# schemas: read by fairwatch.schemas; sound: site/sound.py
_TOP_KEYS = ("site", "zones", "devices", "links", "los", "schemas", "sound")
_LOS_KEYS = ("walkway", "standing")
_SITE_KEYS = ("id", "name", "timezone", "plan", "georef", "basemap")
_PLAN_KEYS = ("width", "height", "image")
_GEOREF_KEYS = ("lat", "lon")
_ZONE_KEYS = ("id", "name", "polygon", "area_m2", "capacity", "indoor")
_DEVICE_KEYS = ("id", "kind", "zone", "location", "link", "direction")
_LINK_KEYS = ("id", "from", "to", "width_m", "kind", "planned_flow")
_DIRECTIONS = ("forward", "reverse")
_LOCATION_KEYS = ("x", "y")


@dataclass
class _Reader(Reader):
    """The one strict reader over line-tracking values; `base_dir` anchors a relative plan image."""

    base_dir: Path = field(default_factory=Path.cwd)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_number(value: Any) -> bool:
    # bool is an int subclass; `capacity: yes` must not pass as 1.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(r: _Reader, d: LineDict, key: str, path: str = "", *, positive: bool = False) -> float | None:
    value = d[key]
    if not _is_number(value) or (positive and value <= 0):
        kind = "a positive number" if positive else "a number"
        r.error(d.lines[key], _join(path, key), f"expected {kind}", got=value)
        return None
    return float(value)


def _string(r: _Reader, d: LineDict, key: str, path: str = "") -> str | None:
    value = d[key]
    if not isinstance(value, str) or not value.strip():
        r.error(d.lines[key], _join(path, key), "expected a non-empty string", got=value)
        return None
    return value


def _ident(r: _Reader, d: LineDict) -> str | None:
    value = d["id"]
    if not isinstance(value, str) or not ID_RE.match(value):
        r.error(d.lines["id"], "id", f"expected an id matching {ID_RE.pattern}", got=value)
        return None
    return value


def _optional(read: Any, r: _Reader, d: LineDict, key: str, *args: Any, **kwargs: Any) -> Any:
    """`read(r, d, key, ...)` if `key` is present, else None."""
    return read(r, d, key, *args, **kwargs) if key in d else None


def _plan(r: _Reader, d: Any, line: int) -> Plan | None:
    if not r.line_mapping(d, line, "plan", _PLAN_KEYS, ("width", "height")):
        return None
    width = _optional(_number, r, d, "width", "plan", positive=True)
    height = _optional(_number, r, d, "height", "plan", positive=True)
    image = _image(r, d) if "image" in d else None
    if width is None or height is None or ("image" in d and image is None):
        return None
    return Plan(width, height, image)


def _image(r: _Reader, d: LineDict) -> Path | None:
    name = _string(r, d, "image", "plan")
    if name is None:
        return None
    path = (r.base_dir / name).resolve()
    if not path.is_file():
        r.error(d.lines["image"], "plan.image", "no such file next to the site file", got=name)
        return None
    return path


def _georef(r: _Reader, d: Any, line: int) -> GeoRef | None:
    if not r.line_mapping(d, line, "georef", _GEOREF_KEYS, _GEOREF_KEYS):
        return None
    lat = _optional(_number, r, d, "lat", "georef")
    lon = _optional(_number, r, d, "lon", "georef")
    if lat is not None and not -90 <= lat <= 90:
        r.error(d.lines["lat"], "georef.lat", "expected a latitude from -90 to 90", got=d["lat"])
        lat = None
    if lon is not None and not -180 <= lon <= 180:
        r.error(d.lines["lon"], "georef.lon", "expected a longitude from -180 to 180", got=d["lon"])
        lon = None
    return None if lat is None or lon is None else GeoRef(lat, lon)


def _timezone(r: _Reader, d: LineDict, key: str) -> str | None:
    name = _string(r, d, key)
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        r.error(d.lines[key], key, "unknown IANA time zone", got=name)
        return None
    return name


@dataclass(frozen=True, slots=True)
class _Header:
    id: str
    name: str
    timezone: str
    plan: Plan
    georef: GeoRef | None
    basemap: Basemap | None = None


def _header(r: _Reader, d: Any, line: int) -> _Header | None:
    r.item = "site"
    if not r.line_mapping(d, line, "", _SITE_KEYS, ("id", "name", "timezone", "plan")):
        return None
    site_id = _ident(r, d) if "id" in d else None
    name = _optional(_string, r, d, "name")
    tz = _optional(_timezone, r, d, "timezone")
    plan = _plan(r, d["plan"], d.lines["plan"]) if "plan" in d else None
    georef = _georef(r, d["georef"], d.lines["georef"]) if "georef" in d else None
    basemap = _basemap(r, d, plan, georef) if "basemap" in d else None
    if site_id is None or name is None or tz is None or plan is None or ("georef" in d and georef is None):
        return None
    if "basemap" in d and basemap is None:
        return None
    return _Header(site_id, name, tz, plan, georef, basemap)


def _basemap(r: _Reader, d: LineDict, plan: Plan | None, georef: GeoRef | None) -> Basemap | None:
    """`site.basemap` (site/basemap.py); an image's bounds must overlap the plan once both are known."""
    box = None
    if plan is not None and georef is not None:
        south, west = plan_to_geo(georef, 0, 0)
        north, east = plan_to_geo(georef, plan.width, plan.height)
        box = (south, west, north, east)
    return read_basemap(r, d["basemap"], d.lines["basemap"], r.base_dir, "georef" in d, box)


def _label(kind: str, index: int, d: Any) -> str:
    """'zone 3' or "zone 3 ('main-stage')": the 1-based position, and the id when it is a valid one."""
    ident = d.get("id") if isinstance(d, LineDict) else None
    if isinstance(ident, str) and ID_RE.match(ident):
        return f"{kind} {index} ('{ident}')"
    return f"{kind} {index}"


def _point(r: _Reader, value: Any, line: int, path: str, plan: Plan | None) -> tuple[float, float] | None:
    if not (isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value)):
        r.error(line, path, "expected a pair of numbers [x, y]", got=value)
        return None
    x, y = float(value[0]), float(value[1])
    if plan is not None and not (0 <= x <= plan.width and 0 <= y <= plan.height):
        r.error(
            line, path, f"point ({x:g}, {y:g}) lies outside the plan (0..{plan.width:g} x 0..{plan.height:g})"
        )
        return None
    return x, y


def _polygon(r: _Reader, d: LineDict, plan: Plan | None) -> tuple[tuple[float, float], ...] | None:
    value, line = d["polygon"], d.lines["polygon"]
    if not isinstance(value, LineList) or len(value) < 3:
        shown = f"{len(value)} points" if isinstance(value, LineList) else show(value)
        r.error(line, "polygon", f"expected a list of at least 3 points [x, y] (got {shown})")
        return None
    points = [_point(r, p, value.lines[i], f"polygon[{i}]", plan) for i, p in enumerate(value)]
    good = [p for p in points if p is not None]
    if len(good) < len(points):
        return None
    problem = polygon_problem(good)
    if problem is not None:
        r.error(line, "polygon", f"is not a valid polygon ({problem})")
        return None
    return tuple(good)


def _capacity(r: _Reader, d: LineDict, key: str) -> int | None:
    value = d[key]
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        r.error(d.lines[key], key, "expected a positive integer", got=value)
        return None
    return value


def _indoor(r: _Reader, d: LineDict, key: str) -> bool | None:
    value = d[key]
    if not isinstance(value, bool):
        r.error(d.lines[key], key, "expected true or false", got=value)
        return None
    return value


def _zone(r: _Reader, d: Any, index: int, line: int, plan: Plan | None) -> Zone | None:
    r.item = _label("zone", index, d)
    if not r.line_mapping(d, line, "", _ZONE_KEYS, ("id", "name", "polygon", "capacity")):
        return None
    zone_id = _ident(r, d) if "id" in d else None
    name = _optional(_string, r, d, "name")
    polygon = _polygon(r, d, plan) if "polygon" in d else None
    area = _optional(_number, r, d, "area_m2", positive=True)
    capacity = _optional(_capacity, r, d, "capacity")
    indoor = _indoor(r, d, "indoor") if "indoor" in d else False
    if zone_id is None or name is None or polygon is None or capacity is None or indoor is None:
        return None
    if "area_m2" in d and area is None:
        return None
    if area is None:
        area = round(Polygon(polygon).area, 2)
    return Zone(zone_id, name, polygon, area, capacity, indoor)


def _location(r: _Reader, d: LineDict, plan: Plan | None, zone: Zone | None) -> Location | None:
    value, line = d["location"], d.lines["location"]
    if not r.line_mapping(value, line, "location", _LOCATION_KEYS, _LOCATION_KEYS) or len(value) != 2:
        return None
    point = _point(r, [value["x"], value["y"]], line, "location", plan)
    if point is None:
        return None
    if zone is not None and not zone.shape.covers(Point(point)):
        r.error(line, "location", f"point ({point[0]:g}, {point[1]:g}) lies outside zone '{zone.id}'")
        return None
    return Location(x=point[0], y=point[1])


def _kind(r: _Reader, d: LineDict, key: str) -> DeviceKind | None:
    value = d[key]
    try:
        return DeviceKind(value)
    except (ValueError, TypeError):
        kinds = ", ".join(k.value for k in DeviceKind)
        r.error(d.lines[key], key, f"unknown device kind {value!r} (expected one of {kinds})")
        return None


def _device_zone(r: _Reader, d: LineDict, zones: dict[str, Zone]) -> tuple[bool, Zone | None]:
    """(ok, zone): a device may name no zone, but a zone it names must exist."""
    if "zone" not in d:
        return True, None
    value = d["zone"]
    if not isinstance(value, str) or value not in zones:
        r.error(d.lines["zone"], "zone", f"unknown zone {value!r}")
        return False, None
    return True, zones[value]


def _device(
    r: _Reader, d: Any, index: int, line: int, plan: Plan | None, zones: dict[str, Zone], links: set[str]
) -> Device | None:
    r.item = _label("device", index, d)
    if not r.line_mapping(d, line, "", _DEVICE_KEYS, ("id", "kind")):
        return None
    device_id = _ident(r, d) if "id" in d else None
    kind = _optional(_kind, r, d, "kind")
    zone_ok, zone = _device_zone(r, d, zones)
    location = _location(r, d, plan, zone) if "location" in d else None
    link_ok, link, reverse = _device_link(r, d, line, kind, links)
    if device_id is None or kind is None or not zone_ok or ("location" in d and location is None):
        return None
    if not link_ok:
        return None
    return Device(device_id, kind, None if zone is None else zone.id, location, link, reverse)


def _device_link(
    r: _Reader, d: LineDict, line: int, kind: DeviceKind | None, links: set[str]
) -> tuple[bool, str | None, bool]:
    """(ok, link, reversed): a line counter must name a link of the site; only it may."""
    ok, link, reverse = True, None, False
    if "link" in d:
        value = d["link"]
        if not isinstance(value, str) or value not in links:
            r.error(d.lines["link"], "link", f"unknown link {value!r}")
            ok = False
        else:
            link = value
    elif kind is DeviceKind.LINE_COUNTER:
        r.error(line, "link", "a line_counter needs the link it counts")
        ok = False
    if "direction" in d:
        value = d["direction"]
        if value not in _DIRECTIONS:
            r.error(d.lines["direction"], "direction", f"expected one of {', '.join(_DIRECTIONS)}", got=value)
            ok = False
        reverse = value == "reverse"
    if kind is not None and kind is not DeviceKind.LINE_COUNTER and ("link" in d or "direction" in d):
        r.error(d.lines.get("link", line), "link", "only a line_counter has a link")
        ok = False
    return ok, link, reverse


def _bands(r: _Reader, d: LineDict, key: str) -> tuple[float, ...] | None:
    """Five ascending positive upper bounds (level of service A to E)."""
    value, line = d[key], d.lines[key]
    ok = isinstance(value, list) and len(value) == 5 and all(_is_number(v) and v > 0 for v in value)
    if not ok or any(a >= b for a, b in itertools.pairwise(value)):
        r.error(
            line, f"los.{key}", "expected five ascending positive numbers (upper bounds of A to E)", got=value
        )
        return None
    return tuple(float(v) for v in value)


def _los(r: _Reader, top: LineDict) -> tuple[bool, dict[str, tuple[float, ...] | None]]:
    """(ok, bands by key) from the optional `los` mapping."""
    r.item = ""
    if "los" not in top:
        return True, {}
    d = top["los"]
    if not r.line_mapping(d, top.lines["los"], "los", _LOS_KEYS, ()):
        return False, {}
    bands = {key: _bands(r, d, key) for key in _LOS_KEYS if key in d}
    return all(b is not None for b in bands.values()), bands


def _link_end(r: _Reader, d: LineDict, key: str, zones: dict[str, Zone]) -> str | None:
    value = d[key]
    if value == OUTSIDE or (isinstance(value, str) and value in zones):
        return str(value)
    r.error(d.lines[key], key, f"unknown zone {value!r} (a zone id, or '{OUTSIDE}')")
    return None


def _link(r: _Reader, d: Any, index: int, line: int, zones: dict[str, Zone]) -> Link | None:
    r.item = _label("link", index, d)
    if not r.line_mapping(d, line, "", _LINK_KEYS, ("id", "from", "to", "width_m", "kind")):
        return None
    link_id = _ident(r, d) if "id" in d else None
    start = _optional(_link_end, r, d, "from", zones)
    end = _optional(_link_end, r, d, "to", zones)
    width = _optional(_number, r, d, "width_m", positive=True)
    kind: LinkKind | None = None
    if "kind" in d:
        try:
            kind = LinkKind(d["kind"])
        except (ValueError, TypeError):
            kinds = ", ".join(k.value for k in LinkKind)
            r.error(d.lines["kind"], "kind", f"unknown link kind {d['kind']!r} (expected one of {kinds})")
    planned = _optional(_number, r, d, "planned_flow", positive=True)
    if start is not None and start == end:
        r.error(d.lines["to"], "to", "a link joins two different zones", got=end)
        return None
    if link_id is None or start is None or end is None or width is None or kind is None:
        return None
    if "planned_flow" in d and planned is None:
        return None
    return Link(link_id, start, end, width, kind, planned)


def _items(r: _Reader, top: LineDict, key: str, *, required: bool) -> list[tuple[int, int, Any]]:
    """(1-based index, line, value) of each item of the list under `key`."""
    r.item = ""
    if key not in top:
        return []  # a missing required list was reported with the file's keys
    value = top[key]
    if not isinstance(value, LineList) or (required and not value):
        what = "a non-empty list" if required else "a list"
        r.error(top.lines[key], key, f"expected {what}", got=value)
        return []
    return [(i + 1, value.lines[i], item) for i, item in enumerate(value)]


def _unique(r: _Reader, kind: str, items: Sequence[tuple[int, int, Zone | Device | Link]]) -> None:
    """Report an id used twice; the later definition is the error."""
    first: dict[str, int] = {}
    for index, line, item in items:
        if item.id in first:
            r.item = f"{kind} {index} ('{item.id}')"
            r.error(line, "id", f"duplicate id (first defined at line {first[item.id]})")
        else:
            first[item.id] = line


def _build(r: _Reader, top: LineDict) -> Site | None:
    header = _header(r, top["site"], top.lines["site"]) if "site" in top else None
    plan = header.plan if header is not None else None
    zones = [(i, ln, _zone(r, z, i, ln, plan)) for i, ln, z in _items(r, top, "zones", required=True)]
    good_zones = [(i, ln, z) for i, ln, z in zones if z is not None]
    _unique(r, "zone", good_zones)
    by_id = {z.id: z for _, _, z in reversed(good_zones)}  # reversed: a duplicate id resolves to the first
    links = [(i, ln, _link(r, k, i, ln, by_id)) for i, ln, k in _items(r, top, "links", required=False)]
    good_links = [(i, ln, k) for i, ln, k in links if k is not None]
    _unique(r, "link", good_links)
    if OUTSIDE in by_id:
        index, line, _ = next((i, ln, z) for i, ln, z in good_zones if z.id == OUTSIDE)
        r.item = f"zone {index} ('{OUTSIDE}')"
        r.error(line, "id", f"'{OUTSIDE}' is reserved (a link's way off the site)")
    los_ok, bands = _los(r, top)
    link_ids = {k.id for _, _, k in good_links}
    raw_devices = _items(r, top, "devices", required=False)
    devices = [(i, ln, _device(r, d, i, ln, plan, by_id, link_ids)) for i, ln, d in raw_devices]
    good_devices = [(i, ln, d) for i, ln, d in devices if d is not None]
    _unique(r, "device", good_devices)
    sound_ok, sound = read_sound(r, top)
    if r.errors or header is None or not los_ok or not sound_ok:
        return None
    return Site(
        id=header.id,
        name=header.name,
        timezone=header.timezone,
        plan=header.plan,
        georef=header.georef,
        basemap=header.basemap,
        zones=tuple(z for _, _, z in good_zones),
        devices=tuple(d for _, _, d in good_devices),
        links=tuple(k for _, _, k in good_links),
        walkway_los=bands.get("walkway"),
        standing_los=bands.get("standing"),
        sound=sound,
    )


# operations: the field units' and welfare timers, read by fairwatch.field.operations (through config.load)
_FILE_KEYS: tuple[str, ...] = (*_TOP_KEYS, "operations")


def parse_site(text: str, filename: str) -> Site:
    """Parse a site file's text; `filename` names it in errors and anchors a relative plan image."""
    # resolve() follows a symlinked site file (examples/sites/) to the directory that holds its plan image
    r = _Reader(filename, base_dir=Path(filename).resolve().parent)
    top = load_yaml(text, filename)
    if not isinstance(top, LineDict):
        r.error(1, "", f"a site file is a mapping with keys {', '.join(_FILE_KEYS)}", got=top)
    elif r.line_mapping(top, 1, "", _FILE_KEYS, ("site", "zones")):
        site = _build(r, top)
        if site is not None:
            return site
    raise ConfigError(r.errors)


def load_site(path: str | Path) -> Site:
    """Read and parse a site file; errors name the path as given."""
    return parse_site(read_text(path, "site"), str(path))
