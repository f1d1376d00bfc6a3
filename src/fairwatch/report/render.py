"""The report as one self-contained HTML document (inline CSS and SVG, no scripts, no external requests), and as
PDF through WeasyPrint when it is installed with the system libraries it needs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from fairwatch.errors import ConfigError
from fairwatch.report import plots
from fairwatch.report.figures import EventReport

HERE = Path(__file__).parent
PDF_HINT = (
    "install the PDF extra (pip install 'fairwatch[pdf]') and Pango (Debian: apt-get install libpango-1.0-0 "
    "libpangoft2-1.0-0)"
)


class PdfUnavailable(ConfigError):
    """WeasyPrint, or a system library it loads, is missing: the message names what and how to install it
    (the command line prints it and exits 2, like a configuration error)."""


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["stamp"] = stamp
    env.filters["duration"] = duration
    env.filters["hour"] = lambda ts: datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:00")
    return env


def stamp(ts: float | None) -> str:
    """A UTC date and time to the second, or a dash."""
    if ts is None:
        return "—"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def duration(seconds: float | None) -> str:
    """Seconds as `42 s`, `3 min 05 s` or `2 h 07 min`; a dash for none."""
    if seconds is None:
        return "—"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


_ENV = _env()


def render_html(report: EventReport, title: str = "Post-event report") -> str:
    """The report document; the same report gives the same text."""
    # The template inserts the plots with `safe`: matplotlib escapes the text it writes into its SVG (zone and
    # type names), as tests/report/test_figures.py checks.
    figures = {
        "per_hour": plots.per_hour(report),
        "ack": plots.distribution("ack", report.ack, "Time to acknowledge") if report.ack.delays else None,
        "dispatch": (
            plots.distribution("dispatch", report.dispatch, "Time to first dispatch")
            if report.dispatch.delays
            else None
        ),
        "types": plots.top("types", report.top_types, "Top alarm types") if report.top_types else None,
        "zones": plots.top("zones", report.top_zones, "Top zones") if report.top_zones else None,
    }
    return _ENV.get_template("report.html").render(r=report, title=title, svg=figures)


def render_pdf(html: str) -> bytes:
    """The HTML report as PDF; PdfUnavailable naming what is missing when WeasyPrint cannot run here."""
    try:
        import weasyprint  # optional extra, loaded only for --pdf
    except ImportError as exc:
        raise PdfUnavailable([f"--pdf needs WeasyPrint, which is not installed: {PDF_HINT}"]) from exc
    except OSError as exc:  # WeasyPrint loads Pango with ctypes when it is imported
        raise PdfUnavailable([f"--pdf: WeasyPrint cannot load a system library ({exc}): {PDF_HINT}"]) from exc
    pdf = weasyprint.HTML(string=html).write_pdf()
    assert pdf is not None  # only None when writing to a target
    return bytes(pdf)
