"""The built-in catalogue (catalogue.yaml), read once from the package."""

from __future__ import annotations

from functools import cache
from importlib import resources

from fairwatch.taxonomy.model import AlarmType
from fairwatch.taxonomy.parse import read_entries

CATALOGUE = "catalogue.yaml"


@cache
def builtin_types() -> tuple[AlarmType, ...]:
    """Every built-in type, in catalogue order."""
    text = resources.files("fairwatch.taxonomy").joinpath(CATALOGUE).read_text("utf-8")
    return tuple(entry.type for entry in read_entries(text, CATALOGUE, origin="builtin"))


@cache
def builtin_ids() -> frozenset[str]:
    """Ids of the built-in catalogue."""
    return frozenset(t.id for t in builtin_types())
