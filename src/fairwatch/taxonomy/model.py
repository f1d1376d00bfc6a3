"""Alarm types: what an alarm is about, in a closed hazard class, with a CAP 1.2 category."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fairwatch.model import Severity

# CAP 1.2 <category> values, in the order the standard lists them.
CAP_CATEGORIES: tuple[str, ...] = (
    "Geo",
    "Met",
    "Safety",
    "Security",
    "Rescue",
    "Fire",
    "Health",
    "Env",
    "Transport",
    "Infra",
    "CBRNE",
    "Other",
)
STATUSES: tuple[str, ...] = ("active", "retired")
Status = Literal["active", "retired"]
Origin = Literal["builtin", "site"]


@dataclass(frozen=True, slots=True)
class AlarmType:
    """One alarm type. Types are never deleted: a retired type stays as a tombstone."""

    id: str  # <hazard_class>.<name>
    names: Mapping[str, str]  # language code -> display name
    description: str
    severity: Severity
    hazard_class: str
    cap_category: str
    status: Status = "active"
    origin: Origin = "builtin"

    def __hash__(self) -> int:
        return hash((self.id, self.status, self.origin))

    @property
    def active(self) -> bool:
        """False for a tombstone."""
        return self.status == "active"

    def name(self, lang: str = "en") -> str:
        """The name in `lang`, else English, else the first one given."""
        return self.names.get(lang) or self.names.get("en") or next(iter(self.names.values()))

    def texts(self) -> list[tuple[str, str]]:
        """(field, text) for every text the rights guard reads: id, each name, description."""
        return [
            ("id", self.id),
            *((f"names.{k}", v) for k, v in self.names.items()),
            ("description", self.description),
        ]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, as published in the public taxonomy (RS-7)."""
        return {
            "id": self.id,
            "names": dict(self.names),
            "description": self.description,
            "severity": str(self.severity),
            "hazard_class": self.hazard_class,
            "cap_category": self.cap_category,
            "status": self.status,
            "origin": self.origin,
        }
