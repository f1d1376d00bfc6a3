"""The store back ends every contract test runs on: memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text

from fairwatch.model import Alarm, AlarmState, Event, Severity
from fairwatch.store import MemoryDatabase, MemoryStore, SqlStore, Store, schema, sqlite_url

Opener = Callable[[], Store]


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens stores on one fresh database: each call is another instance, as a second process would have."""
    if request.param == "memory":
        database = MemoryDatabase()
        yield lambda: MemoryStore(database)
        return
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
    else:
        url = request.getfixturevalue("postgres_url")
        cleaner = SqlStore(url)
        with cleaner.engine.begin() as conn:
            for table in schema.metadata.sorted_tables:
                conn.execute(text(f"TRUNCATE {table.name} RESTART IDENTITY"))
        cleaner.close()
    opened: list[SqlStore] = []

    def open_one() -> SqlStore:
        opened.append(SqlStore(url))
        return opened[-1]

    yield open_one
    for s in opened:
        s.close()


@pytest.fixture
def store(open_store: Opener) -> Store:
    return open_store()


def ev(i: int, source: str = "s1", **kw: object) -> Event:
    base: dict[str, object] = {
        "id": f"e{i}",
        "source": source,
        "type": "t.x",
        "time": 100.0 + i,
        "received": 200.0,
    }
    base.update(kw)
    return Event(**base)  # type: ignore[arg-type]


def alarm(key: str, severity: Severity = Severity.HIGH, first: float = 10.0, **kw: object) -> Alarm:
    a = Alarm(
        0,
        key,
        "r1",
        "fire.suspected",
        severity,
        AlarmState.OPEN,
        True,
        "site",
        "zone-a",
        {"zone": "zone-a"},
        1,
        first,
        first,
        updated=first,
    )
    return replace(a, **kw)  # type: ignore[arg-type]
