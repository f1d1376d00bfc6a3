"""A lost race over real HTTP: two servers on one database; the one with a stale alarm answers 409 and writes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from fairwatch.model import Role
from tests.harness import Server

RULES = """
rules:
  - id: hot
    alarm: fire.high_temperature
    severity: high
    when: {type: temperature, value: {gt: 55}}
    group_by: [zone]
"""


def hot(i: int) -> dict[str, Any]:
    return {"id": f"t{i}", "source": "temp-1", "type": "temperature", "zone": "food-court", "value": 60.0}


def rows(data: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(data / "fairwatch.db") as conn:
        return list(conn.execute(sql))


def test_a_server_holding_a_stale_alarm_answers_409_and_the_retry_keeps_the_other_change(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    with Server(data, RULES) as first, first.client(Role.OPERATOR) as a:
        assert a.post("/api/v1/events", json=hot(1)).status_code == 202
        with (
            Server(data, RULES) as second,
            second.client(Role.OPERATOR) as b,
        ):  # loads alarm 1 at version 1
            assert a.post("/api/v1/alarms/1/ack").json()["state"] == "acknowledged"  # version 2
            r = b.post("/api/v1/events", json=hot(2))  # a repeat, from second's copy at version 1
            assert r.status_code == 409
            assert r.json() == {
                "error": "stale_write",
                "message": "alarm 1 was changed by another writer after it was read at version 1 "
                "(it is now at version 2); nothing was written: reload it and try again",
                "object": "alarm 1",
                "expected_version": 1,
                "found_version": 2,
            }
            assert rows(data, "SELECT eid FROM events ORDER BY seq") == [("t1",)]
            assert rows(data, "SELECT state, count, version FROM alarms") == [("acknowledged", 1, 2)]
            assert b.post("/api/v1/events", json=hot(2)).status_code == 202  # from the stored row now
    assert rows(data, "SELECT state, count, version FROM alarms") == [("acknowledged", 2, 3)]
    actions = rows(data, "SELECT action FROM audit WHERE object = 'alarm:1' ORDER BY seq")
    assert actions == [("alarm-raised",), ("alarm-acknowledged",)]
