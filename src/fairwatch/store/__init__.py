"""The system of record: events, alarms, audit log, tokens and users behind the `Store` protocol (SQLite, PostgreSQL)."""

from fairwatch.store.base import (
    AlarmLinks,
    AlarmQuery,
    Occurrence,
    Session,
    Store,
    StoredCheckpoint,
    TokenInfo,
    Txn,
    User,
)
from fairwatch.store.sql import SqlStore, sqlite_url

__all__ = [
    "AlarmLinks",
    "AlarmQuery",
    "Occurrence",
    "Session",
    "SqlStore",
    "Store",
    "StoredCheckpoint",
    "TokenInfo",
    "Txn",
    "User",
    "sqlite_url",
]
