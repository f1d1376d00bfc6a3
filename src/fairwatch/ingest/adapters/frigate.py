"""Frigate NVR `<prefix>/events` and `<prefix>/reviews` MQTT messages -> raw Fairwatch events.

Only declared fields are copied (RS-13). `sub_label` (a recognised face name), `recognized_license_plate` (plate
text), `attributes`/`current_attributes` (face and plate boxes and scores), descriptions, snapshots and thumbnails
are never read into an event, so no biometric identity can reach the store (RIGHTS.md RS-4); `dropped_identity`
names what was there. Only safety objects become events (RS-12, `labels.SAFETY_LABELS`), only zones the site
defines are used, and each event is judged alone (RS-14): `dropped` counts what was left out, by reason.

Tracked objects (`events`), `<label>` being the safety label's segment (`gun` -> `weapon`):
    new     -> `camera.object.<label>` in each current zone (or without a zone)
    update  -> `camera.object.<label>` for each zone entered, `camera.object.<label>.end` for each zone left;
               updates that change no zone (better snapshot, score) give no event
    end     -> `camera.object.<label>.end` in each zone it was still in (or without a zone)
Reviews (`reviews`, per camera): new -> `camera.review.<severity>`, update that raises the severity ->
`camera.review.<new severity>`, end -> `camera.review.<severity>.end`.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import orjson

from fairwatch.errors import BadJSON, InvalidInput, Problem
from fairwatch.events.validate import rfc3339
from fairwatch.ingest.adapters.labels import SAFETY_LABELS, SAFETY_SOUNDS, DropReason, safety_label
from fairwatch.ingest.mqtt import Route
from fairwatch.policy import check_event

KINDS = ("new", "update", "end")
IDENTITY_FIELDS = ("sub_label", "recognized_license_plate", "attributes", "current_attributes", "description")
_LABEL_RE = re.compile(r"[^a-z0-9_]+")
_SUMMARY = "invalid Frigate message"
MAX_ID = 128


@dataclass(slots=True)
class Mapped:
    """Raw events for the event contract, the identity fields that were present and dropped, and how many items
    (labels, zones, events) were left out for each reason."""

    events: list[dict[str, Any]] = field(default_factory=list)
    dropped_identity: set[str] = field(default_factory=set)
    dropped: Counter[DropReason] = field(default_factory=Counter)


def type_part(label: str) -> str:
    """A Frigate label as an event type segment: lowercase, runs of other characters as '_'."""
    return _LABEL_RE.sub("_", label.lower()).strip("_")


def event_id(*parts: str) -> str:
    """`frigate:<frigate id>:<kind>:...`, hashed when it would exceed the 128-character id limit."""
    text = ":".join(("frigate", *parts))
    if len(text) <= MAX_ID:
        return text
    return "frigate:" + hashlib.sha256(text.encode()).hexdigest()


# -- shared checks ----------------------------------------------------------------------------------------------
def _envelope(doc: Any) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(type, before, after) of a Frigate message, or InvalidInput listing what is wrong."""
    if not isinstance(doc, dict):
        raise InvalidInput([Problem("body", _short(doc), "must be a JSON object")], _SUMMARY)
    problems: list[Problem] = []
    kind = doc.get("type")
    if kind not in KINDS:
        problems.append(Problem("type", _short(kind), "must be one of new, update, end"))
    after = doc.get("after")
    if not isinstance(after, dict):
        problems.append(Problem("after", _short(after), "must be a JSON object"))
    before = doc.get("before")
    if before is not None and not isinstance(before, dict):
        problems.append(Problem("before", _short(before), "must be a JSON object or null"))
    if problems:
        raise InvalidInput(problems, _SUMMARY)
    assert isinstance(kind, str) and isinstance(after, dict)
    return kind, before if isinstance(before, dict) else {}, after


def _text(obj: dict[str, Any], key: str, where: str, problems: list[Problem]) -> str:
    value = obj.get(key)
    if isinstance(value, str) and value.strip():
        return value
    problems.append(Problem(f"{where}.{key}", _short(value), "must be a non-empty string"))
    return ""


def _number(
    obj: dict[str, Any], key: str, where: str, problems: list[Problem], *, required: bool
) -> float | None:
    value = obj.get(key)
    if value is None and not required:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    problems.append(Problem(f"{where}.{key}", _short(value), "must be a number (Unix seconds or a score)"))
    return None


def _zones(obj: dict[str, Any], key: str, where: str, problems: list[Problem]) -> list[str]:
    value = obj.get(key)
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(z, str) and z for z in value):
        return list(value)
    problems.append(Problem(f"{where}.{key}", _short(value), "must be an array of zone names"))
    return []


