"""The ingest hot path's statements on SQLite, compiled once from the schema and run through the driver.

Every committed batch looks up which of its (id, source) keys are stored already, inserts the rest, and in an
alarm storm inserts an occurrence row per matching event. Through SQLAlchemy's statement execution these cost
~2.3 µs per key (an IN list expanded at each execution) and ~2.7 µs per row (parameter processing) on top of
SQLite's own work (docs/benchmarks.md). The SQL here is SQLAlchemy's own compilation of the same statements on
`schema` tables for the SQLite dialect, not hand-written: a column added to a table is in it. Other databases
keep the ordinary path (PostgreSQL's batched inserts are faster there).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection

from fairwatch.store import schema

IN_CHUNK = 900  # ids per look-up: SQLite allows 999 bound parameters per statement (PostgreSQL more)


@functools.cache
def _insert(table: Table) -> tuple[str, tuple[str, ...]]:
    """The INSERT of every column of `table` but its generated key, and the order of its positional parameters."""
    columns = [c.name for c in table.columns if not c.primary_key]
    compiled = table.insert().compile(dialect=sqlite.dialect(), column_keys=columns)
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


def insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows of `table` (a value for every column but the generated key) in one executemany."""
    sql, order = _insert(table)
    conn.exec_driver_sql(sql, [tuple(row[c] for c in order) for row in rows])
