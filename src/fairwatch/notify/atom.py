"""The public CAP feed: an Atom (RFC 4287) document whose entries link to CAP messages (pure)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from fairwatch.notify.cap import CAP_NS, MEDIA_TYPE
from fairwatch.store.base import CapMessage

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml"


def atom_time(ts: float) -> str:
    """RFC 3339 in UTC, as Atom wants it."""
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def feed(
    messages: Sequence[CapMessage], *, self_url: str, message_url: Callable[[CapMessage], str], now: float
) -> str:
    """An Atom feed with one entry per message, newest first."""
    # Unqualified tags under an xmlns attribute: ElementTree cannot combine a default namespace with the
    # unqualified attribute names Atom uses (rel, href, term).
    root = ET.Element("feed", xmlns=ATOM_NS)
    _sub(root, "id", self_url)
    _sub(root, "title", "Fairwatch public alarms (CAP 1.2)")
    _sub(root, "updated", atom_time(max((m.sent for m in messages), default=now)))
    ET.SubElement(root, "link", rel="self", type=ATOM_TYPE, href=self_url)
    author = ET.SubElement(root, "author")
    _sub(author, "name", "Fairwatch")
    for message in messages:
        _entry(root, message, message_url(message))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _entry(root: ET.Element, message: CapMessage, url: str) -> None:
    info = _cap_fields(message.xml)
    entry = ET.SubElement(root, "entry")
    _sub(entry, "id", f"urn:fairwatch:cap:{message.identifier}")
    _sub(entry, "title", f"{message.msg_type}: {info.get('headline', message.identifier)}")
    _sub(entry, "updated", atom_time(message.sent))
    ET.SubElement(entry, "link", rel="alternate", type=MEDIA_TYPE, href=url)
    if "category" in info:
        ET.SubElement(entry, "category", term=info["category"])
    summary = f"{info.get('severity', '')} / {info.get('urgency', '')} / {info.get('certainty', '')}"
    if "description" in info:
        summary += f": {info['description']}"
    _sub(entry, "summary", summary)


def _cap_fields(xml: str) -> dict[str, str]:
    """A few info fields of a stored CAP message, for the entry's title and summary."""
    info = ET.fromstring(xml.encode()).find(f"{{{CAP_NS}}}info")
    if info is None:
        return {}
    names = ("headline", "category", "severity", "urgency", "certainty", "description")
    found = {name: info.findtext(f"{{{CAP_NS}}}{name}") for name in names}
    return {k: v for k, v in found.items() if v}


def _sub(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = text
