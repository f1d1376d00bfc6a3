"""Reads the figures back out of a report document with the standard library's HTML parser."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser


class ReportReader(HTMLParser):
    """Per-hour cells (`tr[data-hour] td[data-class]`), figures (`dd[data-figure]`) and the inline SVGs."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.hours: dict[str, dict[str, int]] = {}
        self.figures: dict[str, str] = {}
        self.seconds: dict[str, str] = {}
        self.incidents: list[str] = []
        self._hour: str | None = None
        self._cell: tuple[str, str] | None = None  # (what, key)
        self._text: list[str] = []
        self.feed(html)
        self.svgs = _svgs(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "tr" and "data-hour" in a:
            self._hour = a["data-hour"]
            self.hours[self._hour] = {}
        elif tag == "td" and "data-class" in a and self._hour is not None:
            self._cell, self._text = ("hour", a["data-class"]), []
        elif tag == "dd" and "data-figure" in a:
            self._cell, self._text = ("figure", a["data-figure"]), []
            if "data-seconds" in a:
                self.seconds[a["data-figure"]] = a["data-seconds"]
        elif tag == "article" and a.get("id", "").startswith("incident-"):
            self.incidents.append(a["id"].removeprefix("incident-"))

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._cell is None or tag not in ("td", "dd"):
            if tag == "tr":
                self._hour = None
            return
        what, key = self._cell
        text = "".join(self._text).strip()
        if what == "hour" and self._hour is not None:
            self.hours[self._hour][key] = int(text)
        else:
            self.figures[key] = text
        self._cell = None


def _svgs(html: str) -> list[ET.Element]:
    """Every inline <svg> element, parsed as XML (ParseError if one is not well-formed)."""
    found: list[ET.Element] = []
    at = html.find("<svg")
    while at != -1:
        end = html.index("</svg>", at) + len("</svg>")
        found.append(ET.fromstring(html[at:end]))
        at = html.find("<svg", end)
    return found
