"""Tables, in portable SQLAlchemy Core, shared by every SQL back end (SQLite, PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

# An integer primary key that is a rowid alias on SQLite and a BIGSERIAL on PostgreSQL.
_BigPK = BigInteger().with_variant(Integer(), "sqlite")

events = Table(
    "events",
    metadata,
    Column("seq", _BigPK, primary_key=True, autoincrement=True),
    Column("eid", String(128), nullable=False),
    Column("source", String(128), nullable=False),
    Column("type", String(128), nullable=False),
    Column("time", Float, nullable=False),
    Column("received", Float, nullable=False),
    Column("site", String(128)),
    Column("zone", String(128)),
    Column("value", Float),
    Column("location", Text),  # JSON
    Column("data", Text),  # JSON
    UniqueConstraint("eid", "source", name="uq_events_eid_source"),
)
Index("ix_events_time", events.c.time)

alarms = Table(
    "alarms",
    metadata,
    Column("id", _BigPK, primary_key=True, autoincrement=True),
    Column("key", String(512), nullable=False),
    Column("rule", String(128), nullable=False),
    Column("type", String(128), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("severity_rank", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("site", String(128)),
    Column("zone", String(128)),
    Column("group_json", Text, nullable=False),
    Column("count", Integer, nullable=False),
    Column("first_seen", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("assignee", String(128)),
    Column("disposition", String(32)),
    Column("updated", Float, nullable=False),
    Column("version", Integer, nullable=False),
    Column("explanation", Text, nullable=False),
    Column("sources_json", Text, nullable=False),
)
# One open (not resolved) alarm per dedup key, enforced by the database as well as by the single writer.
Index(
    "uq_alarms_open_key",
    alarms.c.key,
    unique=True,
    sqlite_where=text("state != 'resolved'"),
    postgresql_where=text("state != 'resolved'"),
)
Index("ix_alarms_order", alarms.c.severity_rank, alarms.c.first_seen, alarms.c.id)
Index("ix_alarms_updated", alarms.c.updated)

occurrences = Table(
    "occurrences",
    metadata,
    Column("id", _BigPK, primary_key=True, autoincrement=True),
    Column("alarm_id", BigInteger, nullable=False),
    Column("time", Float, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("reason", String(32), nullable=False),
    Column("value", Float),
    Column("event_ids", Text, nullable=False),  # JSON list
    Column("explanation", Text, nullable=False),
)
Index("ix_occurrences_alarm", occurrences.c.alarm_id, occurrences.c.id)

audit = Table(
    "audit",
    metadata,
    Column("seq", _BigPK, primary_key=True, autoincrement=False),
    Column("time", Float, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("object", String(256), nullable=False),
    Column("details", Text, nullable=False),  # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("ix_audit_object", audit.c.object, audit.c.seq)

tokens = Table(
    "tokens",
    metadata,
    Column("id", _BigPK, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("hash", String(64), nullable=False, unique=True),
    Column("created", Float, nullable=False),
    Column("revoked", Float),
)

users = Table(
    "users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created", Float, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

# Console sessions: only the SHA-256 of the session id is stored, so a copy of the database signs nobody in.
sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_name", String(64), nullable=False),
    Column("created", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
)

kv = Table(
    "kv",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Text, nullable=False),
)
