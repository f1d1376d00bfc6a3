"""Events checked against the schemas in force (RIGHTS.md RS-10) and the zones of the site.

An event type no schema declares, a `value` its schema gives no unit, a `data` key its schema does not declare or
a value of the wrong kind is refused, naming the type or the key, before anything is stored. With a site, the
zone an event names must be one of its zones; without a site zones are free names.
"""

from __future__ import annotations

import math
from typing import Any

from fairwatch.errors import Problem
from fairwatch.schemas import Catalogue, FieldSpec, Kind


def declared_problems(
    item: dict[str, Any], index: int, schemas: Catalogue | None, zones: frozenset[str] | None
) -> list[Problem]:
    """Problems of one structurally valid event against `schemas` and the site's `zones` (None: not checked)."""
    problems: list[Problem] = []
    zone = item.get("zone")
    if zones is not None and zone is not None and zone not in zones:
        shown = ", ".join(sorted(zones)[:20]) or "none"
        problems.append(
            Problem("zone", zone, f"unknown zone {zone!r}: the site has no such zone (zones: {shown})", index)
        )
    if schemas is None:
        return problems
    typ = item["type"]
    schema = schemas.get(typ)
    if schema is None:
        message = f"unknown event type {typ!r}: no event schema declares it"
        problems.append(Problem("type", typ, message, index))
        return problems
    if item.get("value") is not None and not schema.value_unit:
        problems.append(Problem("value", item["value"], f"event type {typ!r} declares no value", index))
    for key, val in (item.get("data") or {}).items():
        spec = schema.fields.get(key)
        if spec is None:
            message = f"{key!r} is not a declared field of event type {typ!r} (declared: {schema.declared()})"
            problems.append(Problem(f"data.{key}", _shown(val), message, index))
            continue
        wrong = _kind_problem(spec, val)
        if wrong is not None:
            problems.append(Problem(f"data.{key}", _shown(val), wrong, index))
    return problems


def _kind_problem(spec: FieldSpec, value: Any) -> str | None:
    if spec.kind is Kind.NUMBER:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        return None if ok else f"must be a finite number ({spec.unit})"
    if spec.kind is Kind.BOOLEAN:
        return None if isinstance(value, bool) else "must be true or false"
    if spec.kind is Kind.ENUM:
        return (
            None
            if isinstance(value, str) and value in spec.values
            else f"must be one of {', '.join(spec.values)}"
        )
    return None if isinstance(value, str) else "must be a string (narrative text)"


def _shown(value: Any) -> Any:
    """Scalars are echoed (cut down); objects and lists are not."""
    if isinstance(value, str):
        return value if len(value) <= 200 else value[:200] + "…"
    if isinstance(value, dict | list):
        return None
    return value
