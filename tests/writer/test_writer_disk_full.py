"""A full disk, through real HTTP on a real tmpfs: 503 with Retry-After naming the cause, /readyz not ready with
the reason, recovery by itself once space returns, and no trace of the failed batch in rule windows or alarms."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.harness import Server
from tests.writer.helpers import fill, small_disk, until

RULES = """
rules:
  - id: three-hot
    alarm: fire.high_temperature
    severity: high
    when: {type: temperature, count: {gte: 3, within: 60s}}
    group_by: [zone]
  - id: silent
    alarm: technical.device_offline
    severity: low
    when: {absent: {type: heartbeat, for: 5m}}
    group_by: [source]
"""


def hot(name: str) -> dict[str, Any]:
    return {"id": name, "source": "temp-1", "type": "temperature", "zone": "kitchen", "value": 70.0}


def padding(batch: int) -> list[dict[str, Any]]:
    """Events no rule counts, big enough to need new pages in the database."""
    data = {"note": "x" * 3500}
    return [{"id": f"pad-{batch}-{i}", "source": "pad", "type": "note", "data": data} for i in range(50)]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_783_000_000.0)


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with small_disk(tmp_path / "disk") as where:
        yield where


@pytest.fixture
def srv(disk: Path, clock: FakeClock) -> Iterator[Server]:
    with Server(disk / "data", RULES, clock) as s:
        yield s


def fill_until_refused(op: httpx.Client, disk: Path) -> tuple[Path, httpx.Response]:
    """Fill the disk, then send padding until the store refuses it (what fits in already allocated pages
    still goes through); returns the ballast and the refusal."""
    ballast = fill(disk)
    for batch in range(100):
        r = op.post("/api/v1/events", json=padding(batch))
        if r.status_code != 202:
            return ballast, r
    raise AssertionError("the store never ran out of space")


def alarms(op: httpx.Client) -> list[dict[str, Any]]:
    return list(op.get("/api/v1/alarms").json()["alarms"])


def test_a_full_disk_answers_503_and_the_retried_batch_counts_once(srv: Server, disk: Path) -> None:
    with srv.client(Role.OPERATOR) as op, srv.client(None) as anon:
        ballast, refused = fill_until_refused(op, disk)
        assert refused.status_code == 503
        assert refused.json() == {"error": "store_unavailable", "message": "database disk is full"}
        assert int(refused.headers["Retry-After"]) > 0

        two = [hot("h1"), hot("h2")]
        r = op.post("/api/v1/events", json=two)
        assert (r.status_code, r.json()["message"]) == (503, "database disk is full")
        assert "Retry-After" in r.headers
        ready = anon.get("/readyz")
        assert ready.status_code == 503 and "Retry-After" in ready.headers
        assert "writer: database disk is full" in ready.json()["problems"]

        ballast.unlink()  # space returns: readiness and ingest come back by themselves
        until(lambda: anon.get("/readyz").status_code == 200, "ready again after space returned")
        r = op.post("/api/v1/events", json=two)
        assert (r.status_code, r.json()) == (202, {"accepted": 2, "duplicates": 0})
        assert alarms(op) == []  # 2 events in the window, not 4: the failed attempt left no trace
        r = op.post("/api/v1/events", json=hot("h3"))
        assert r.status_code == 202
        [alarm] = alarms(op)
        assert (alarm["rule"], alarm["count"]) == ("three-hot", 1)
    assert srv.app is not None
    assert srv.app.store.count_events() >= 3


def test_a_tick_that_cannot_be_stored_fires_again_on_the_next_tick(
    srv: Server, disk: Path, clock: FakeClock
) -> None:
    with srv.client(Role.OPERATOR) as op:
        beat = {"id": "b1", "source": "cam-1", "type": "heartbeat"}
        assert op.post("/api/v1/events", json=beat).status_code == 202
        clock.advance(301)
        ballast, _ = fill_until_refused(op, disk)
        with pytest.raises(Exception, match="database disk is full"):
            srv.tick()
        assert alarms(op) == []
        ballast.unlink()
        assert srv.tick() == 1  # the absence is raised now: the failed tick did not mark it as raised
        [alarm] = alarms(op)
        assert alarm["rule"] == "silent"
