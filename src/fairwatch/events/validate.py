"""The event contract: decode a JSON body and validate each event, collecting every problem (never the first only)."""

from __future__ import annotations

import math
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from fairwatch.errors import InvalidInput, Problem
from fairwatch.events.declared import declared_problems
from fairwatch.events.inputs import check_document, load_json, text_problem
from fairwatch.model import Event, Location
from fairwatch.policy import check_event
from fairwatch.schemas import Catalogue

MAX_BATCH = 5_000
MAX_BODY = 4 * 1024 * 1024
MAX_DATA_BYTES = 4096
MAX_FUTURE_SECONDS = 300.0
MAX_AGE_SECONDS = 7 * 86400.0  # default lower bound of event times (setting `event_max_age_days`)
TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
ALLOWED = ("id", "source", "type", "time", "site", "zone", "value", "location", "data")
_ALLOWED_SET = frozenset(ALLOWED)
_ALLOWED_TEXT = ", ".join(ALLOWED)


class EventsRefused(InvalidInput):
    """A batch with at least one invalid event; `refused_by_policy` counts person-data refusals for metrics."""

    def __init__(self, problems: list[Problem], refused_by_policy: int) -> None:
        self.refused_by_policy = refused_by_policy
        super().__init__(problems, "invalid events")


def decode_body(body: bytes) -> list[Any]:
    """Parse a JSON body into a list of raw events; bad JSON names line and column.

    The characters and nesting of each event are checked by `validate_events`, so problems carry its index.
    """
    doc = load_json(body)
    if isinstance(doc, dict):
        return [doc]
    if isinstance(doc, list):
        if not doc:
            raise InvalidInput(
                [Problem("body", [], "empty batch: send at least one event")], "invalid events"
            )
        if len(doc) > MAX_BATCH:
            message = f"batch of {len(doc)} events exceeds the limit of {MAX_BATCH}"
            raise InvalidInput([Problem("body", len(doc), message)], "invalid events")
        return doc
    raise InvalidInput(
        [Problem("body", doc, "must be a JSON object or an array of objects")], "invalid events"
    )


def validate_events(
    raw: list[Any],
    now: float,
    max_age: float = MAX_AGE_SECONDS,
    *,
    schemas: Catalogue | None = None,
    zones: frozenset[str] | None = None,
) -> list[Event]:
    """Validate every raw event; raise EventsRefused listing all problems if any event is invalid.

    An event's `time` may be at most `max_age` seconds before `now` and `MAX_FUTURE_SECONDS` after it. With
    `schemas` (ingest always passes the catalogue in force, RS-10) each event's type, value and data keys must be
    declared; with `zones` (the site's) its zone must be one of them. Adapters that build their events from
    their own declared fields call without.
    """
    events: list[Event] = []
    problems: list[Problem] = []
    refused = 0
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            problems.append(Problem("", _short(item), "each event must be a JSON object", index))
            continue
        unstorable = check_document(item, "", index)
        if unstorable:  # other checks would echo the characters back; these problems come first and alone
            problems.extend(unstorable)
            continue
        mine = _check(item, index, now, max_age)
        if not mine:
            policy = check_event(item["type"], item.get("data") or {}, index)
            if policy:
                refused += 1
                problems.extend(policy)
                continue
            mine = declared_problems(item, index, schemas, zones)
        if mine:
            problems.extend(mine)
        else:
            events.append(_build(item, now))
    if problems:
        raise EventsRefused(problems, refused)
    return events


def _check(item: dict[str, Any], index: int, now: float, max_age: float) -> list[Problem]:
    problems: list[Problem] = []
    if not _ALLOWED_SET.issuperset(item):
        for key in item:
            if key not in _ALLOWED_SET:
                problems.append(
                    Problem(key, _short(item[key]), f"unknown field (allowed: {_ALLOWED_TEXT})", index)
                )
    _need_text(item, "source", index, problems, required=True)
    typ = item.get("type")
    if typ is None:
        problems.append(Problem("type", None, "required field is missing", index))
    elif not isinstance(typ, str) or not TYPE_RE.match(typ) or len(typ) > 128:
        msg = "must be lowercase dotted like 'crowd.density' (pattern ^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*$)"
        problems.append(Problem("type", _short(typ), msg, index))
    for name in ("id", "site", "zone"):
        _need_text(item, name, index, problems, required=False)
    if "time" in item and item["time"] is not None:
        _check_time(item["time"], index, now, max_age, problems)
    value = item.get("value")
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
    ):
        problems.append(Problem("value", _short(value), "must be a finite number", index))
    if item.get("location") is not None:
        _check_location(item["location"], index, problems)
    if item.get("data") is not None:
        _check_data(item["data"], index, problems)
    return problems


