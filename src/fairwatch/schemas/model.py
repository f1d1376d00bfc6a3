"""Event schemas as runtime objects (RIGHTS.md RS-10): what each event type may carry, and nothing else.

A field is a number with a unit, a boolean, a closed enum, or narrative: free text a person wrote, stored with
the event but never evaluated by rules and never exported. An event's `value` is allowed only when its schema
declares a unit for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class Kind(StrEnum):
    """What a declared field holds."""

    NUMBER = "number"
    BOOLEAN = "boolean"
    ENUM = "enum"
    NARRATIVE = "narrative"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One declared `data` field: `unit` for numbers, `values` for enums."""

    name: str
    kind: Kind
    unit: str = ""
    values: tuple[str, ...] = ()

    @property
    def measurement(self) -> bool:
        """True for what rules may see: numbers, booleans and enums (never narrative)."""
        return self.kind is not Kind.NARRATIVE

    def describe(self) -> str:
        """`number (persons/m2)`, `boolean`, `enum (open, closed)` or `narrative`."""
        if self.kind is Kind.NUMBER:
            return f"number ({self.unit})"
        if self.kind is Kind.ENUM:
            return f"enum ({', '.join(self.values)})"
        return str(self.kind)


@dataclass(frozen=True, slots=True)
class EventSchema:
    """An event type's declaration: the unit of its `value` (empty: no value) and its `data` fields."""

    type: str
    value_unit: str = ""
    fields: Mapping[str, FieldSpec] = field(default_factory=dict)

    def declared(self, *, measurements_only: bool = False) -> str:
        """The declared field names for messages: `a, b` or `none`."""
        names = [n for n, f in self.fields.items() if f.measurement or not measurements_only]
        return ", ".join(sorted(names)) or "none"

    def as_dict(self) -> dict[str, object]:
        """A plain, canonical form (for hashing and the transparency export)."""
        fields: dict[str, object] = {}
        for name, spec in sorted(self.fields.items()):
            item: dict[str, object] = {"kind": str(spec.kind)}
            if spec.unit:
                item["unit"] = spec.unit
            if spec.values:
                item["values"] = list(spec.values)
            fields[name] = item
        return {"type": self.type, "value": self.value_unit or None, "data": fields}


class Catalogue(Mapping[str, EventSchema]):
    """The event types in force, by name; build it with `schemas.builtin()` and `Catalogue.extended`."""

    def __init__(self, schemas: Mapping[str, EventSchema]) -> None:
        self._schemas = MappingProxyType(dict(schemas))

    def __getitem__(self, name: str) -> EventSchema:
        return self._schemas[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._schemas)

    def __len__(self) -> int:
        return len(self._schemas)

    def extended(self, more: Mapping[str, EventSchema]) -> Catalogue:
        """This catalogue with `more` added (the readers refuse redefinitions before this is called)."""
        return Catalogue({**self._schemas, **more})

    def as_dict(self) -> dict[str, dict[str, object]]:
        """Every schema in its canonical form, by type."""
        return {name: self._schemas[name].as_dict() for name in sorted(self._schemas)}
