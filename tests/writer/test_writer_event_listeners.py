"""`Pipeline.event_listeners` hear the events each batch stored, after its COMMIT: never an event the store
refused (its transaction rolled back), never a duplicate, each stored event once."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from fairwatch.model import Event
from tests.harness import Server


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    with Server(tmp_path / "data") as s:
        with sqlite3.connect(s.data / "fairwatch.db") as conn:
            conn.execute(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON events WHEN NEW.eid LIKE 'poison%' "
                "BEGIN SELECT RAISE(ABORT, 'poison refused'); END"
            )
        yield s


def event(name: str) -> Event:
    return Event(name, "temp-1", "temperature", 1.0, 1.0, None, "kitchen", 20.0)


def test_listeners_hear_only_committed_events_once(srv: Server) -> None:
    assert srv.app is not None
    pipeline = srv.app.pipeline
    heard: list[tuple[str, float]] = []

    def listen(events: Sequence[Event], now: float) -> None:
        heard.extend((e.id, now) for e in events)

    pipeline.event_listeners.append(listen)

    async def together(names: list[str]) -> list[Any]:
        return await asyncio.gather(*(pipeline.submit([event(n)]) for n in names), return_exceptions=True)

    srv.call(together(["a", "poison-1", "b"]))  # one group commit, refused, then retried one by one
    srv.call(together(["a", "c"]))  # `a` again is a duplicate
    assert sorted(name for name, _ in heard) == ["a", "b", "c"]


def test_a_failing_listener_does_not_fail_the_write(srv: Server) -> None:
    assert srv.app is not None
    pipeline = srv.app.pipeline

    def broken(events: Sequence[Event], now: float) -> None:
        raise RuntimeError("listener bug")

    pipeline.event_listeners.append(broken)
    assert srv.call(pipeline.submit([event("d")])) == (1, 0)
