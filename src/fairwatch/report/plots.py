"""The report's plots as inline SVG, drawn by matplotlib's SVG back end (no pyplot, no display, no files).

Deterministic: the same figures give the same bytes (a fixed `svg.hashsalt` per plot for element ids, text kept as text in
one font family rather than glyph paths, no date in the metadata), so two renders of one period compare equal.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from fairwatch.policy.grounds import HAZARD_CLASSES
from fairwatch.report.figures import Distribution, EventReport

RC: dict[Any, Any] = {
    "svg.fonttype": "none",  # text stays text: no glyph outlines that depend on the fonts installed
    "svg.hashsalt": "fairwatch-report",
    "font.family": "DejaVu Sans",
    "font.size": 8.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 9.0,
    "axes.titleweight": "bold",
}
# Qualitative colours (matplotlib's tab20 order): one per hazard class of the closed list, the same in every report.
PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf", "#aec7e8", "#ffbb78", "#98df8a",
)  # fmt: skip
COLOURS = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(sorted(HAZARD_CLASSES))}
_OTHER = "#888888"
_IDS = re.compile(r'( id="|href="#|url\(#)')  # an id, and the two ways SVG refers to one
_LOCK = threading.Lock()  # rc_context changes matplotlib's process-wide settings for the time of one drawing


def svg(name: str, draw: Callable[[Axes], None], label: str, size: tuple[float, float] = (7.0, 2.6)) -> str:
    """An SVG element (no XML prolog) of one axes drawn by `draw`, with `label` as its accessible name. Its ids
    (and the references to them) start with `name-`, so several plots make one HTML document with unique ids."""
    with _LOCK, matplotlib.rc_context(RC):
        fig = Figure(figsize=size, layout="constrained")
        FigureCanvasSVG(fig)
        draw(fig.add_subplot())
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None})
    text = out.getvalue()
    element = text[text.index("<svg") :]
    # The RDF metadata block says only "matplotlib" and names three namespaces by URL: not needed inline.
    meta, end = element.find("<metadata>"), element.find("</metadata>")
    if meta != -1 and end != -1:
        element = element[:meta] + element[end + len("</metadata>") :].lstrip()
    element = _IDS.sub(lambda m: f"{m.group(1)}{name}-", element)
    return element.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1)


def per_hour(report: EventReport) -> str:
    """Stacked bars: alarm activations per clock hour, one colour per hazard class."""

    def draw(ax: Axes) -> None:
        xs = list(range(len(report.hours)))
        bottom = [0] * len(xs)
        for cls in report.classes:
            heights = [h.by_class.get(cls, 0) for h in report.hours]
            ax.bar(xs, heights, bottom=bottom, color=COLOURS.get(cls, _OTHER), label=cls, width=0.8)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        step = max(1, len(xs) // 12)
        ax.set_xticks(xs[::step], [_hour(h.start, len(xs) > 24) for h in report.hours][::step])
        ax.set_ylabel("activations")
        ax.set_title("Alarms per hour by hazard class (UTC)")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if report.classes:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)

    return svg("per-hour", draw, "Alarm activations per hour, stacked by hazard class")


def distribution(name: str, dist: Distribution, title: str) -> str:
    """A histogram of delays with the median and 90th percentile marked; minutes when they run past 10."""
    minutes = (dist.max_s or 0.0) > 600
    scale, unit = (60.0, "min") if minutes else (1.0, "s")

    def draw(ax: Axes) -> None:
        values = [d / scale for d in dist.delays]
        ax.hist(values, bins=min(20, max(1, len(set(values)))), color="#4a7ab7", edgecolor="white")
        for value, name, style in ((dist.median_s, "median", "-"), (dist.p90_s, "p90", "--")):
            if value is not None:
                ax.axvline(value / scale, color="#c0392b", linestyle=style, linewidth=1.2, label=name)
        ax.set_xlabel(unit)
        ax.set_ylabel("count")
        ax.set_title(title)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if dist.delays:
            ax.legend(frameon=False)

    return svg(name, draw, f"{title}: histogram", (3.5, 2.4))


def top(name: str, items: Sequence[tuple[str, int]], title: str) -> str:
    """Horizontal bars of the most frequent names, the most frequent on top."""

    def draw(ax: Axes) -> None:
        names = [n for n, _ in reversed(items)]
        ax.barh(names, [c for _, c in reversed(items)], color="#4a7ab7")
        ax.set_title(title)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))

    return svg(name, draw, title, (3.5, max(1.4, 0.25 * len(items) + 0.8)))


def _hour(ts: float, with_day: bool) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%d %H:00" if with_day else "%H:00")
