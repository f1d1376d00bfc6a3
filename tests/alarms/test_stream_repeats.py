"""An alarm storm on the event stream: of one alarm's consecutive repeats in one commit only the last is streamed
(the console merges by id); every change still reaches the change listeners (notifications, webhooks)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from fairwatch.alarms import AlarmChange
from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.harness import Server

NOW = 1_783_000_000.0
RULES = """
rules:
  - id: smoke
    alarm: fire.smoke
    severity: high
    when: {type: smoke, value: {gt: 0.5}}
    group_by: [source]
"""


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    with Server(tmp_path / "data", RULES, FakeClock(NOW)) as s:
        yield s


@pytest.fixture
def op(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.OPERATOR) as c:
        yield c


@pytest.fixture
def heard(srv: Server) -> list[AlarmChange]:
    """Every change the change listeners are told, in order."""
    assert srv.app is not None
    told: list[AlarmChange] = []
    srv.app.ctx.change_listeners.append(told.extend)
    return told


def smoke(i: int, source: str = "det-1") -> dict[str, Any]:
    return {"id": f"s{i}", "source": source, "type": "smoke", "zone": "food-court", "value": 0.9}


def streamed(srv: Server) -> list[tuple[str, int, int]]:
    """(change, alarm id, count) of every alarm message on the stream so far."""
    assert srv.app is not None
    hub = srv.app.hub

    async def replay() -> list[dict[str, Any]]:
        sub, missed, _reset = hub.subscribe(f"{hub.epoch}-0")
        hub.unsubscribe(sub)
        return [orjson.loads(m.data) for m in missed if m.event == "alarm"]

    return [(c["change"], c["alarm"]["id"], c["alarm"]["count"]) for c in srv.call(replay())]


def test_a_batch_of_repeats_is_one_message_with_the_final_count(
    srv: Server, op: httpx.Client, heard: list[AlarmChange]
) -> None:
    assert op.post("/api/v1/events", json=smoke(0)).status_code == 202
    assert op.post("/api/v1/events", json=[smoke(i) for i in range(1, 101)]).json()["accepted"] == 100
    assert streamed(srv) == [("raised", 1, 1), ("repeated", 1, 101)]
    assert [c.kind for c in heard] == ["raised"] + ["repeated"] * 100  # notifications see every repeat
    assert [c.alarm.count for c in heard[1:]] == list(range(2, 102))
    assert op.get("/api/v1/alarms/1").json()["count"] == 101


def test_a_raise_and_its_repeats_in_one_batch(srv: Server, op: httpx.Client) -> None:
    assert op.post("/api/v1/events", json=[smoke(i) for i in range(6)]).json()["accepted"] == 6
    assert streamed(srv) == [("raised", 1, 1), ("repeated", 1, 6)]


def test_repeats_of_interleaved_alarms_keep_one_each(srv: Server, op: httpx.Client) -> None:
    events = [smoke(i, f"det-{i % 2}") for i in range(10)]  # det-0, det-1, det-0, ...
    assert op.post("/api/v1/events", json=events).json()["accepted"] == 10
    assert streamed(srv) == [("raised", 1, 1), ("raised", 2, 1), ("repeated", 1, 5), ("repeated", 2, 5)]


def test_a_repeat_after_another_change_of_the_alarm_is_kept(srv: Server, op: httpx.Client) -> None:
    assert op.post("/api/v1/events", json=[smoke(i) for i in range(3)]).json()["accepted"] == 3
    assert op.post("/api/v1/alarms/1/ack").status_code == 200
    assert op.post("/api/v1/events", json=[smoke(i) for i in range(3, 5)]).json()["accepted"] == 2
    assert streamed(srv) == [("raised", 1, 1), ("repeated", 1, 3), ("acknowledged", 1, 3), ("repeated", 1, 5)]
