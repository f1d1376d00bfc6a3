"""The closed lists of the incident record, log and tasks."""

from __future__ import annotations

from enum import StrEnum


class IncidentState(StrEnum):
    OPEN = "open"
    ON_HOLD = "on_hold"
    CLOSED = "closed"


class Disposition(StrEnum):
    """How an incident was closed."""

    RESOLVED = "resolved"
    FALSE_ALARM = "false_alarm"
    DUPLICATE = "duplicate"
    NO_ACTION = "no_action"
    HANDED_OVER = "handed_over"


class MajorIncident(StrEnum):
    """Major-incident status: declared by the lead agency, stood down when it is over."""

    NONE = "none"
    STANDBY = "standby"
    DECLARED = "declared"
    STAND_DOWN = "stand_down"


class LogKind(StrEnum):
    NOTE = "note"
    RADIO = "radio"
    PHONE = "phone"
    DECISION = "decision"
    METHANE = "methane"
    STATUS = "status"
    SYSTEM = "system"
    CORRECTION = "correction"


class TaskState(StrEnum):
    TODO = "todo"
    DOING = "doing"
    DONE = "done"
    SKIPPED = "skipped"


# The seven M/ETHANE fields (JESIP): Major incident, Exact location, Type, Hazards, Access, Number of casualties,
# Emergency services present and required.
METHANE_FIELDS = (
    "major_incident",
    "exact_location",
    "type_of_incident",
    "hazards",
    "access",
    "casualties",
    "emergency_services",
)
