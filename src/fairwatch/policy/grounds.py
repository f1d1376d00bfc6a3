"""The protected grounds, what a refusal says, and the closed list of hazard classes (RIGHTS.md RS-1, RS-2)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

POLICY_VERSION = "2026.12.1"


class Ground(StrEnum):
    """Protected grounds from RIGHTS.md, plus person profiling from RS-4."""

    RELIGION = "religion_or_belief"
    POLITICAL = "political_opinion"
    ASSEMBLY = "peaceful_assembly"
    ASSOCIATION = "association"
    PETITION = "petitioning"
    ETHNICITY = "ethnicity"
    SEXUALITY = "sexual_orientation_or_gender_identity"
    HEALTH = "health_status"
    BIOMETRIC = "biometric_identification"
    PROFILING = "person_profiling"


# What a refusal on each ground says; kept short because it ends up on one CLI line.
GROUND_REASONS: dict[Ground, str] = {
    Ground.RELIGION: "targets people for their religion or belief",
    Ground.POLITICAL: "targets political opinion or expression",
    Ground.ASSEMBLY: "targets peaceful assembly",
    Ground.ASSOCIATION: "targets association or trade union activity",
    Ground.PETITION: "targets petitioning the authorities",
    Ground.ETHNICITY: "targets ethnicity, race or national origin",
    Ground.SEXUALITY: "targets sexual orientation or gender identity",
    Ground.HEALTH: "profiles health status as a person attribute",
    Ground.BIOMETRIC: "identifies or categorises people biometrically",
    Ground.PROFILING: "scores or profiles individual people",
}


@dataclass(frozen=True, slots=True)
class Violation:
    """Why a text was refused: the ground, the lexicon term as written there, and a short reason."""

    ground: Ground
    term: str
    reason: str


# RS-1: closed and versioned with POLICY_VERSION. There is deliberately no class for assemblies,
# beliefs, opinions, associations or petitions, and no configuration can add one.
HAZARD_CLASSES = frozenset(
    {
        "fire",
        "medical",
        "crowd_safety",
        "structural",
        "weather",
        "violence",
        "weapon",
        "intrusion",
        "missing_person",
        "traffic",
        "hazardous_material",
        "technical",
        "other_safety",
    }
)

# The same classes in the order messages and documentation list them.
HAZARD_CLASS_ORDER: tuple[str, ...] = (
    "fire",
    "medical",
    "crowd_safety",
    "structural",
    "weather",
    "violence",
    "weapon",
    "intrusion",
    "missing_person",
    "traffic",
    "hazardous_material",
    "technical",
    "other_safety",
)
