"""Event schemas as written: a `schemas:` mapping (in a schemas file or the site file) read strictly.

    schemas:
      crowd.density:
        value: persons/m2            # the unit of `value`; leave it out and events of this type carry no value
        data:
          level: {enum: [low, high]}  # a closed enum
          count: {number: persons}    # a number with its unit
          armed: boolean
          text: narrative             # free text: stored, never evaluated by rules, never exported

Every problem names file, line, the type and the field (`yamlfile.Reader`). `guard` is the rights guard, handed
in by the caller: each type name, field name, unit and enum value must pass it (RS-2, RS-10).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from os import PathLike
from typing import Any

from fairwatch.schemas.model import Catalogue, EventSchema, FieldSpec, Kind
from fairwatch.schemas.units import unit_problem
from fairwatch.yamlfile import LineDict, LineList, Reader, load_yaml, read_text

Guard = Callable[[str], str | None]
"""The rights guard: None when a text passes, else why it is refused."""

TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
FIELD_RE = re.compile(r"^[a-z][a-z0-9_]*$")
SCHEMA_KEYS = ("value", "data")
FORMS = "one of boolean, narrative, {number: UNIT}, {enum: [VALUE, ...]}"
MAX_TEXT = 64


def read_section(
    reader: Reader, value: Any, line: int, base: Mapping[str, EventSchema], guard: Guard | None
) -> dict[str, EventSchema]:
    """The schemas of a `schemas:` mapping at `line`; types already in `base` may not be redefined."""
    out: dict[str, EventSchema] = {}
    if not isinstance(value, LineDict):
        reader.error(line, "schemas", "expected a mapping of event types", got=value)
        return out
    for name, spec in value.items():
        at = value.key_lines[name]
        reader.item = f"event type {name!r}"
        before = reader.count
        if not TYPE_RE.fullmatch(name) or len(name) > 128:
            reader.error(at, "", "expected a lowercase dotted name like 'crowd.density'")
        elif name in base:
            reader.error(
                at, "", "already declared by the built-in catalogue (a site may add types, not change them)"
            )
        _guard(reader, at, "", name, guard)
        schema = _schema(reader, name, spec, value.lines[name], guard)
        if schema is not None and reader.count == before:
            out[name] = schema
    reader.item = ""
    return out


def _schema(reader: Reader, name: str, spec: Any, line: int, guard: Guard | None) -> EventSchema | None:
    if spec is None:
        return EventSchema(name)
    if not reader.line_mapping(spec, line, "", SCHEMA_KEYS):
        return None
    unit = ""
    if "value" in spec:
        unit = _unit(reader, spec.lines["value"], "value", spec["value"], guard, "a unit like 'persons/m2'")
    fields: dict[str, FieldSpec] = {}
    data = spec.get("data")
    if data is not None:
        if not isinstance(data, LineDict):
            reader.error(spec.lines["data"], "data", "expected a mapping of field names", got=data)
        else:
            for key, form in data.items():
                found = _field(reader, key, form, data.key_lines[key], data.lines[key], guard)
                if found is not None:
                    fields[key] = found
    return EventSchema(name, unit, fields)


def _field(
    reader: Reader, key: str, form: Any, key_line: int, line: int, guard: Guard | None
) -> FieldSpec | None:
    path = f"data.{key}"
    if not FIELD_RE.fullmatch(key) or len(key) > MAX_TEXT:
        reader.error(key_line, path, "expected a lowercase field name like 'count' (letters, digits, '_')")
        return None
    _guard(reader, key_line, path, key, guard)
    if form in ("boolean", "narrative"):
        return FieldSpec(key, Kind(form))
    if isinstance(form, LineDict) and len(form) == 1 and "number" in form:
        unit = _unit(
            reader, form.lines["number"], f"{path}.number", form["number"], guard, "a unit like 'persons'"
        )
        return FieldSpec(key, Kind.NUMBER, unit=unit) if unit else None
    if isinstance(form, LineDict) and len(form) == 1 and "enum" in form:
        return _enum(reader, key, form["enum"], form.lines["enum"], guard)
    reader.error(line, path, f"expected {FORMS}", got=form)
    return None


def _enum(reader: Reader, key: str, values: Any, line: int, guard: Guard | None) -> FieldSpec | None:
    path = f"data.{key}.enum"
    if not isinstance(values, LineList) or not values:
        reader.error(line, path, "expected a non-empty list of values", got=values)
        return None
    out: list[str] = []
    for i, item in enumerate(values):
        at = values.lines[i]
        if not isinstance(item, str) or not FIELD_RE.fullmatch(item) or len(item) > MAX_TEXT:
            reader.error(
                at, f"{path}[{i}]", "expected a lowercase value like 'open' (letters, digits, '_')", got=item
            )
        elif item in out:
            reader.error(at, f"{path}[{i}]", f"duplicate value {item!r}")
        else:
            _guard(reader, at, f"{path}[{i}]", item, guard)
            out.append(item)
    return FieldSpec(key, Kind.ENUM, values=tuple(out))


def _text(reader: Reader, line: int, path: str, value: Any, guard: Guard | None, hint: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        reader.error(line, path, f"expected {hint}", got=value)
        return ""
    _guard(reader, line, path, value, guard)
    return value


def _unit(reader: Reader, line: int, path: str, value: Any, guard: Guard | None, hint: str) -> str:
    unit = _text(reader, line, path, value, guard, hint)
    problem = unit_problem(unit) if unit else None
    if problem is not None:
        reader.error(line, path, problem)
        return ""
    return unit


def _guard(reader: Reader, line: int, path: str, text: str, guard: Guard | None) -> None:
    refused = guard(text) if guard is not None else None
    if refused is not None:
        reader.error(line, path, f"refused by the rights guard: {refused}")


def parse_schemas(
    text: str, source: str, base: Mapping[str, EventSchema], guard: Guard | None
) -> dict[str, EventSchema]:
    """A schemas file (`schemas:` at the top); raises ConfigError naming every problem."""
    doc = load_yaml(text, source)
    reader = Reader(source)
    found: dict[str, EventSchema] = {}
    if reader.line_mapping(doc, 1, "", ("schemas",), ("schemas",)) and "schemas" in doc:
        found = read_section(reader, doc["schemas"], doc.lines["schemas"], base, guard)
    reader.raise_if_any()
    return found


def load_schemas(path: str | PathLike[str], base: Catalogue, guard: Guard | None) -> Catalogue:
    """`base` extended by the types a schemas file adds."""
    return base.extended(parse_schemas(read_text(path, "schemas"), str(path), base, guard))
