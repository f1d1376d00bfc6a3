"""The storage seams the core depends on. `SqlStore` implements them for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from fairwatch.audit import Checkpoint
from fairwatch.model import Alarm, AuditEntry, AuditRecord, Event, Role


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


@dataclass(frozen=True, slots=True)
class AlarmQuery:
    """Filters for listing alarms; None means any."""

    states: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    active: bool | None = None
    since: float | None = None
    limit: int = 100
    after: tuple[int, float, int] | None = (
        None  # cursor: (severity_rank, -first_seen, id) of the last row seen
    )
    children: bool = True  # False: leave out flood children whose parent is not resolved (alarms/flood.py)


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


class Txn(Protocol):
    """Writes inside one transaction; everything commits or nothing does."""

    def existing_event_keys(self, keys: Sequence[tuple[str, str]]) -> set[tuple[str, str]]: ...
    def insert_events(self, events: Sequence[Event]) -> None: ...
    def insert_alarm(self, alarm: Alarm) -> int: ...
    def update_alarm(self, alarm: Alarm) -> None: ...
    def get_alarm(self, alarm_id: int) -> Alarm | None: ...
    def open_alarm_for_key(self, key: str) -> Alarm | None: ...
    def set_alarm_parent(self, alarm_id: int, parent_id: int) -> None: ...
    def parent_of(self, alarm_id: int) -> int | None: ...
    def children_of(self, parent_id: int) -> list[Alarm]: ...
    def insert_occurrences(self, rows: Sequence[Occurrence]) -> None: ...
    def append_audit(self, entry: AuditEntry) -> AuditRecord: ...
    def insert_token(self, name: str, role: Role, token_hash: str, now: float) -> int: ...
    def upsert_user(self, user: User) -> None: ...
    def revoke_tokens(self, name: str, now: float) -> list[str]: ...  # hashes of the tokens revoked
    def set_user_disabled(self, name: str, disabled: bool) -> bool: ...  # False: no such user
    def delete_user_sessions(self, name: str) -> int: ...
    def delete_events_before(self, when: float) -> int: ...
    def delete_resolved_alarms_before(self, when: float) -> int: ...
    def set_kv(self, key: str, value: str) -> None: ...
    def insert_checkpoint(self, stored: StoredCheckpoint) -> None: ...
    def insert_session(self, session: Session) -> None: ...
    def touch_session(self, id_hash: str, now: float) -> None: ...
    def delete_session(self, id_hash: str) -> int: ...
    def delete_sessions_before(self, idle_before: float, created_before: float) -> int: ...
    # notification log and CAP messages (notify/)
    def insert_notifications(self, rows: Sequence[Notification]) -> int: ...
    def update_notifications(self, rows: Sequence[Notification]) -> None: ...
    def cap_messages_for(self, alarm_id: int) -> list[CapMessage]: ...
    def insert_cap_message(self, message: CapMessage) -> bool: ...
    def delete_notifications_before(self, when: float) -> int: ...
    # silences (notify/silences.py)
    def insert_silence(self, silence: Silence) -> int: ...
    def expire_silence(self, silence_id: int, ends_at: float, expired_at: float, expired_by: str) -> bool: ...


class Store(Protocol):
    """The system of record: events, alarms, audit, tokens, users."""

    def transaction(self) -> AbstractContextManager[Txn]: ...
    def group_transaction(self) -> AbstractAsyncContextManager[Txn]: ...
    def open_alarms(self) -> list[Alarm]: ...
    def list_alarms(self, query: AlarmQuery) -> list[Alarm]: ...
    def get_alarm(self, alarm_id: int) -> Alarm | None: ...
    def alarm_links(self, alarm_ids: Sequence[int]) -> dict[int, AlarmLinks]: ...
    def children_of(self, parent_id: int) -> list[Alarm]: ...
    def occurrences(self, alarm_id: int, limit: int = 100) -> list[Occurrence]: ...
    def events_by_ids(self, ids: Sequence[str]) -> list[Event]: ...
    def history(self, obj: str) -> list[AuditRecord]: ...
    def iter_audit(self, start_seq: int = 1) -> Iterator[AuditRecord]: ...
    def audit_head(self) -> AuditRecord | None: ...
    def iter_events(self, since: float | None = None, until: float | None = None) -> Iterator[Event]: ...
    def count_events(self) -> int: ...
    def token_role(self, token_hash: str) -> Role | None: ...
    def get_user(self, name: str) -> User | None: ...
    def list_users(self) -> list[User]: ...
    def list_tokens(self) -> list[TokenInfo]: ...
    def get_kv(self, key: str) -> str | None: ...
    def latest_checkpoint(self) -> StoredCheckpoint | None: ...
    def audit_hashes(self, start_seq: int, end_seq: int) -> Iterator[tuple[int, str]]: ...
    def count_events_before(self, when: float) -> int: ...
    def count_resolved_alarms_before(self, when: float) -> int: ...
    def integrity_problems(self) -> list[str]: ...
    def get_session(self, id_hash: str) -> Session | None: ...
    def audit_since(self, since: float, limit: int = 5000) -> list[AuditRecord]: ...
    def history_since(self, obj: str, since: float) -> list[AuditRecord]: ...
    # notification log and CAP messages (notify/)
    def due_notifications(self, now: float, limit: int = 100) -> list[Notification]: ...
    def notifications_for(self, alarm_id: int) -> list[Notification]: ...
    def last_notified(self, alarm_ids: Sequence[int]) -> dict[tuple[int, str], float]: ...
    def cap_messages(self, alarm_id: int) -> list[CapMessage]: ...
    def cap_message(self, identifier: str) -> CapMessage | None: ...
    def recent_cap_messages(self, limit: int = 100) -> list[CapMessage]: ...
    # silences (notify/silences.py)
    def silences(self, limit: int = 500) -> list[Silence]: ...
    def live_silences(self) -> list[Silence]: ...
    def get_silence(self, silence_id: int) -> Silence | None: ...
    def ping(self) -> bool: ...
    def close(self) -> None: ...
