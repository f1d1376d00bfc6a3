"""The map page's geo view (docs/console.md#geo-view): Leaflet from the XStatic-Leaflet package (no CDN, nothing
copied into this repository) and the site's base map, an image overlay or offline tiles (site/basemap.py).

The base map routes serve only what the site file declares: the one image, or PNG tiles under the tile folder
whose `z`, `x` and `y` are plain numbers within the zoom range (anything else, and any link out of the folder, is a
404 like a missing tile).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, FastAPI
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from xstatic.pkg import leaflet  # type: ignore[import-untyped]

from fairwatch.console.sessions import ConsoleUser
from fairwatch.errors import NotFound
from fairwatch.model import Role
from fairwatch.site import ImageBasemap, Site, TileBasemap

if TYPE_CHECKING:
    from fairwatch.console.routes import Console

LEAFLET_URL = "/static/leaflet"
LEAFLET_DIR = Path(leaflet.BASE_DIR)
LEAFLET_VERSION = str(leaflet.VERSION)
IMAGE_URL = "/console/basemap/image"
TILES_URL = "/console/basemap/tiles"
_NUMBER = re.compile(r"^[0-9]{1,8}$")
_TILE = re.compile(r"^([0-9]{1,8})\.png$")
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, max-age=3600",
}


def mount_leaflet(asgi: FastAPI) -> None:
    """Serve Leaflet's files (leaflet-src.esm.js, leaflet.css, images/) from the installed package."""
    asgi.mount(LEAFLET_URL, StaticFiles(directory=LEAFLET_DIR), name="leaflet-static")


def basemap_json(site: Site | None) -> dict[str, Any] | None:
    """The map page's `config.basemap`: the site's base map with the URLs the geo view loads, or None."""
    if site is None or site.basemap is None:
        return None
    out = {**site.basemap.as_json(), "leaflet": LEAFLET_URL}
    if isinstance(site.basemap, ImageBasemap):
        out["url"] = IMAGE_URL
    else:
        out["url"] = TILES_URL + "/{z}/{x}/{y}.png"
    return out


def geo_routes(router: APIRouter, console: Console) -> None:
    """GET /console/basemap/image and /console/basemap/tiles/{z}/{x}/{y}.png for signed-in viewers."""
    viewer = console.signed_in(Role.VIEWER)

    def basemap() -> ImageBasemap | TileBasemap | None:
        return console.site.basemap if console.site is not None else None

    async def image(_user: ConsoleUser = Depends(viewer)) -> Response:
        found = basemap()
        if not isinstance(found, ImageBasemap):
            raise NotFound("the site has no base map image")
        if not found.path.is_file():  # removed since the site was read
            raise NotFound("the base map image is gone")
        return FileResponse(found.path, media_type=found.media_type, headers=_HEADERS)

    async def tile(z: str, x: str, name: str, _user: ConsoleUser = Depends(viewer)) -> Response:
        found = basemap()
        if not isinstance(found, TileBasemap):
            raise NotFound("the site has no base map tiles")
        y = _TILE.match(name)
        path = None
        if _NUMBER.match(z) and _NUMBER.match(x) and y is not None:
            path = found.tile(int(z), int(x), int(y.group(1)))
        if path is None:
            raise NotFound("no such tile")
        return FileResponse(path, media_type="image/png", headers=_HEADERS)

    router.add_api_route(IMAGE_URL, image, methods=["GET"])
    router.add_api_route(TILES_URL + "/{z}/{x}/{name}", tile, methods=["GET"])
