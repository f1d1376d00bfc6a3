"""Jinja2 pages with the console's security headers; times shown in the site's timezone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from fairwatch.console import i18n

HERE = Path(__file__).parent
STATIC = HERE / "static"

# Scripts and styles come only from our own static files; page data travels in a JSON <script> block, not code.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Pages:
    """Renders templates in the request's language (console/i18n.py); `timezone` is the site's, used for every
    time a page prints; `type_names` gives an alarm type's name in a language (the taxonomy's `names`)."""

    def __init__(
        self, timezone: str = "UTC", type_names: Callable[[str, str], str | None] | None = None
    ) -> None:
        self.zone = ZoneInfo(timezone)
        self.timezone = timezone
        self.type_names = type_names
        self.env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=["jinja2.ext.i18n"],
        )
        self.env.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=i18n.gettext, ngettext=i18n.ngettext, pgettext=i18n.pgettext, newstyle=True
        )
        self.env.filters["clock"] = self.clock
        self.env.filters["stamp"] = self.stamp
        self.env.filters["humantype"] = self.type_name
        self.env.filters["tr"] = (
            i18n.gettext
        )  # a value shown as a word (a state, a role, a title): no %-formatting

    def type_name(self, alarm_type: str) -> str:
        """The taxonomy's name of `alarm_type` in the page's language (English when it has none there)."""
        named = self.type_names(alarm_type, i18n.current()) if self.type_names is not None else None
        return named or human_type(alarm_type)

    def clock(self, when: float) -> str:
        """HH:MM and the zone's abbreviation, in the site's timezone: a printed time says which clock it is."""
        local = datetime.fromtimestamp(when, UTC).astimezone(self.zone)
        return i18n.isolated(f"{local:%H:%M} {local.tzname()}")

    def stamp(self, when: float) -> str:
        """A full local date and time with the zone's abbreviation."""
        local = datetime.fromtimestamp(when, UTC).astimezone(self.zone)
        return i18n.isolated(f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}")

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        """A page with the console's security headers."""
        html = self.env.get_template(template).render(**i18n.page_values(), **values)
        return HTMLResponse(html, status, headers=dict(SECURITY_HEADERS))


def human_type(alarm_type: str) -> str:
    """`crowd_safety.crush_risk` -> `Crowd safety · crush risk`."""
    parts = [p.replace("_", " ") for p in alarm_type.split(".")]
    return " · ".join([parts[0].capitalize(), *parts[1:]])
