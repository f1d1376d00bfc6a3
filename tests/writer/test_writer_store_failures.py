"""Driver errors translated at the store boundary, on both back ends: a value the store cannot hold is
`Unstorable` (the data is at fault), a store that cannot write is `StoreUnavailable` naming the cause; after
either, the next write works on a clean connection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from fairwatch.errors import Duplicate, StoreUnavailable
from fairwatch.model import Event
from fairwatch.store import SqlStore, sqlite_url


def ev(name: str, source: str = "s") -> Event:
    return Event(name, source, "note", 1.0, 1.0)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    pg = request.getfixturevalue("postgres_url")
    store = SqlStore(pg)
    with store.engine.begin() as conn:
        conn.execute(text("TRUNCATE events RESTART IDENTITY"))
    store.close()
    yield pg


def test_a_refused_write_names_no_driver_text_and_the_next_write_works(url: str) -> None:
    store = SqlStore(url)
    try:
        with pytest.raises(Duplicate) as caught, store.transaction() as txn:
            txn.insert_events([ev("e1"), ev("e1")])  # the unique index refuses the second
        assert "UNIQUE" not in str(caught.value) and "duplicate key" not in str(caught.value)
        with store.transaction() as txn:
            txn.insert_events([ev("e2")])
        assert store.count_events() == 1
    finally:
        store.close()


def test_a_read_only_postgres_database_is_named(postgres_url: str) -> None:
    admin = SqlStore(postgres_url)
    with admin.engine.connect() as conn:  # opened before the switch: it stays writable to switch back
        conn.execute(text("ALTER DATABASE postgres SET default_transaction_read_only = on"))
        conn.commit()
        store = SqlStore(postgres_url)
        try:
            with pytest.raises(StoreUnavailable) as caught, store.transaction() as txn:
                txn.insert_events([ev("ro-1")])
            assert (str(caught.value), caught.value.retry_after > 0) == ("database is read-only", True)
        finally:
            conn.execute(text("ALTER DATABASE postgres RESET default_transaction_read_only"))
            conn.commit()
            store.close()
    admin.close()
