"""A geo-referenced site's optional base map (docs/sites.md#base-map): an image overlay or offline XYZ tiles shipped
with the site, drawn by the console's geo view under the zones.

    site:
      georef: {lat: 51.5010, lon: -0.1200}
      basemap: {image: riverside-basemap.png, bounds: [[51.5001, -0.1213], [51.5063, -0.1071]]}
      # or: basemap: {tiles: tiles, min_zoom: 14, max_zoom: 19}     # tiles/{z}/{x}/{y}.png

Paths are relative to the site file and must stay inside its folder; the image's type is checked by its content.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from fairwatch.yamlfile import LineDict, Reader, show

_KEYS = ("image", "bounds", "tiles", "min_zoom", "max_zoom")
MAX_ZOOM = 22  # the deepest zoom level Leaflet's default (Web Mercator) tiles go to
# Pillow's format name -> the media type the console serves the image with (what browsers draw).
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class ImageBasemap:
    """One picture (aerial photo, venue drawing) stretched over `bounds`: ((south, west), (north, east))."""

    path: Path  # resolved, inside the site's folder
    media_type: str
    bounds: tuple[tuple[float, float], tuple[float, float]]

    def as_json(self) -> dict[str, Any]:
        """What the console's geo view needs (the console adds the URL)."""
        return {"kind": "image", "name": self.path.name, "bounds": [list(p) for p in self.bounds]}


@dataclass(frozen=True, slots=True)
class TileBasemap:
    """Offline XYZ tiles `folder/{z}/{x}/{y}.png` (Web Mercator, as OpenStreetMap cuts them)."""

    folder: Path  # resolved, inside the site's folder
    min_zoom: int
    max_zoom: int

    def as_json(self) -> dict[str, Any]:
        """What the console's geo view needs (the console adds the URL)."""
        return {"kind": "tiles", "min_zoom": self.min_zoom, "max_zoom": self.max_zoom}

    def tile(self, z: int, x: int, y: int) -> Path | None:
        """The PNG file of tile (z, x, y), or None: outside the zoom range or the world, missing, not a PNG, or
        (through a link) outside the tile folder."""
        if not (self.min_zoom <= z <= self.max_zoom and 0 <= x < 2**z and 0 <= y < 2**z):
            return None
        path = (self.folder / str(z) / str(x) / f"{y}.png").resolve()
        if not path.is_relative_to(self.folder) or not path.is_file():
            return None
        try:
            with path.open("rb") as f:
                head = f.read(len(_PNG_SIGNATURE))
        except OSError:
            return None
        return path if head == _PNG_SIGNATURE else None


Basemap = ImageBasemap | TileBasemap


def _inside(r: Reader, d: LineDict, key: str, base_dir: Path) -> Path | None:
    """The resolved path named by `d[key]`, relative to the site file and inside its folder."""
    value, line, path = d[key], d.lines[key], f"basemap.{key}"
    if not isinstance(value, str) or not value.strip():
        r.error(line, path, "expected a path relative to the site file", got=value)
        return None
    if Path(value).is_absolute():
        r.error(line, path, "must be relative to the site file, not absolute", got=value)
        return None
    resolved = (base_dir / value).resolve()
    if not resolved.is_relative_to(base_dir):
        r.error(line, path, "leaves the site file's folder", got=value)
        return None
    return resolved


def _image(r: Reader, d: LineDict, base_dir: Path) -> tuple[Path, str] | None:
    path = _inside(r, d, "image", base_dir)
    if path is None:
        return None
    line, name = d.lines["image"], d["image"]
    if not path.is_file():
        r.error(line, "basemap.image", "no such file next to the site file", got=name)
        return None
    try:
        with Image.open(path) as picture:
            kind = picture.format
            picture.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        kind = None
    if kind not in IMAGE_TYPES:
        found = "an image of another kind" if kind else "not an image"
        r.error(line, "basemap.image", f"{found}: expected a PNG, JPEG, WebP or GIF file", got=name)
        return None
    return path, IMAGE_TYPES[kind]


