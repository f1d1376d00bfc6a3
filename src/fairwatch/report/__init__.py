"""The post-event report: a self-contained, printable HTML document (inline SVG plots, no external requests) of
what the control room saw and did over a period: alarm load by hour and hazard class, time to acknowledge and to
first dispatch, the ISA-18.2 load figures of `replay`, top alarm types and zones, every incident with its key times
and decision log; optionally as PDF. docs/report.md is the reference."""

from fairwatch.report.facts import Facts, IncidentFacts, gather
from fairwatch.report.figures import EventReport, build
from fairwatch.report.period import Period, parse_period
from fairwatch.report.render import PdfUnavailable, render_html, render_pdf

__all__ = [
    "EventReport",
    "Facts",
    "IncidentFacts",
    "PdfUnavailable",
    "Period",
    "build",
    "gather",
    "parse_period",
    "render_html",
    "render_pdf",
]
