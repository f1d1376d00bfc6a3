"""Plain data the whole system shares: events, decisions, alarms, audit records, roles. No behaviour, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any


class Severity(StrEnum):
    """Alarm severity; `rank` orders them, 0 is the most severe."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class AlarmState(StrEnum):
    """Where an alarm is in its handling; separate from whether its condition is `active`."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    SHELVED = "shelved"  # ISA-18.2 shelving: out of the active queue until a time, then OPEN again (alarms/shelving.py)
    RESOLVED = "resolved"


class Disposition(StrEnum):
    """Why an alarm was resolved."""

    HANDLED = "handled"
    FALSE_ALARM = "false_alarm"
    DUPLICATE = "duplicate"
    TEST = "test"


class Role(StrEnum):
    """Who may do what; each role may do everything the roles before it may (named permissions aside, see
    `access.PERMISSIONS`: welfare cases are for `welfare`, supervisors and admins, not for operators)."""

    DEVICE = "device"
    STEWARD = (
        "steward"  # field staff on a phone (the /field app): their unit's reports, status and assignments
    )
    VIEWER = "viewer"
    WELFARE = "welfare"  # welfare staff: read like a viewer, plus welfare cases (access.Permission.WELFARE)
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]

    def allows(self, needed: Role) -> bool:
        return self.rank >= needed.rank


_ROLE_RANK = {r: i for i, r in enumerate(Role)}


@dataclass(frozen=True, slots=True)
class Location:
    """A point: metres on the site plan (x, y) or WGS84 (lat, lon). Exactly one pair is set."""

    x: float | None = None
    y: float | None = None
    lat: float | None = None
    lon: float | None = None

    def as_dict(self) -> dict[str, float]:
        if self.lat is not None and self.lon is not None:
            return {"lat": self.lat, "lon": self.lon}
        assert self.x is not None and self.y is not None
        return {"x": self.x, "y": self.y}


@dataclass(frozen=True, slots=True)
class Event:
    """Something a device or a person reported. `time` and `received` are Unix seconds."""

    id: str
    source: str
    type: str
    time: float
    received: float
    site: str | None = None
    zone: str | None = None
    value: float | None = None
    location: Location | None = None
    data: dict[str, Any] = field(default_factory=dict)


class DecisionKind(Enum):
    """What a rule decided about an alarm key."""

    RAISE = "raise"  # condition present: open a new alarm or count a repeat on the open one
    CLEAR = "clear"  # condition returned to normal


class Reason(StrEnum):
    """Why a rule decided what it did; named in logs, audit records and tests."""

    THRESHOLD = "threshold"  # a single matching event
    HELD = "held"  # condition held continuously for `for`
    COUNT = "count"  # enough matching events within a window
    CORRELATED = "correlated"  # all parts of an `all` condition seen within the window
    ABSENT = "absent"  # an expected event did not arrive in time
    CLEARED = "cleared"  # the clear condition held
    RETURNED = "returned"  # an absent source reported again


@dataclass(frozen=True, slots=True)
class Decision:
    """A rule's verdict for one alarm key at one moment."""

    kind: DecisionKind
    reason: Reason
    rule: str
    alarm_type: str
    severity: Severity
    key: str  # dedup key: rule id + group values
    group: dict[str, str]
    time: float
    event_ids: tuple[str, ...] = ()
    zone: str | None = None
    site: str | None = None
    value: float | None = None
    explanation: str = ""
    # Corroboration (`all`/`any` rules): the independent sources that confirmed it and the CAP certainty
    # they support (Observed, Likely, Possible); empty for other kinds of rule.
    sources: tuple[str, ...] = ()
    certainty: str = ""


@dataclass(frozen=True, slots=True)
class Alarm:
    """One alarm: an open alarm per dedup key; resolved ones stay for history. Changes make a new value
    (`dataclasses.replace`); `group` and `sources` are never changed in place either."""

    id: int
    key: str
    rule: str
    type: str
    severity: Severity
    state: AlarmState
    active: bool
    site: str | None
    zone: str | None
    group: dict[str, str]
    count: int
    first_seen: float
    last_seen: float
    assignee: str | None = None
    disposition: Disposition | None = None
    updated: float = 0.0
    version: int = 1
    explanation: str = ""
    sources: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """An audit record before it is chained: who did what to which object."""

    time: float
    actor: str
    action: str  # kebab-case, e.g. alarm-acknowledged
    object: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """A chained audit record: `hash = SHA-256(prev_hash || canonical JSON of the rest)`."""

    seq: int
    time: float
    actor: str
    action: str
    object: str
    details: dict[str, Any]
    prev_hash: str
    hash: str
