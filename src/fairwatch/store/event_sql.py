"""The ingest hot path's two statements on SQLite, compiled once from the schema and run through the driver.

Every committed batch looks up which of its (id, source) keys are stored already and inserts the rest. Through
SQLAlchemy's statement execution these cost ~2.3 µs per key (an IN list expanded at each execution) and ~2.7 µs
per row (parameter processing) on top of SQLite's own work (docs/benchmarks.md). The SQL here is SQLAlchemy's
own compilation of the same `schema.events` statements for the SQLite dialect, not hand-written: a column added
to the table is in it. Other databases keep the ordinary path (PostgreSQL's batched inserts are faster there).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from fairwatch.store import schema

IN_CHUNK = 900  # SQLite allows 999 bound parameters per statement


@functools.cache
def _insert() -> tuple[str, tuple[str, ...]]:
    """The INSERT of every column but the generated key, and the order of its positional parameters."""
    columns = [c.name for c in schema.events.columns if not c.primary_key]
    compiled = schema.events.insert().compile(dialect=sqlite.dialect(), column_keys=columns)
    order = compiled.positiontup
    assert order is not None and set(order) == set(columns)
    return str(compiled), tuple(order)


@functools.cache
def _lookup(n: int) -> str:
    """SELECT eid, source FROM events WHERE eid IN (?, ... n times)."""
    e = schema.events.c
    q = select(e.eid, e.source).where(e.eid.in_([f"k{i}" for i in range(n)]))
    return str(q.compile(dialect=sqlite.dialect(), compile_kwargs={"render_postcompile": True}))


def existing_keys(conn: Connection, ids: Sequence[str]) -> set[tuple[str, str]]:
    """(eid, source) of every stored event whose id is one of `ids`."""
    found: set[tuple[str, str]] = set()
    for i in range(0, len(ids), IN_CHUNK):
        chunk = tuple(ids[i : i + IN_CHUNK])
        found.update((eid, source) for eid, source in conn.exec_driver_sql(_lookup(len(chunk)), chunk))
    return found


def insert(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Insert event rows (as `_event_row` makes them) in one executemany."""
    sql, order = _insert()
    conn.exec_driver_sql(sql, [tuple(row[c] for c in order) for row in rows])
