"""Field reports -> `report.*` events: the phone's report id is the event id and the unit is the source, so a
report retried after the phone was offline is stored once (the writer dedups by (id, source), like any event).

A report names either an event type of the catalogue (`report.medical`) or an alarm type of the guarded taxonomy
(`medical.cardiac`), which is sent as the `report.*` event of its hazard class; rules decide what alarm it raises.
"""

from __future__ import annotations

from typing import Any

from fairwatch.errors import InvalidInput, Problem
from fairwatch.events.validate import rfc3339, validate_events
from fairwatch.model import Event
from fairwatch.schemas import Catalogue
from fairwatch.taxonomy import Taxonomy

FIELDS = ("id", "type", "zone", "location", "text", "severity", "time")
SEVERITIES = ("low", "medium", "high", "critical")
# The report event each hazard class is sent as (report.hazard for the rest).
BY_CLASS = {
    "medical": "report.medical",
    "fire": "report.fire",
    "crowd_safety": "report.crowd",
    "structural": "report.structural",
    "violence": "report.violence",
    "weapon": "report.violence",
    "missing_person": "report.missing",
}


def event_type(value: Any, taxonomy: Taxonomy, schemas: Catalogue) -> str:
    """The `report.*` event type a report's `type` stands for; InvalidInput naming `type` otherwise."""
    if isinstance(value, str):
        if value.startswith("report.") and value in schemas:
            return value
        found = taxonomy.get(value)
        if found is not None and found.active:
            return BY_CLASS.get(found.hazard_class, "report.hazard")
    reports = sorted(t for t in schemas if t.startswith("report."))
    message = f"must be an active alarm type of the taxonomy or one of {', '.join(reports)}"
    raise InvalidInput([Problem("type", value, message)], "invalid report")


def report_event(
    doc: Any,
    source: str,
    now: float,
    *,
    taxonomy: Taxonomy,
    schemas: Catalogue,
    zones: frozenset[str] | None,
    max_age: float,
) -> Event:
    """The event a field report becomes, checked like any ingested event (schemas, zones, the rights guard)."""
    if not isinstance(doc, dict):
        raise InvalidInput([Problem("body", None, "must be a JSON object")], "invalid report")
    unknown = [
        Problem(k, None, f"is not a field of a report (allowed: {', '.join(FIELDS)})")
        for k in doc
        if k not in FIELDS
    ]
    if "id" not in doc:
        unknown.append(Problem("id", None, "is required: the id the phone made for this report"))
    if doc.get("severity") is not None and doc["severity"] not in SEVERITIES:
        unknown.append(Problem("severity", doc["severity"], f"must be one of {', '.join(SEVERITIES)}"))
    if unknown:
        raise InvalidInput(unknown, "invalid report")
    data: dict[str, Any] = {}
    if doc.get("text") is not None:
        data["text"] = doc["text"]
    if doc.get("severity") is not None:
        data["severity"] = doc["severity"]
    raw: dict[str, Any] = {
        "id": doc["id"],
        "source": source,
        "type": event_type(doc.get("type"), taxonomy, schemas),
        "time": doc.get("time") or rfc3339(now),
        "zone": doc.get("zone"),
        "location": doc.get("location"),
        "data": data,
    }
    return validate_events(
        [{k: v for k, v in raw.items() if v is not None}], now, max_age, schemas=schemas, zones=zones
    )[0]
