"""The rows the store keeps besides events and alarms (model/): plain frozen data, no behaviour.

Notification, CAP message, silence and session rows belong to notify/ and console/, which sit above `store`; the
store has to build them from its tables, so they are defined here (docs/architecture.md, "Stores")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fairwatch.audit import Checkpoint
from fairwatch.model import Role


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One rule decision recorded against an alarm: the evidence operators see."""

    alarm_id: int
    time: float
    kind: str
    reason: str
    value: float | None
    event_ids: tuple[str, ...]
    explanation: str


# Audit records that carry people's narrative about an alarm, and the detail keys that hold it: what free-text
# search reads as an alarm's "comments" (a comment, a resolution note, a reopen or shelve reason).
NARRATIVE_ACTIONS = ("alarm-commented", "alarm-resolved", "alarm-reopened", "alarm-shelved")
NARRATIVE_KEYS = ("text", "note", "reason")


@dataclass(frozen=True, slots=True)
class TextSearch:
    """Free-text search: every word must be found (case-insensitive substring) in the alarm's type, zone,
    sources, explanation or narrative records, or name one of the types/zones the caller found by display name
    (`types[i]`/`zones[i]` belong to `words[i]`)."""

    words: tuple[str, ...]
    types: tuple[frozenset[str], ...] = ()
    zones: tuple[frozenset[str], ...] = ()

    def names_for(self, index: int) -> tuple[frozenset[str], frozenset[str]]:
        """The type ids and zone ids found by display name for word `index`."""
        empty: frozenset[str] = frozenset()
        types = self.types[index] if index < len(self.types) else empty
        zones = self.zones[index] if index < len(self.zones) else empty
        return types, zones


@dataclass(frozen=True, slots=True)
class AlarmQuery:
    """Filters for listing alarms; None means any."""

    states: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    active: bool | None = None
    since: float | None = None  # last seen at or after
    until: float | None = None  # first seen at or before
    search: TextSearch | None = None
    limit: int = 100
    after: tuple[int, float, int] | None = (
        None  # cursor: (severity_rank, -first_seen, id) of the last row seen
    )
    children: bool = True  # False: leave out flood children whose parent is not resolved (alarms/flood.py)


@dataclass(frozen=True, slots=True)
class Shelf:
    """A shelved alarm's shelf (ISA-18.2): since when, until when, by whom and why (alarms/shelving.py)."""

    alarm_id: int
    since: float
    until: float
    actor: str
    reason: str


@dataclass(frozen=True, slots=True)
class AlarmLinks:
    """An alarm's place in a flood group: the parent it was grouped under, and how many children it has."""

    parent_id: int | None = None
    children: int = 0


@dataclass(slots=True)
class User:
    """A console user; the password is only ever held as an argon2id hash."""

    name: str
    role: Role
    password_hash: str
    created: float
    disabled: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An API token as listed to admins: never its secret or hash."""

    id: int
    name: str
    role: Role
    created: float
    revoked: float | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """A console session; the session id itself is never stored, only its SHA-256 (`id_hash`)."""

    id_hash: str
    user: str
    created: float
    last_seen: float


@dataclass(frozen=True, slots=True)
class Kiosk:
    """A wall display's long-lived read-only session (access.py): claimed once through a one-time link (only the
    link code's and the session id's SHA-256 are stored), not ended by idleness, ended by revocation or `expires`."""

    name: str
    created: float
    created_by: str
    expires: float
    link_hash: str | None  # None once the link was used
    link_expires: float
    session_hash: str | None = None  # set when the link is used
    revoked: float | None = None


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A signed checkpoint plus what extends it: the hash of record `size` and the CompactRange roots."""

    checkpoint: Checkpoint
    last_hash: str  # chain hash of record seq == checkpoint.size ("0" * 64 for size 0)
    compact: tuple[bytes, ...]  # CompactRange.hashes at checkpoint.size


@dataclass(frozen=True, slots=True)
class Notification:
    """One delivery of one alarm change to one receiver, as the notification log holds it."""

    key: str  # idempotency key: alarm id, version, receiver (and reminder number)
    alarm_id: int
    version: int
    receiver: str
    channel: str
    kind: str  # the alarm change kind, or "reminder"
    payload: dict[str, Any]
    status: str = "pending"  # pending | delivered | failed | silenced (logged, never sent)
    attempts: int = 0
    next_attempt: float = 0.0
    last_error: str | None = None
    created: float = 0.0
    updated: float = 0.0
    id: int = 0


@dataclass(frozen=True, slots=True)
class CapMessage:
    """A CAP 1.2 message as issued for an alarm; `xml` is the exact document."""

    identifier: str
    alarm_id: int
    version: int
    msg_type: str  # Alert | Update | Cancel
    sent: float
    severity: str
    site: str | None
    zone: str | None
    public: bool
    xml: str


@dataclass(frozen=True, slots=True)
class Silence:
    """A silence as stored: alarms its matchers select are not notified from `starts_at` until `ends_at`."""

    matchers: dict[str, Any]
    starts_at: float
    ends_at: float
    reason: str
    created_by: str
    created_at: float
    expired_at: float | None = None  # when its end was handled; None while pending or active
    expired_by: str | None = None
    id: int = 0
