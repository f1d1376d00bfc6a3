"""SQL for many audit chains: the in-place migration of databases made with one chain, the chains' heads, the
per-chain advisory lock, and the signed roots over the heads (audit/roots.py)."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from sqlalchemy import Connection, func, inspect, select
from sqlalchemy.engine import Engine

from fairwatch.audit import canonical_json
from fairwatch.audit.roots import ChainHead, SignedRoot
from fairwatch.store import schema

SINGLE_CHAIN_LOCK = 4242470  # the advisory lock of chain "" (the one every version before chains took)
_MIGRATION_LOCK = 4242471


def chain_lock_key(chain: str) -> int:
    """The PostgreSQL advisory lock that serialises appends to one chain: a signed 64-bit digest of its name."""
    if chain == "":
        return SINGLE_CHAIN_LOCK
    return int.from_bytes(
        hashlib.sha256(b"fairwatch-audit-chain:" + chain.encode()).digest()[:8], "big", signed=True
    )


def _has_chain_column(conn: Connection) -> bool:
    return any(c["name"] == "chain" for c in inspect(conn).get_columns("audit"))


def migrate(engine: Engine, dialect: str) -> bool:
    """Give an audit table made before chains its `chain` column ("" for every record) and the (chain, seq)
    primary key; in one transaction, idempotent, safe when two processes open the database at once. True if it
    migrated."""
    with engine.connect() as probe:
        if _has_chain_column(probe):
            return False
    if dialect == "sqlite":
        return _migrate_sqlite(engine)
    return _migrate_postgresql(engine)


def _migrate_sqlite(engine: Engine) -> bool:
    # SQLite cannot change a primary key in place: rebuild the table under BEGIN IMMEDIATE (the write lock, so a
    # second process waits and then finds the column)
    with engine.connect() as conn:
        conn.info["fairwatch_writer"] = True
        with conn.begin():
            if _has_chain_column(conn):
                return False
            conn.exec_driver_sql("DROP INDEX IF EXISTS ix_audit_object")
            conn.exec_driver_sql("ALTER TABLE audit RENAME TO audit__before_chains")
            schema.metadata.create_all(conn, tables=[schema.audit])
            columns = ", ".join(c.name for c in schema.audit.columns if c.name != "chain")
            conn.exec_driver_sql(
                f"INSERT INTO audit ({columns}, chain) SELECT {columns}, '' FROM audit__before_chains"
            )
            conn.exec_driver_sql("DROP TABLE audit__before_chains")
    return True


def _migrate_postgresql(engine: Engine) -> bool:
    with engine.begin() as conn:
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        if _has_chain_column(conn):
            return False
        pk = inspect(conn).get_pk_constraint("audit").get("name") or "audit_pkey"
        conn.exec_driver_sql("ALTER TABLE audit ADD COLUMN chain VARCHAR(64) NOT NULL DEFAULT ''")
        conn.exec_driver_sql(f'ALTER TABLE audit DROP CONSTRAINT "{pk}"')
        conn.exec_driver_sql("ALTER TABLE audit ADD CONSTRAINT audit_pkey PRIMARY KEY (chain, seq)")
    return True


def chain_heads(conn: Connection) -> list[ChainHead]:
    """Every chain's size and head hash, in chain-name order."""
    a = schema.audit.c
    last = select(a.chain, func.max(a.seq).label("size")).group_by(a.chain).subquery()
    q = (
        select(a.chain, a.seq, a.hash)
        .join(last, (a.chain == last.c.chain) & (a.seq == last.c.size))
        .order_by(a.chain)
    )
    return [ChainHead(str(r.chain), int(r.seq), str(r.hash)) for r in conn.execute(q)]


def insert_root(conn: Connection, signed: SignedRoot) -> None:
    heads = canonical_json([h.as_dict() for h in signed.heads]).decode()
    conn.execute(
        schema.audit_roots.insert().values(
            time=signed.time, root=signed.root, heads=heads, key_id=signed.key_id, signature=signed.signature
        )
    )


def list_roots(conn: Connection) -> list[SignedRoot]:
    """Every signed root, oldest first."""
    r = schema.audit_roots.c
    return [_root(row) for row in conn.execute(select(schema.audit_roots).order_by(r.time, r.id))]


def latest_root(conn: Connection) -> SignedRoot | None:
    r = schema.audit_roots.c
    row = conn.execute(select(schema.audit_roots).order_by(r.time.desc(), r.id.desc()).limit(1)).first()
    return _root(row) if row else None


def _root(row: Any) -> SignedRoot:
    try:
        heads = tuple(ChainHead.from_dict(h) for h in orjson.loads(row.heads))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        heads = ()  # a mangled row: its root then no longer matches its heads, which verification names
    return SignedRoot(float(row.time), str(row.root), heads, str(row.key_id), str(row.signature))
