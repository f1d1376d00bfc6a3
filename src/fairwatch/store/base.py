"""`Store` and `Txn`: the union of the consumers' protocols (store/seams.py) that every back end implements.

`SqlStore` (SQLite, PostgreSQL) and `MemoryStore` implement them and pass the same contract suite.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Protocol

from fairwatch.model import Alarm
from fairwatch.store.rows import (
    AlarmLinks,
    AlarmQuery,
    CapMessage,
    Notification,
    Occurrence,
    Session,
    Silence,
    StoredCheckpoint,
    User,
)
from fairwatch.store.seams import (
    AccessTxn,
    AlarmReads,
    AlarmTxn,
    CapReads,
    CapTxn,
    CheckpointTxn,
    EventReads,
    EventTxn,
    IncidentReads,
    IncidentTxn,
    NotificationReads,
    NotificationTxn,
    PhotoReads,
    PhotoTxn,
    RetentionTxn,
    SessionReads,
    SessionTxn,
    ShortRetentionTxn,
    SilenceReads,
    SilenceTxn,
    TransparencyReads,
    UnitReads,
    UnitTxn,
    WelfareReads,
    WelfareTxn,
)

__all__ = [
    "AlarmLinks",
    "AlarmQuery",
    "CapMessage",
    "Notification",
    "Occurrence",
    "Session",
    "Silence",
    "Store",
    "StoredCheckpoint",
    "Txn",
    "User",
    "check_version_step",
]


class Txn(
    EventTxn,
    AlarmTxn,
    AccessTxn,
    SessionTxn,
    NotificationTxn,
    CapTxn,
    SilenceTxn,
    RetentionTxn,
    CheckpointTxn,
    IncidentTxn,
    UnitTxn,
    WelfareTxn,
    PhotoTxn,
    ShortRetentionTxn,
    Protocol,
):
    """Every write, inside one transaction; everything commits or nothing does."""


class Store(
    AlarmReads,
    EventReads,
    SessionReads,
    TransparencyReads,
    NotificationReads,
    CapReads,
    SilenceReads,
    IncidentReads,
    UnitReads,
    WelfareReads,
    PhotoReads,
    Protocol,
):
    """The system of record: transactions for writes, and every read."""

    def transaction(self) -> AbstractContextManager[Txn]: ...
    def group_transaction(self) -> AbstractAsyncContextManager[Txn]: ...
    def ping(self) -> bool: ...
    def close(self) -> None: ...


def check_version_step(alarm: Alarm, expected_version: int) -> None:
    """Refuse an alarm update that does not move its version forward (a caller bug, not a race)."""
    if alarm.version <= expected_version:
        raise ValueError(
            f"alarm {alarm.id}: an update must raise the version (expected {expected_version}, "
            f"new {alarm.version})"
        )
