"""OASIS Common Alerting Protocol 1.2 messages for alarms (pure; docs/cap.md has the mapping tables).

An alarm's messages form one thread: Alert when raised, Update (with `references` to every earlier message)
when its severity or area changes, Cancel when resolved, and a new Alert (referencing the thread) if it is
reopened. A message's identifier is stable per (alarm id, version).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from fairwatch.model import Alarm, AlarmState, Severity
from fairwatch.store.base import CapMessage

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
MEDIA_TYPE = "application/cap+xml"
ALERT, UPDATE, CANCEL = "Alert", "Update", "Cancel"
POINT_RADIUS_KM = 0.1  # a circle around a reported point: the precision we claim for it

# CAP info/category by hazard class (the part of the alarm type before the first dot); used when the
# taxonomy does not name one.
CATEGORY_BY_HAZARD: dict[str, str] = {
    "fire": "Fire",
    "medical": "Health",
    "crowd_safety": "Safety",
    "structural": "Infra",
    "weather": "Met",
    "violence": "Security",
    "weapon": "Security",
    "intrusion": "Security",
    "missing_person": "Rescue",
    "traffic": "Transport",
    "hazardous_material": "CBRNE",
    "technical": "Infra",
    "other_safety": "Safety",
}
CAP_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "Extreme",
    Severity.HIGH: "Severe",
    Severity.MEDIUM: "Moderate",
    Severity.LOW: "Minor",
    Severity.INFO: "Minor",
}
# Urgency while the alarm's condition is present; once it is over (cleared, or a Cancel) urgency is Past.
CAP_URGENCY: dict[Severity, str] = {
    Severity.CRITICAL: "Immediate",
    Severity.HIGH: "Immediate",
    Severity.MEDIUM: "Expected",
    Severity.LOW: "Expected",
    Severity.INFO: "Future",
}
# Certainty from the rule's reason (model.Reason): measured directly, or inferred from several signals/silence.
CAP_CERTAINTY: dict[str, str] = {
    "threshold": "Observed",
    "held": "Observed",
    "count": "Observed",
    "correlated": "Likely",
    "absent": "Likely",
}


@dataclass(frozen=True, slots=True)
class Area:
    """Where: a description, and a closed polygon of (lat, lon) or a circle (lat, lon, radius km), or neither."""

    desc: str
    polygon: tuple[tuple[float, float], ...] = ()
    circle: tuple[float, float, float] | None = None


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything a message about an alarm says besides its envelope; gathered by the issuer."""

    alarm: Alarm
    category: str
    event: str
    reason: str | None = None
    area: Area | None = None
    sender_name: str = "Fairwatch"
    incident: str | None = None  # the number of the incident the alarm is merged into


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who sent which message when, and what it answers."""

    identifier: str
    sender: str
    sent: float
    msg_type: str
    references: tuple[CapMessage, ...] = ()
    public: bool = False
    note: str | None = None


def category_for(alarm_type: str) -> str:
    """CAP category by hazard class; Other for an unknown class."""
    return CATEGORY_BY_HAZARD.get(alarm_type.split(".", 1)[0], "Other")


def event_name(alarm_type: str) -> str:
    """A readable event name from an alarm type id: `fire.high_temperature` -> `Fire: high temperature`."""
    hazard, _, rest = alarm_type.partition(".")
    head = hazard.replace("_", " ").capitalize()
    return f"{head}: {rest.replace('_', ' ').replace('.', ' ')}" if rest else head


def identifier(instance: str, alarm_id: int, version: int) -> str:
    """Stable per (deployment, alarm, version); no spaces, commas or restricted characters."""
    return f"fairwatch-{instance}-alarm-{alarm_id}-v{version}"


def cap_time(ts: float) -> str:
    """CAP's dateTime form: seconds, explicit offset, never "Z" (the schema's pattern requires it)."""
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def next_message(previous: Sequence[CapMessage], alarm: Alarm) -> str | None:
    """The msgType to issue for the alarm's current state, or None when its last message still holds."""
    last = previous[-1] if previous else None
    resolved = alarm.state is AlarmState.RESOLVED
    if last is None:
        return None if resolved else ALERT
    if last.msg_type == CANCEL:
        return None if resolved else ALERT  # reopened: a new alert in the same thread
    if resolved:
        return CANCEL
    if last.severity != alarm.severity.value or last.zone != alarm.zone or last.site != alarm.site:
        return UPDATE
    return None