def _need_text(
    item: dict[str, Any], name: str, index: int, problems: list[Problem], *, required: bool
) -> None:
    value = item.get(name)
    if value is None:
        if required:
            problems.append(Problem(name, None, "required field is missing", index))
        return
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(name, _short(value), "must be a non-empty string", index))
    elif len(value) > 128:
        problems.append(
            Problem(name, _short(value), f"must be at most 128 characters (got {len(value)})", index)
        )
    else:
        control = text_problem(name, value, index, free_text=False)  # names hold no tab or line break
        if control is not None:
            problems.append(control)


def _check_time(value: Any, index: int, now: float, max_age: float, problems: list[Problem]) -> None:
    when = parse_time(value)
    if when is None:
        msg = "must be an RFC 3339 timestamp with a time zone, like '2026-07-04T18:22:05Z'"
        problems.append(Problem("time", _short(value), msg, index))
    elif when > now + MAX_FUTURE_SECONDS:
        problems.append(Problem("time", value, "is more than 5 minutes in the future", index))
    elif when < now - max_age:
        message = (
            f"is older than the accepted horizon of {_span(max_age)} (earliest {rfc3339(now - max_age)})"
        )
        problems.append(Problem("time", value, message, index))


def _span(seconds: float) -> str:
    if seconds % 86400 == 0:
        days = int(seconds // 86400)
        return f"{days} day" + ("s" if days != 1 else "")
    return f"{seconds:g} seconds"


def parse_time(value: Any) -> float | None:
    """Unix seconds from an RFC 3339 string with a time zone, or None."""
    if not isinstance(value, str) or len(value) < 20 or value[10] not in "Tt ":
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.timestamp()


def _check_location(loc: Any, index: int, problems: list[Problem]) -> None:
    shape = 'must be {"lat": ..., "lon": ...} or {"x": ..., "y": ...} with finite numbers'
    if not isinstance(loc, dict) or set(loc) not in ({"lat", "lon"}, {"x", "y"}):
        problems.append(Problem("location", _short(loc), shape, index))
        return
    for key, val in loc.items():
        if isinstance(val, bool) or not isinstance(val, int | float) or not math.isfinite(val):
            problems.append(Problem(f"location.{key}", _short(val), "must be a finite number", index))
    lat, lon = loc.get("lat"), loc.get("lon")
    if isinstance(lat, int | float) and not -90 <= lat <= 90:
        problems.append(Problem("location.lat", lat, "must be between -90 and 90", index))
    if isinstance(lon, int | float) and not -180 <= lon <= 180:
        problems.append(Problem("location.lon", lon, "must be between -180 and 180", index))


def _check_data(data: Any, index: int, problems: list[Problem]) -> None:
    if not isinstance(data, dict):
        problems.append(Problem("data", _short(data), "must be a JSON object", index))
        return
    size = len(orjson.dumps(data))
    if size > MAX_DATA_BYTES:
        problems.append(
            Problem("data", None, f"must be at most {MAX_DATA_BYTES} bytes serialized (got {size})", index)
        )
    for key, val in data.items():
        if _depth(val) > 1:
            problems.append(Problem(f"data.{key}", None, "nests deeper than 2 levels", index))


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _build(item: dict[str, Any], now: float) -> Event:
    loc = item.get("location")
    when = item.get("time")
    value = item.get("value")
    return Event(
        id=item.get("id") or str(uuid.uuid4()),
        source=item["source"],
        type=item["type"],
        time=parse_time(when) if when is not None else now,  # type: ignore[arg-type]
        received=now,
        site=item.get("site"),
        zone=item.get("zone"),
        value=float(value) if value is not None else None,
        location=Location(**{k: float(v) for k, v in loc.items()}) if loc else None,
        data=item.get("data") or {},
    )


def _short(value: Any) -> Any:
    """The bad value as given, cut down so an error response never echoes a huge payload."""
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "…"
    if isinstance(value, dict | list):
        text = orjson.dumps(value).decode()
        return value if len(text) <= 200 else text[:200] + "…"
    return value


def rfc3339(ts: float) -> str:
    """Unix seconds as RFC 3339 UTC with millisecond precision."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
