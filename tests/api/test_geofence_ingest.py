"""An event with a plan location and no zone is placed in its zone at ingest: stored, grouped and shown with it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from fairwatch.sim import demo_site_path
from tests.harness import Server

RULES = """
rules:
  - id: hot
    alarm: fire.high_temperature
    severity: high
    when: {type: temperature, value: {gt: 55}}
    group_by: [zone]
"""


def test_located_event_gets_its_zone(tmp_path: Path) -> None:
    with Server(tmp_path / "data", RULES, FakeClock(1_783_000_000.0), site=demo_site_path()) as srv:
        with srv.client(Role.OPERATOR) as op:
            hot = {
                "id": "t1",
                "source": "handheld-3",
                "type": "temperature",
                "value": 61,
                "location": {"x": 350, "y": 250},
            }
            outside = {**hot, "id": "t2", "location": {"x": 5, "y": 5}}
            assert op.post("/api/v1/events", json=[hot, outside]).json() == {"accepted": 2, "duplicates": 0}
            zones = sorted((a["zone"] or "") for a in op.get("/api/v1/alarms").json()["alarms"])
        with sqlite3.connect(srv.data / "fairwatch.db") as conn:
            stored = dict(conn.execute("SELECT eid, zone FROM events"))
    assert stored == {"t1": "food-court", "t2": None}
    assert zones == ["", "food-court"]
