"""SQL for free-text alarm search and for shelves (SQLite and PostgreSQL), used by `SqlStore` and `SqlTxn`.

Search cost: a substring (`ILIKE '%word%'`) cannot use a B-tree index, so a search reads every alarm row that the
other filters (state, severity, zone, type, time range) leave, and, for a row no cheap field matches, looks its
narrative records up through the audit table's `(object, seq)` index. Narrow the time range to keep it cheap;
docs/console.md#history gives figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, String, and_, cast, delete, exists, func, literal, or_, select
from sqlalchemy.dialects import postgresql

from fairwatch.store import schema
from fairwatch.store.rows import NARRATIVE_ACTIONS, NARRATIVE_KEYS, Shelf, TextSearch


def like_pattern(word: str) -> str:
    """`%word%` with LIKE's own characters escaped (escape character: backslash)."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_clause(search: TextSearch, dialect: str) -> Any:
    """A WHERE clause on `alarms`: every word of `search` is found in one of the alarm's searchable fields."""
    a = schema.alarms.c
    clauses = []
    for index, word in enumerate(search.words):
        pattern = like_pattern(word)
        types, zones = search.names_for(index)
        fields = [
            a.type.ilike(pattern, escape="\\"),
            a.zone.ilike(pattern, escape="\\"),
            a.sources_json.ilike(pattern, escape="\\"),
            a.explanation.ilike(pattern, escape="\\"),
            _narrative_matches(pattern, dialect),
        ]
        if types:
            fields.append(a.type.in_(sorted(types)))
        if zones:
            fields.append(a.zone.in_(sorted(zones)))
        clauses.append(or_(*fields))
    return and_(*clauses)


def _narrative_matches(pattern: str, dialect: str) -> Any:
    """EXISTS an audit record of the alarm whose narrative (comment text, note, reason) holds `pattern`;
    found through the `(object, seq)` index, then read as JSON (never the record's keys or other values)."""
    au = schema.audit.c
    obj = literal("alarm:", String) + cast(schema.alarms.c.id, String)
    texts = [_detail(au.details, key, dialect) for key in NARRATIVE_KEYS]
    return exists().where(
        au.object == obj,
        au.action.in_(NARRATIVE_ACTIONS),
        or_(*(func.coalesce(t, "").ilike(pattern, escape="\\") for t in texts)),
    )


def _detail(column: Any, key: str, dialect: str) -> Any:
    if dialect == "postgresql":
        return func.json_extract_path_text(cast(column, postgresql.JSON), key)
    return func.json_extract(column, f"$.{key}")


# -- shelves -----------------------------------------------------------------------------------------------------
def shelves(conn: Connection, alarm_ids: Sequence[int] | None) -> dict[int, Shelf]:
    """The shelves of `alarm_ids` (every shelf for None)."""
    s = schema.alarm_shelves.c
    q = select(schema.alarm_shelves)
    if alarm_ids is None:
        return {int(r.alarm_id): _shelf(r) for r in conn.execute(q)}
    found: dict[int, Shelf] = {}
    ids = list(dict.fromkeys(alarm_ids))
    for i in range(0, len(ids), 900):
        found.update(
            (int(r.alarm_id), _shelf(r)) for r in conn.execute(q.where(s.alarm_id.in_(ids[i : i + 900])))
        )
    return found


def put_shelf(conn: Connection, shelf: Shelf) -> None:
    """Store `shelf`, replacing the alarm's previous one."""
    delete_shelf(conn, shelf.alarm_id)
    conn.execute(
        schema.alarm_shelves.insert().values(
            alarm_id=shelf.alarm_id,
            since=shelf.since,
            until=shelf.until,
            actor=shelf.actor,
            reason=shelf.reason,
        )
    )


def delete_shelf(conn: Connection, alarm_id: int) -> bool:
    """Remove the alarm's shelf; False when it had none."""
    s = schema.alarm_shelves.c
    return bool(conn.execute(delete(schema.alarm_shelves).where(s.alarm_id == alarm_id)).rowcount)


def _shelf(r: Any) -> Shelf:
    return Shelf(int(r.alarm_id), float(r.since), float(r.until), r.actor, r.reason)