def _identity(*objects: dict[str, Any]) -> set[str]:
    """Identity fields with content in any of `objects` (reported, never copied)."""
    found = {name for obj in objects for name in IDENTITY_FIELDS if obj.get(name)}
    if any(isinstance(o.get("snapshot"), dict) and o["snapshot"].get("attributes") for o in objects):
        found.add("attributes")
    return found


# -- tracked objects --------------------------------------------------------------------------------------------
def from_event(doc: Any, known_zones: Collection[str]) -> Mapped:
    """Map one `<prefix>/events` message; InvalidInput when it is not a Frigate event message.

    A label that is not a safety object gives no event; a zone not in `known_zones` (the site's) is left out.
    """
    kind, before, after = _envelope(doc)
    problems: list[Problem] = []
    fid = _text(after, "id", "after", problems)
    camera = _text(after, "camera", "after", problems)
    label = _text(after, "label", "after", problems)
    start = _number(after, "start_time", "after", problems, required=True)
    frame = _number(after, "frame_time", "after", problems, required=False)
    end = _number(after, "end_time", "after", problems, required=False)
    score = _number(after, "top_score", "after", problems, required=False)
    if score is None:
        score = _number(after, "score", "after", problems, required=False)
    now_zones = _zones(after, "current_zones", "after", problems)
    was_zones = _zones(before, "current_zones", "before", problems)
    if label and not type_part(label):
        problems.append(Problem("after.label", label, "must contain a letter or digit"))
    if problems:
        raise InvalidInput(problems, _SUMMARY)
    mapped = Mapped(dropped_identity=_identity(before, after))
    if after.get("false_positive") is True:
        return mapped  # Frigate itself does not trust it yet
    segment = safety_label(label)
    if segment is None:
        mapped.dropped[DropReason.LABEL] += 1
        return mapped
    unknown = {z for z in (*now_zones, *was_zones) if z not in known_zones}
    if unknown:
        mapped.dropped[DropReason.ZONE] += len(unknown)
        now_zones = [z for z in now_zones if z not in unknown]
        was_zones = [z for z in was_zones if z not in unknown]
    assert start is not None
    base = _ObjectBase(fid, camera, segment, score, now_zones, after.get("stationary"))
    if kind == "new":
        mapped.events = base.emit("new", "", now_zones, start, fid, "new")
    elif kind == "update":
        at = frame if frame is not None else start
        stamp = repr(at)
        entered = [z for z in now_zones if z not in was_zones]
        left = [z for z in was_zones if z not in now_zones]
        mapped.events = base.emit("entered", "", entered, at, fid, "entered", stamp, allow_none=False)
        mapped.events += base.emit("left", ".end", left, at, fid, "left", stamp, allow_none=False)
    else:
        still = list(dict.fromkeys(was_zones + now_zones))
        at = end if end is not None else (frame if frame is not None else start)
        mapped.events = base.emit("end", ".end", still, at, fid, "end")
    return mapped


@dataclass(frozen=True, slots=True)
class _ObjectBase:
    fid: str
    camera: str
    label: str
    score: float | None
    zones: list[str]
    stationary: Any

    def emit(
        self, kind: str, suffix: str, zones: list[str], at: float, *id_parts: str, allow_none: bool = True
    ) -> list[dict[str, Any]]:
        """One raw event per zone, or one without a zone when there are none (and that is allowed)."""
        targets: list[str | None] = list(zones) if zones else ([None] if allow_none else [])
        data: dict[str, Any] = {
            "frigate_id": self.fid,
            "kind": kind,
            "label": self.label,
            "zones": self.zones,
        }
        if isinstance(self.stationary, bool):
            data["stationary"] = self.stationary
        out = []
        for zone in targets:
            raw: dict[str, Any] = {
                "id": event_id(*id_parts, zone or "-"),
                "source": self.camera,
                "type": f"camera.object.{self.label}{suffix}",
                "time": rfc3339(at),
                "data": dict(data),
            }
            if zone is not None:
                raw["zone"] = zone
            if self.score is not None:
                raw["value"] = self.score
            out.append(raw)
        return out


# -- reviews ----------------------------------------------------------------------------------------------------
SEVERITY_RANK = {"detection": 0, "alert": 1}


