"""Drain on stop: every accepted job finishes (its future resolves), later work is refused with 503 and
Retry-After ("the server is stopping"), and nothing is written once the writer has stopped."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from fairwatch.errors import StoreUnavailable
from fairwatch.model import Event, Role
from tests.harness import Server


def event(i: int) -> Event:
    return Event(f"e{i}", "s", "note", 1.0, 1.0)


def test_drain_finishes_accepted_work_then_refuses(tmp_path: Path) -> None:
    with Server(tmp_path / "data") as srv, srv.client(Role.DEVICE) as dev, srv.client(None) as anon:
        assert srv.app is not None
        app = srv.app

        async def submit_then_drain() -> tuple[list[Any], StoreUnavailable]:
            jobs = [asyncio.ensure_future(app.pipeline.submit([event(i)])) for i in range(50)]
            await asyncio.sleep(0)  # the jobs are queued, none committed yet
            await app.pipeline.drain()
            assert all(job.done() for job in jobs)
            try:
                await app.pipeline.submit([event(99)])
            except StoreUnavailable as exc:
                return [job.result() for job in jobs], exc
            raise AssertionError("accepted work after drain")

        results, refused = srv.call(submit_then_drain())
        assert results == [(1, 0)] * 50
        assert (str(refused), refused.retry_after > 0) == ("the server is stopping", True)
        assert app.store.count_events() == 50

        r = dev.post("/api/v1/events", json={"id": "late", "source": "s", "type": "note"})
        assert r.status_code == 503 and int(r.headers["Retry-After"]) > 0
        assert r.json() == {"error": "store_unavailable", "message": "the server is stopping"}
        ready = anon.get("/readyz")
        assert ready.status_code == 503 and "Retry-After" in ready.headers
        assert "writer: the server is stopping" in ready.json()["problems"]
        with pytest.raises(StoreUnavailable):
            srv.tick()
        assert app.store.count_events() == 50


def test_stop_is_drain_and_can_be_called_twice(tmp_path: Path) -> None:
    with Server(tmp_path / "data") as srv:
        assert srv.app is not None
        app = srv.app

        async def stop_with_work_queued() -> list[Any]:
            jobs = [asyncio.ensure_future(app.pipeline.submit([event(i)])) for i in range(10)]
            await asyncio.sleep(0)
            await app.pipeline.stop()
            await app.pipeline.stop()
            return [job.result() for job in jobs]

        assert srv.call(stop_with_work_queued()) == [(1, 0)] * 10
        assert not app.pipeline.running
        assert app.store.count_events() == 10