def _degrees(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _shown(value: Any) -> str:
    """A bad `bounds` value as written: nested lists of numbers are shown whole, not as `a list`."""
    if isinstance(value, list) and value and len(value) <= 4:
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return show(value)


def _bounds(r: Reader, d: LineDict) -> tuple[tuple[float, float], tuple[float, float]] | None:
    value, line = d["bounds"], d.lines["bounds"]
    got = f" (got {_shown(value)})"
    shape = "expected [[south, west], [north, east]]: two [lat, lon] corners in degrees"
    pairs = value if isinstance(value, list) and len(value) == 2 else None
    if pairs is None or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
        r.error(line, "basemap.bounds", shape + got)
        return None
    numbers = [_degrees(v) for p in pairs for v in p]
    if any(v is None for v in numbers):
        r.error(line, "basemap.bounds", shape + got)
        return None
    south, west, north, east = (float(v) for v in numbers if v is not None)
    if not all(-90 <= v <= 90 for v in (south, north)) or not all(-180 <= v <= 180 for v in (west, east)):
        r.error(line, "basemap.bounds", "latitudes go from -90 to 90, longitudes from -180 to 180" + got)
        return None
    if not (south < north and west < east):
        r.error(line, "basemap.bounds", "the first corner must be south-west of the second" + got)
        return None
    return (south, west), (north, east)


def _zoom(r: Reader, d: LineDict, key: str) -> int | None:
    value = d[key]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ZOOM:
        r.error(
            d.lines[key],
            f"basemap.{key}",
            f"expected a zoom level, an integer from 0 to {MAX_ZOOM}",
            got=value,
        )
        return None
    return value


def _tiles(r: Reader, d: LineDict, line: int, base_dir: Path) -> TileBasemap | None:
    for key in ("min_zoom", "max_zoom"):
        if key not in d:
            r.error(line, "basemap", f"tiles need {key!r}")
    folder = _inside(r, d, "tiles", base_dir)
    if folder is not None and not folder.is_dir():
        r.error(d.lines["tiles"], "basemap.tiles", "no such folder next to the site file", got=d["tiles"])
        folder = None
    low = _zoom(r, d, "min_zoom") if "min_zoom" in d else None
    high = _zoom(r, d, "max_zoom") if "max_zoom" in d else None
    if low is not None and high is not None and low > high:
        r.error(d.lines["max_zoom"], "basemap.max_zoom", f"is below min_zoom {low}", got=high)
        return None
    if folder is None or low is None or high is None:
        return None
    return TileBasemap(folder, low, high)


def read_basemap(
    r: Reader,
    d: Any,
    line: int,
    base_dir: Path,
    georef: bool,
    plan_box: tuple[float, float, float, float] | None,
) -> Basemap | None:
    """The `site.basemap` mapping at `line`, or None after reporting its problems on `r`. `georef`: whether the
    site has one (a base map needs it); `plan_box`: (south, west, north, east) of the plan, which an image's
    bounds must overlap (None: not known)."""
    if not r.line_mapping(d, line, "basemap", _KEYS):
        return None
    if not georef:
        r.error(line, "basemap", "needs site.georef (the plan origin's lat and lon) to lay the plan over it")
        return None
    kinds = [k for k in ("image", "tiles") if k in d]
    if len(kinds) != 1:
        r.error(
            line,
            "basemap",
            "expected either 'image' (with 'bounds') or 'tiles' (with 'min_zoom', 'max_zoom')",
        )
        return None
    if kinds == ["tiles"]:
        if "bounds" in d:
            r.error(d.key_lines["bounds"], "basemap", "'bounds' goes with an image, not with tiles")
        tiles = _tiles(r, d, line, base_dir)
        return tiles if "bounds" not in d else None
    for key in ("min_zoom", "max_zoom"):
        if key in d:
            r.error(d.key_lines[key], "basemap", f"{key!r} goes with tiles, not with an image")
    if "bounds" not in d:
        r.error(line, "basemap", "an image needs 'bounds': [[south, west], [north, east]]")
    image = _image(r, d, base_dir)
    bounds = _bounds(r, d) if "bounds" in d else None
    if bounds is not None and plan_box is not None and not _overlaps(bounds, plan_box):
        south, west, north, east = plan_box
        r.error(
            d.lines["bounds"],
            "basemap.bounds",
            f"do not overlap the plan (lat {south:g} to {north:g}, lon {west:g} to {east:g})"
            f" (got {_shown(d['bounds'])})",
        )
        return None
    if image is None or bounds is None or "min_zoom" in d or "max_zoom" in d:
        return None
    return ImageBasemap(image[0], image[1], bounds)


def _overlaps(bounds: tuple[tuple[float, float], tuple[float, float]], box: tuple[float, ...]) -> bool:
    (south, west), (north, east) = bounds
    return south < box[2] and box[0] < north and west < box[3] and box[1] < east
