"""What is in force, hashed (RS-15): every rule, zone and event schema as its id and the SHA-256 of a canonical
form, so a definition repurposed under the same id shows as a new hash in the export and to the witness.

The configuration is recorded in the audit log (`configuration-recorded`, a full snapshot of the hashes) whenever
it differs from the last record, so the signed checkpoints cover every version that was ever in force.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fairwatch.audit import canonical_json
from fairwatch.model import AuditRecord
from fairwatch.rules import Rule
from fairwatch.site import Site

RECORDED = "configuration-recorded"
OBJECT = "configuration"
SECTIONS = ("rules", "zones", "event_schemas")
# Fields that say where a definition sits or how it was compiled, not what it means.
_SKIP = frozenset({"index", "getters", "get", "test", "shape", "scope", "rest"})

Hashes = dict[str, dict[str, str]]  # section -> id -> sha256


def plain(value: Any) -> Any:
    """A JSON-able canonical form of a compiled definition: dataclass fields by name (compiled ones left out),
    enums by value, tuples as lists, geometry as its coordinates."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.compare and f.name not in _SKIP
        }
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = [plain(v) for v in value]
        return sorted(items, key=canonical_json) if isinstance(value, frozenset | set) else items
    if value is None or isinstance(value, str | int | float | bool):
        return value
    # Deterministic whatever comes: a repr could hold a memory address and change the hash at every start.
    # tests/transparency/test_transparency_definitions.py keeps every rule form free of this fallback.
    return f"<{type(value).__name__}>"


def digest(definition: Any) -> str:
    """SHA-256 of the canonical JSON of a definition's canonical form."""
    return hashlib.sha256(canonical_json(plain(definition))).hexdigest()


def type_digest(definition: Mapping[str, Any]) -> str:
    """SHA-256 of a published alarm type without its status: what it means, not whether it is in use."""
    return digest({k: v for k, v in definition.items() if k not in ("status", "sha256")})


def in_force(rules: Sequence[Rule], site: Site | None, schemas: Mapping[str, Any] | None = None) -> Hashes:
    """The hashes of the rules, zones and event schemas in force.

    Without declared event schemas, the schemas in force are the event types the rules listen to (each hashed by
    its name alone, so a rule that starts to listen to another type shows up as a new schema)."""
    if schemas is None:
        used = sorted({t for rule in rules for t in rule.event_types()})
        schemas = {t: {"type": t, "fields": "undeclared"} for t in used}
    return {
        "rules": {rule.id: digest(rule) for rule in rules},
        "zones": {zone.id: digest(zone) for zone in (site.zones if site is not None else ())},
        "event_schemas": {str(t): digest(s) for t, s in schemas.items()},
    }


def last_recorded(records: Iterable[AuditRecord]) -> Hashes | None:
    """The newest `configuration-recorded` snapshot among `records`, or None."""
    found: Hashes | None = None
    for record in records:
        if record.action == RECORDED:
            found = {
                s: {str(k): str(v) for k, v in dict(record.details.get(s) or {}).items()} for s in SECTIONS
            }
    return found


def published(hashes: Hashes) -> dict[str, list[dict[str, str]]]:
    """The export's form: per section, `{"id", "sha256"}` sorted by id."""
    return {s: [{"id": i, "sha256": h} for i, h in sorted(hashes.get(s, {}).items())] for s in SECTIONS}
