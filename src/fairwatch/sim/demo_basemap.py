"""Draws the demo site's base map, `demo/riverside-basemap.png`: a small made-up "aerial view" of the Riverside
Festival and its surroundings (grass, the river, streets, the car park, tents and trees) for the console's geo
view (docs/sites.md#base-map). The PNG is committed; run this again only to change it:

    .venv/bin/python -m fairwatch.sim.demo_basemap

It prints the `basemap` line for riverside.site.yaml (the image's corners from the site's georef).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw

from fairwatch.site import load_site
from fairwatch.site.model import plan_to_geo

DEMO = Path(__file__).parent / "demo"
OUT = DEMO / "riverside-basemap.png"
# The picture covers the plan (800 x 500 m) and a margin around it, at 2 m per pixel.
X0, Y0, X1, Y1 = -100.0, -60.0, 900.0, 560.0
SCALE = 2.0


def _px(x: float, y: float) -> tuple[float, float]:
    """Pixel of plan point (x, y): image y points down."""
    return (x - X0) / SCALE, (Y1 - y) / SCALE


def draw() -> Image.Image:
    """The picture; deterministic (a fixed seed places trees and tents)."""
    size = (round((X1 - X0) / SCALE), round((Y1 - Y0) / SCALE))
    img = Image.new("RGB", size, "#7c9c55")
    pen = ImageDraw.Draw(img)
    rnd = random.Random(7)

    def rect(x0: float, y0: float, x1: float, y1: float, fill: str) -> None:
        (a, b), (c, d) = _px(x0, y1), _px(x1, y0)
        pen.rectangle((a, b, c, d), fill=fill)

    def line(points: Sequence[tuple[float, float]], fill: str, width_m: float) -> None:
        pen.line(
            [_px(x, y) for x, y in points], fill=fill, width=max(1, round(width_m / SCALE)), joint="curve"
        )

    # the south bank beyond the river, built up, and the river itself with its wavy north bank
    rect(X0, Y0, X1, -38, "#b9b3a6")
    for bx in range(-90, 900, 70):
        rect(bx, -58, bx + 50, -44, "#9d8f80")
    bank = [(x, 32 + 5 * ((x // 100) % 2) - 3 * ((x // 50) % 2)) for x in range(int(X0), int(X1) + 1, 50)]
    pen.polygon([_px(X0, -38), *(_px(x, y) for x, y in bank), _px(X1, -38)], fill="#5d8fb8")
    # streets around the park and a block of buildings north of it
    rect(X0, 515, X1, 530, "#8f8f8f")
    rect(-70, -38, -55, 530, "#8f8f8f")
    rect(855, -38, 870, 530, "#8f8f8f")
    for bx in range(-90, 900, 60):
        rect(bx, 538, bx + 45, 560, "#a0785a")
    # hard standing: car park (with bays), the river walk's promenade, paths
    rect(520, 410, 780, 490, "#9a9a94")
    for bx in range(530, 780, 12):
        rect(bx, 418, bx + 1, 440, "#d8d8d0")
        rect(bx, 460, bx + 1, 482, "#d8d8d0")
    rect(20, 40, 780, 75, "#cdbf9e")
    for path in ([(400, 420), (400, 320), (345, 300)], [(345, 200), (345, 75)], [(560, 190), (520, 75)]):
        line(path, "#cdbf9e", 8)
    line([(180, 240), (160, 75)], "#cdbf9e", 8)
    # trees: clumps along the river and the edges
    for _ in range(140):
        x, y = rnd.uniform(X0, X1), rnd.choice([rnd.uniform(80, 140), rnd.uniform(385, 510)])
        if (20 <= x <= 470 and 395 <= y <= 495) or (520 <= x <= 780 and 405 <= y <= 495):
            continue  # not on the camping field or the car park
        r = rnd.uniform(5, 10) / SCALE
        cx, cy = _px(x, y)
        pen.ellipse((cx - r, cy - r, cx + r, cy + r), fill="#3f6b35")
    # tents on the camping field, stages and the food court's stalls
    for _ in range(120):
        x, y = rnd.uniform(40, 290), rnd.uniform(405, 485)
        rect(x, y, x + 6, y + 5, rnd.choice(["#e9e4d8", "#d9832b", "#3b7bbf", "#c8c04a"]))
    rect(712, 225, 734, 295, "#3a3632")
    rect(110, 300, 126, 350, "#3a3632")
    for bx in range(295, 395, 14):
        rect(bx, 285, bx + 9, 295, "#e9e4d8")
        rect(bx, 205, bx + 9, 215, "#e9e4d8")
    return img.quantize(colors=24, dither=Image.Dither.NONE)


def main() -> None:
    """Write the PNG and print the site file's `basemap` line."""
    draw().save(OUT, optimize=True)
    site = load_site(DEMO / "riverside.site.yaml")
    assert site.georef is not None
    south, west = plan_to_geo(site.georef, X0, Y0)
    north, east = plan_to_geo(site.georef, X1, Y1)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    print(f"  basemap: {{image: {OUT.name}, bounds: [[{south}, {west}], [{north}, {east}]]}}")


if __name__ == "__main__":
    main()