def from_review(doc: Any, known_zones: Collection[str]) -> Mapped:
    """Map one `<prefix>/reviews` message; InvalidInput when it is not a Frigate review message.

    Objects and sounds that are not safety ones are left out, and a review with none left gives no event.
    """
    kind, before, after = _envelope(doc)
    problems: list[Problem] = []
    rid = _text(after, "id", "after", problems)
    camera = _text(after, "camera", "after", problems)
    severity = after.get("severity")
    if severity not in SEVERITY_RANK:
        problems.append(Problem("after.severity", _short(severity), "must be one of alert, detection"))
    start = _number(after, "start_time", "after", problems, required=True)
    end = _number(after, "end_time", "after", problems, required=False)
    found_data = after.get("data")
    data: dict[str, Any] = found_data if isinstance(found_data, dict) else {}
    zones = _zones(data, "zones", "after.data", problems)
    if problems:
        raise InvalidInput(problems, _SUMMARY)
    assert isinstance(severity, str) and start is not None
    found = {"sub_label"} if data.get("sub_labels") or (before.get("data") or {}).get("sub_labels") else set()
    mapped = Mapped(dropped_identity=found)
    was = before.get("severity")
    if kind == "update" and not (was in SEVERITY_RANK and SEVERITY_RANK[severity] > SEVERITY_RANK[was]):
        return mapped  # only an escalation (detection -> alert) is news
    objects = _kept(data.get("objects"), SAFETY_LABELS, mapped)
    audio = _kept(data.get("audio"), SAFETY_SOUNDS, mapped)
    if not objects and not audio:
        return mapped  # about nothing Fairwatch may look at (what was there is counted above)
    unknown = [z for z in zones if z not in known_zones]
    mapped.dropped[DropReason.ZONE] += len(unknown)
    zones = [z for z in zones if z in known_zones]
    at = end if kind == "end" and end is not None else start
    mapped.events.append(
        {
            "id": event_id("review", rid, kind, severity),
            "source": camera,
            "type": f"camera.review.{severity}{'.end' if kind == 'end' else ''}",
            "time": rfc3339(at),
            "data": {
                "review_id": rid,
                "kind": kind,
                "severity": severity,
                "objects": objects,
                "zones": zones,
                "audio": audio,
            },
        }
    )
    return mapped


def redact(payload: bytes) -> str:
    """A Frigate payload for a dead-letter message, without its identity fields (unparseable ones as they are)."""
    try:
        doc = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return payload.decode("utf-8", errors="replace")
    if isinstance(doc, dict):
        for side in (doc.get("before"), doc.get("after")):
            if isinstance(side, dict):
                for name in (*IDENTITY_FIELDS, "snapshot", "recognized_license_plate_score"):
                    side.pop(name, None)
                if isinstance(side.get("data"), dict):
                    side["data"].pop("sub_labels", None)
    return orjson.dumps(doc).decode()


def _kept(value: Any, allowed: Collection[str], mapped: Mapped) -> list[str]:
    """The safety labels of a review's `objects` or `audio` (as event type segments for objects), in order and
    without repeats; every other entry is counted as dropped, never copied."""
    if not isinstance(value, list):
        return []
    kept: list[str] = []
    for item in value:
        if not isinstance(item, str) or item.strip().lower() not in allowed:
            mapped.dropped[DropReason.LABEL] += 1
            continue
        name = item.strip().lower()
        kept.append(SAFETY_LABELS.get(name, name))
    return list(dict.fromkeys(kept))


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "…"
    if isinstance(value, dict | list):
        return "(object)" if isinstance(value, dict) else "(array)"
    return value


OnDropped = Callable[[str], None]
OnItemDropped = Callable[[DropReason, int], None]
Mapper = Callable[[Any, Collection[str]], Mapped]


def judge(mapped: Mapped) -> Mapped:
    """Each event judged alone by the rights guard (RS-14): a refused one is dropped and counted, not the rest."""
    kept = []
    for event in mapped.events:
        if check_event(event["type"], event.get("data") or {}):
            mapped.dropped[DropReason.REFUSED] += 1
        else:
            kept.append(event)
    mapped.events = kept
    return mapped


def routes(
    prefix: str, known_zones: Collection[str], on_dropped: OnDropped, on_item_dropped: OnItemDropped
) -> list[Route]:
    """MQTT routes for `<prefix>/events` and `<prefix>/reviews`, using only the site's `known_zones`;
    `on_dropped(field)` counts identity drops, `on_item_dropped(reason, n)` labels, zones and events left out."""
    prefix = prefix.strip("/")
    zones = frozenset(known_zones)
    return [
        Route(f"{prefix}/events", "frigate", _decoder(from_event, zones, on_dropped, on_item_dropped)),
        Route(f"{prefix}/reviews", "frigate", _decoder(from_review, zones, on_dropped, on_item_dropped)),
    ]


def _decoder(
    mapper: Mapper, zones: frozenset[str], on_dropped: OnDropped, on_item_dropped: OnItemDropped
) -> Callable[[str, bytes], list[Any]]:
    def decode(_topic: str, payload: bytes) -> list[Any]:
        try:
            doc = orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            raise BadJSON(exc.msg, exc.lineno, exc.colno) from None
        mapped = judge(mapper(doc, zones))
        for name in sorted(mapped.dropped_identity):
            on_dropped(name)
        for reason, count in sorted(mapped.dropped.items()):
            if count:
                on_item_dropped(reason, count)
        return list(mapped.events)

    return decode
