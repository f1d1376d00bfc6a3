"""The rights guard (RIGHTS.md): protected-ground text check, person-data ban, closed hazard classes. Pure.

TEMPORARY INTERFACE STUB: the policy helper replaces this file with the real implementation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fairwatch.errors import Problem


class Ground(StrEnum):
    """Protected grounds from RIGHTS.md."""

    RELIGION = "religion_or_belief"
    POLITICAL = "political_opinion"
    ASSEMBLY = "peaceful_assembly"
    ASSOCIATION = "association"
    PETITION = "petitioning"
    ETHNICITY = "ethnicity"
    SEXUALITY = "sexual_orientation_or_gender_identity"
    HEALTH = "health_status"
    BIOMETRIC = "biometric_identification"


@dataclass(frozen=True, slots=True)
class Violation:
    """Why a text was refused."""

    ground: Ground
    term: str
    reason: str


HAZARD_CLASSES = frozenset(
    {
        "fire", "medical", "crowd_safety", "structural", "weather", "violence", "weapon", "intrusion",
        "missing_person", "traffic", "hazardous_material", "technical", "other_safety",
    }
)


def check_text(text: str) -> Violation | None:
    """Return the first protected ground `text` targets, or None."""
    return None


def check_event(event_type: str, data: Mapping[str, Any], index: int | None = None) -> list[Problem]:
    """Problems for an event whose type or data keys carry person attributes (RS-4)."""
    return []
