"""Venue sites: the plan, zones (polygons in plan metres, with capacity and area) and installed devices.

Owns strict parsing of site files (docs/sites.md) and spatial queries: which zones hold a point, where a plan
point lies on the globe.
"""

from fairwatch.site.basemap import Basemap, ImageBasemap, TileBasemap
from fairwatch.site.config import load_site, parse_site
from fairwatch.site.model import OUTSIDE, Device, DeviceKind, GeoRef, Link, LinkKind, Plan, Site, Zone
from fairwatch.site.sound import SoundPolicy

__all__ = [
    "OUTSIDE",
    "Basemap",
    "Device",
    "DeviceKind",
    "GeoRef",
    "ImageBasemap",
    "Link",
    "LinkKind",
    "Plan",
    "Site",
    "SoundPolicy",
    "TileBasemap",
    "Zone",
    "load_site",
    "parse_site",
]
