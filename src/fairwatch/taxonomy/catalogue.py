"""The runtime taxonomy: the built-in catalogue (catalogue.yaml) plus site additions; never deletes a type."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from fairwatch.errors import ConfigError, NotFound
from fairwatch.taxonomy.builtin import builtin_types
from fairwatch.taxonomy.check import check_taxonomy_file, refuse, screen
from fairwatch.taxonomy.model import AlarmType


class Taxonomy:
    """Every alarm type ever defined, by id; immutable (each change returns a new Taxonomy)."""

    __slots__ = ("_types",)

    def __init__(self, types: Mapping[str, AlarmType]) -> None:
        self._types = dict(types)

    @classmethod
    def builtin(cls) -> Taxonomy:
        """The built-in catalogue; refused like any other definition if the guard rejects it (RS-9)."""
        types = builtin_types()
        rejected = [r for r in map(screen, types) if r is not None]
        if rejected:
            raise refuse(rejected)
        return cls({t.id: t for t in types})

    @classmethod
    def from_file(cls, path: str | Path) -> Taxonomy:
        """The built-in catalogue plus the site additions in `path`."""
        return cls.builtin().with_additions(load_additions(path))

    def with_additions(self, types: Iterable[AlarmType]) -> Taxonomy:
        """A taxonomy with `types` added; each passes the rights guard or the whole call is refused."""
        added = list(types)
        rejected = [r for r in map(screen, added) if r is not None]
        if rejected:
            raise refuse(rejected)
        merged = dict(self._types)
        errors = []
        for alarm_type in added:
            if alarm_type.id in merged:
                errors.append(f"type '{alarm_type.id}' is already defined ({merged[alarm_type.id].origin})")
            merged[alarm_type.id] = alarm_type
        if errors:
            raise ConfigError(errors)
        return Taxonomy(merged)

    def retire(self, type_id: str) -> Taxonomy:
        """A taxonomy in which `type_id` is a tombstone (status "retired"); it is never deleted."""
        current = self._types.get(type_id)
        if current is None:
            raise NotFound(f"no alarm type '{type_id}'")
        return Taxonomy({**self._types, type_id: replace(current, status="retired")})

    def get(self, type_id: str) -> AlarmType | None:
        """The type, tombstones included; None if it was never defined."""
        return self._types.get(type_id)

    def is_active(self, type_id: str) -> bool:
        """True if the type exists and is not retired: only active types may be raised."""
        found = self._types.get(type_id)
        return found is not None and found.active

    def all(self) -> list[AlarmType]:
        """Every type ever defined, tombstones included, built-in first then site additions."""
        return list(self._types.values())

    def active(self) -> list[AlarmType]:
        """Types that may be raised."""
        return [t for t in self._types.values() if t.active]

    def __contains__(self, type_id: object) -> bool:
        return type_id in self._types

    def __len__(self) -> int:
        return len(self._types)


def load_additions(path: str | Path) -> list[AlarmType]:
    """Site additions from a file: ConfigError if malformed, PolicyViolation if any type is refused."""
    result = check_taxonomy_file(path)
    if result.rejected:
        raise refuse(result.rejected)
    return list(result.accepted)
