"""The closed lists of a welfare case. Bands are coarse on purpose: enough to look for a person, too coarse to
identify one; there is no list of colours, garments, skin, hair or faces (clothing is narrative text)."""

from __future__ import annotations

from enum import StrEnum


class CaseKind(StrEnum):
    MISSING_PERSON = "missing_person"  # someone is looking for a person
    FOUND_PERSON = "found_person"  # a person (often a child) was found without their carer


class CaseState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class AgeBand(StrEnum):
    UNDER_5 = "under_5"
    AGE_5_TO_8 = "5_to_8"
    AGE_9_TO_12 = "9_to_12"
    AGE_13_TO_17 = "13_to_17"
    ADULT = "adult"
    OLDER_ADULT = "older_adult"
    UNKNOWN = "unknown"


class HeightBand(StrEnum):
    UNDER_100CM = "under_100cm"
    CM_100_TO_130 = "100_to_130cm"
    CM_130_TO_160 = "130_to_160cm"
    CM_160_TO_180 = "160_to_180cm"
    OVER_180CM = "over_180cm"
    UNKNOWN = "unknown"


# The escalation alarm: a type of the built-in catalogue (hazard class missing_person), routed to the police
# liaison by the deployment's notification routes (docs/welfare.md).
ESCALATION_TYPE = "missing_person.case_escalated"
ESCALATION_RULE = "welfare-escalation"
