"""Tables, in portable SQLAlchemy Core, shared by every SQL back end (SQLite, PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
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
    # Flood control (alarms/flood.py): the alarm this one was grouped under; NULL for a top-level alarm.
    Column("parent_id", BigInteger),
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
Index(
    "ix_alarms_parent",
    alarms.c.parent_id,
    sqlite_where=text("parent_id IS NOT NULL"),
    postgresql_where=text("parent_id IS NOT NULL"),
)

# Shelved alarms (alarms/shelving.py): one row while an alarm is shelved, deleted when it returns or is resolved;
# the audit log keeps every shelve and return. A table of its own, so databases made before shelving need no change.
alarm_shelves = Table(
    "alarm_shelves",
    metadata,
    Column("alarm_id", BigInteger, primary_key=True, autoincrement=False),
    Column("since", Float, nullable=False),
    Column("until", Float, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("reason", Text, nullable=False),
)

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

# One hash chain per `chain` (seq 1, 2, 3 ... in each): "" is the single process's chain; a cluster keeps one per
# partition plus `_global`. `chain` is the last column because databases made before it gain it by ALTER TABLE
# (store/migrate.py).
audit = Table(
    "audit",
    metadata,
    Column("seq", _BigPK, nullable=False, autoincrement=False),
    Column("time", Float, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("object", String(256), nullable=False),
    Column("details", Text, nullable=False),  # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("chain", String(64), nullable=False, server_default=""),
    PrimaryKeyConstraint("chain", "seq", name="audit_pkey"),
)
Index("ix_audit_object", audit.c.object, audit.c.seq)

# Signed roots over the heads of every audit chain (a cluster's checkpointer): `heads` is the canonical JSON list of
# {"chain", "size", "hash"} in chain-name order, `root` the RFC 6962 root over them (audit/roots.py).
audit_roots = Table(
    "audit_roots",
    metadata,
    Column("id", _BigPK, primary_key=True, autoincrement=True),
    Column("time", Float, nullable=False),
    Column("root", String(64), nullable=False),
    Column("heads", Text, nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("signature", Text, nullable=False),
)

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

# Kiosk (wall display) sessions (access.py): read-only, long-lived, revocable. Only hashes of the one-time link
# code and of the session id are kept, as for tokens and console sessions.
kiosks = Table(
    "kiosks",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("created", Float, nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("expires", Float, nullable=False),
    Column("link_hash", String(64), unique=True),
    Column("link_expires", Float, nullable=False),
    Column("session_hash", String(64), unique=True),
    Column("revoked", Float),
)

kv = Table(
    "kv",
    metadata,
    Column("key", String(128), primary_key=True),
    Column("value", Text, nullable=False),
)

# Signed Merkle checkpoints of the audit log (RS-8). `last_hash` is the chain hash of record `size`, where
# verification can resume; `compact` holds the CompactRange's subtree roots (hex, comma-separated), so the
# next checkpoint extends the tree without rehashing the whole log.
checkpoints = Table(
    "checkpoints",
    metadata,
    Column("size", _BigPK, primary_key=True, autoincrement=False),
    Column("root", String(64), nullable=False),
    Column("time", Float, nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("signature", Text, nullable=False),
    Column("last_hash", String(64), nullable=False),
    Column("compact", Text, nullable=False),
)

# The notification log (notify/): one row per (alarm change, receiver), kept in the store so a restart resumes
# pending deliveries and never repeats delivered ones. `key` is the idempotency key (alarm:version:receiver).
notifications = Table(
    "notifications",
    metadata,
    Column("id", _BigPK, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("alarm_id", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("receiver", String(128), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("payload", Text, nullable=False),  # JSON: the change as receivers see it
    Column("status", String(16), nullable=False),  # pending | delivered | failed | silenced
    Column("attempts", Integer, nullable=False),
    Column("next_attempt", Float, nullable=False),
    Column("last_error", Text),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
)
# Only pending rows are ever looked up by due time; delivered history does not bloat that index.
Index(
    "ix_notifications_due",
    notifications.c.next_attempt,
    sqlite_where=text("status = 'pending'"),
    postgresql_where=text("status = 'pending'"),
)
Index("ix_notifications_alarm", notifications.c.alarm_id, notifications.c.receiver, notifications.c.id)

# CAP 1.2 messages as issued (notify/cap.py): kept verbatim so every later read returns the same bytes and
# Updates/Cancels can reference them.
cap_messages = Table(
    "cap_messages",
    metadata,
    Column("identifier", String(128), primary_key=True),
    Column("alarm_id", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("msg_type", String(16), nullable=False),
    Column("sent", Float, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("site", String(128)),
    Column("zone", String(128)),
    Column("public", Boolean, nullable=False),
    Column("xml", Text, nullable=False),
)
Index("ix_cap_messages_alarm", cap_messages.c.alarm_id, cap_messages.c.sent)
Index("ix_cap_messages_sent", cap_messages.c.sent)

# Silences (notify/silences.py): while one is in force, notifications about matching alarms are logged with status
# `silenced` instead of sent. `expired_at` is set once its end has been handled (audited, held-back alarms
# re-notified), so a restart finishes an end it missed; NULL while the silence is pending or active.
silences = Table(
    "silences",
    metadata,
    Column("id", _BigPK, primary_key=True, autoincrement=True),
    Column("matchers", Text, nullable=False),  # JSON: {type, zone, source, severity}
    Column("starts_at", Float, nullable=False),
    Column("ends_at", Float, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expired_at", Float),
    Column("expired_by", String(128)),
)
Index("ix_silences_expired", silences.c.expired_at)

# Incidents (fairwatch/incidents/, docs/incidents.md). `number` is unique per site (it holds the year).
incidents = Table(
    "incidents",
    metadata,
    Column("id", _BigPK, primary_key=True, autoincrement=True),
    Column("number", String(16), nullable=False),
    Column("site", String(128), nullable=False),
    Column("title", Text, nullable=False),
    Column("type", String(128), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("disposition", String(32)),
    Column("closing_note", Text),
    Column("owner", String(128)),
    Column("lead_agency", String(128)),
    Column("agencies", Text, nullable=False),  # JSON list
    Column("zone", String(128)),
    Column("location", Text),  # JSON
    Column("occurred_at", Float, nullable=False),
    Column("reported_at", Float, nullable=False),
    Column("first_dispatch_at", Float),
    Column("closed_at", Float),
    Column("reporter", String(128), nullable=False),
    Column("major_incident", String(16), nullable=False),
    Column("exercise", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
    UniqueConstraint("site", "number", name="uq_incidents_site_number"),
)
Index("ix_incidents_occurred", incidents.c.occurred_at)

# An alarm belongs to at most one incident: the alarm id is the key.
incident_alarms = Table(
    "incident_alarms",
    metadata,
    Column("alarm_id", BigInteger, primary_key=True, autoincrement=False),
    Column("incident_id", BigInteger, nullable=False),
    Column("added", Float, nullable=False),
)
Index("ix_incident_alarms_incident", incident_alarms.c.incident_id)

# The control log: append-only (no update or delete is ever issued); incident_id NULL is the site-wide log.
incident_log = Table(
    "incident_log",
    metadata,
    Column("id", _BigPK, primary_key=True, autoincrement=True),
    Column("incident_id", BigInteger),
    Column("kind", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("author", String(128), nullable=False),
    Column("occurred_at", Float, nullable=False),
    Column("entered_at", Float, nullable=False),
    Column("reason", Text),
    Column("late_reason", Text),
    Column("corrects", BigInteger),
    Column("methane", Text),  # JSON
)
Index("ix_incident_log_incident", incident_log.c.incident_id, incident_log.c.id)

incident_tasks = Table(
    "incident_tasks",
    metadata,
    Column("id", _BigPK, primary_key=True, autoincrement=True),
    Column("incident_id", BigInteger, nullable=False),
    Column("title", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("assignee", String(128)),
    Column("due", Float),
    Column("reason", Text),
    Column("card", String(128)),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
)
Index("ix_incident_tasks_incident", incident_tasks.c.incident_id, incident_tasks.c.id)

# Field units, their one-time sign-in links and the phones signed in with them (fairwatch/field/, docs/field.md).
units = Table(
    "units",
    metadata,
    Column("id", _BigPK, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("members", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("status_since", Float, nullable=False),
    Column("last_check_in", Float, nullable=False),
    Column("location", Text),  # JSON
    Column("position_at", Float),
    Column("zone", String(128)),
    Column("incident_id", BigInteger),
    Column("alarm_id", BigInteger),
    Column("accepted_at", Float),
    Column("check_in_alarmed", Float),
    Column("status_alarmed", Float),
    Column("version", Integer, nullable=False),
    Column("created", Float, nullable=False),
    Column("updated", Float, nullable=False),
)

unit_invites = Table(
    "unit_invites",
    metadata,
    Column("id", _BigPK, primary_key=True, autoincrement=True),
    Column("code_hash", String(64), nullable=False, unique=True),
    Column("unit_id", BigInteger, nullable=False),
    Column("created", Float, nullable=False),
    Column("expires", Float, nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("used_at", Float),
    Column("revoked_at", Float),
)
Index("ix_unit_invites_unit", unit_invites.c.unit_id)

unit_devices = Table(
    "unit_devices",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("unit_id", BigInteger, nullable=False),
    Column("invite_id", BigInteger, nullable=False),
    Column("created", Float, nullable=False),
    Column("expires", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("revoked_at", Float),
)
Index("ix_unit_devices_unit", unit_devices.c.unit_id)
# Welfare cases (fairwatch/welfare/, docs/welfare.md): lost and found persons, described by closed bands and
# narrative text only. Closed cases are purged on the shortest retention class (`welfare_retention_hours`).
welfare_cases = Table(
    "welfare_cases",
    metadata,
    Column("id", _BigPK, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("site", String(128), nullable=False),
    Column("age_band", String(16), nullable=False),
    Column("height_band", String(16), nullable=False),
    Column("clothing", Text),
    Column("contact", Text),
    Column("last_seen_zone", String(128), nullable=False),
    Column("last_seen_at", Float, nullable=False),
    Column("vulnerable", Boolean, nullable=False),
    Column("state", String(16), nullable=False),
    Column("reported_by", String(128), nullable=False),
    Column("reported_at", Float, nullable=False),
    Column("escalate_at", Float, nullable=False),
    Column("escalated_at", Float),
    Column("closed_at", Float),
    Column("closed_by", String(128)),
    Column("note", Text),
    Column("version", Integer, nullable=False),
)
Index("ix_welfare_cases_state", welfare_cases.c.state, welfare_cases.c.escalate_at)

# Scene photos of incidents (fairwatch/welfare/photos.py): the file is `<data>/photos/<id>.<ext>`, re-encoded
# without EXIF; rows and files are purged after `photo_retention_hours`.
incident_photos = Table(
    "incident_photos",
    metadata,
    Column("id", _BigPK, primary_key=True, autoincrement=True),
    Column("incident_id", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("media_type", String(32), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("uploaded_by", String(128), nullable=False),
    Column("uploaded_at", Float, nullable=False),
)
Index("ix_incident_photos_incident", incident_photos.c.incident_id, incident_photos.c.id)
Index("ix_incident_photos_uploaded", incident_photos.c.uploaded_at)

# A cluster (fairwatch/cluster/, PostgreSQL only): kept apart from `metadata` so the embedded default's database
# stays as it was; `create_cluster_tables` makes them (the worker and `fairwatch cluster init` call it).
cluster_metadata = MetaData()

# One row per partition: the epoch (lease revision) of its current owner. Every owner transaction reads its row
# FOR SHARE first and gives up when the epoch is not its own (fairwatch/cluster/fence.py).
cluster_fence = Table(
    "cluster_fence",
    cluster_metadata,
    Column("partition", String(128), primary_key=True),
    Column("epoch", BigInteger, nullable=False),
    Column("owner", String(128), nullable=False),
    Column("since", Float, nullable=False),
)

# One row per partition: the last FW_EVENTS stream sequence whose events are committed (written in the same
# transaction as them), and when; redeliveries at or below it are skipped.
cluster_offsets = Table(
    "cluster_offsets",
    cluster_metadata,
    Column("partition", String(128), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("committed_at", Float, nullable=False),
    Column("epoch", BigInteger, nullable=False),
)


# Committed alarm changes of a partition not yet known to be on FW_CHANGES: written in the transaction that made
# them, deleted once published; a successor publishes what is left (the stream drops a repeated Nats-Msg-Id).
cluster_changes = Table(
    "cluster_changes",
    cluster_metadata,
    Column("id", _BigPK, primary_key=True, autoincrement=True),
    Column("partition", String(128), nullable=False),
    Column("msg_id", String(300), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("data", Text, nullable=False),
)
Index("ix_cluster_changes_partition", cluster_changes.c.partition, cluster_changes.c.id)


def create_cluster_tables(engine: Any) -> None:
    """Create the cluster's tables if missing (idempotent)."""
    cluster_metadata.create_all(engine)
