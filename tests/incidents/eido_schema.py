"""A validator for NENA EIDO documents over the vendored schema (standards/eido/, see its SOURCE.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT7

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "standards" / "eido" / "Schema"
BASE = "https://eido.invalid/Schema/"


def _fix_typos(node: Any) -> Any:
    """Upstream's `minItems: 1,` (openapi.yaml line 218) is read by YAML as the string "1,"; it means 1."""
    if isinstance(node, dict):
        return {
            k: (int(v.rstrip(",")) if k == "minItems" and isinstance(v, str) else _fix_typos(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_fix_typos(v) for v in node]
    return node


def eido_validator() -> Draft7Validator:
    """Validates against `#/components/schemas/EmergencyIncidentDataObjectType` with every $ref resolved."""
    registry: Registry[Any] = Registry()
    files = [SCHEMA_DIR / "openapi.yaml", *sorted((SCHEMA_DIR / "NIEMComponents").glob("*.yaml"))]
    for path in files:
        contents = _fix_typos(yaml.safe_load(path.read_text(encoding="utf-8")))
        rel = path.relative_to(SCHEMA_DIR).as_posix()
        resource = DRAFT7.create_resource(contents)
        registry = registry.with_resource(BASE + rel, resource)
        if rel.startswith("NIEMComponents/"):  # one upstream $ref reads NIEMComponents//j.yaml
            registry = registry.with_resource(BASE + rel.replace("/", "//", 1), resource)
    root = {"$ref": BASE + "openapi.yaml#/components/schemas/EmergencyIncidentDataObjectType"}
    return Draft7Validator(root, registry=registry, format_checker=FormatChecker())