def build(facts: Facts, env: Envelope) -> str:
    """The CAP 1.2 XML document, with its XML declaration (served as UTF-8)."""
    root = ET.Element(_q("alert"))
    _sub(root, "identifier", env.identifier)
    _sub(root, "sender", env.sender)
    _sub(root, "sent", cap_time(env.sent))
    _sub(root, "status", "Actual")
    _sub(root, "msgType", env.msg_type)
    _sub(root, "source", f"fairwatch rule {facts.alarm.rule}")
    _sub(root, "scope", "Public" if env.public else "Restricted")
    if not env.public:
        _sub(root, "restriction", "control room staff of this Fairwatch deployment")
    if env.note:
        _sub(root, "note", env.note)
    if env.references:
        _sub(
            root,
            "references",
            " ".join(f"{env.sender},{m.identifier},{cap_time(m.sent)}" for m in env.references),
        )
    incidents = f"fairwatch-alarm-{facts.alarm.id}"
    if facts.incident:
        incidents += f" fairwatch-incident-{facts.incident}"
    _sub(root, "incidents", incidents)
    _info(root, facts, env)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode", default_namespace=CAP_NS)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _info(root: ET.Element, facts: Facts, env: Envelope) -> None:
    alarm = facts.alarm
    over = env.msg_type == CANCEL or not alarm.active
    info = ET.SubElement(root, _q("info"))
    _sub(info, "language", "en")
    _sub(info, "category", facts.category)
    _sub(info, "event", facts.event)
    if env.msg_type == CANCEL:
        _sub(info, "responseType", "AllClear")
    _sub(info, "urgency", "Past" if over else CAP_URGENCY[alarm.severity])
    _sub(info, "severity", CAP_SEVERITY[alarm.severity])
    _sub(info, "certainty", CAP_CERTAINTY.get(facts.reason or "", "Unknown"))
    _pair(info, "eventCode", "fairwatch:alarm-type", alarm.type)
    _sub(info, "onset", cap_time(alarm.first_seen))
    _sub(info, "senderName", facts.sender_name)
    where = f" in {facts.area.desc}" if facts.area else ""
    _sub(info, "headline", f"{facts.event}{where}"[:160])
    if alarm.explanation:
        _sub(info, "description", alarm.explanation)
    _pair(info, "parameter", "fairwatch:alarm-id", str(alarm.id))
    _pair(info, "parameter", "fairwatch:alarm-version", str(alarm.version))
    _pair(info, "parameter", "fairwatch:state", alarm.state.value)
    _pair(info, "parameter", "fairwatch:count", str(alarm.count))
    if facts.area is not None:
        _area(info, facts.area)


def _area(info: ET.Element, area: Area) -> None:
    el = ET.SubElement(info, _q("area"))
    _sub(el, "areaDesc", area.desc)
    if area.polygon:
        _sub(el, "polygon", " ".join(f"{lat:.6f},{lon:.6f}" for lat, lon in area.polygon))
    if area.circle is not None:
        lat, lon, radius = area.circle
        _sub(el, "circle", f"{lat:.6f},{lon:.6f} {radius:g}")


def closed_polygon(points: Sequence[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """CAP polygons repeat the first point last and need at least four points; () when there are too few."""
    pts = tuple(points)
    if pts and pts[0] != pts[-1]:
        pts = (*pts, pts[0])
    return pts if len(pts) >= 4 else ()


def _q(tag: str) -> str:
    return f"{{{CAP_NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    el = ET.SubElement(parent, _q(tag))
    el.text = text
    return el


def _pair(parent: ET.Element, tag: str, name: str, value: str) -> None:
    el = ET.SubElement(parent, _q(tag))
    _sub(el, "valueName", name)
    _sub(el, "value", value)
