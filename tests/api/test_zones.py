"""GET /api/v1/zones: the live crowd measures, through real HTTP to a real server; kept across a restart."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from fairwatch.sim import demo_site_path
from tests.harness import Server

RULES = """
rules:
  - id: dense
    alarm: crowd_safety.high_density
    severity: high
    when: {type: crowd.density, value: {gt: 4.0}}
    group_by: [zone]
"""
T0 = 1_783_000_020.0


def stamp(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def post(client: httpx.Client, clock: FakeClock, *events: dict[str, Any]) -> None:
    body = [{"time": stamp(clock.now()), **e} for e in events]
    r = client.post("/api/v1/events", json=body)
    assert r.status_code == 202, r.text


def by_id(items: list[dict[str, Any]], item_id: str) -> dict[str, Any]:
    return next(i for i in items if i["id"] == item_id)


def test_zones_show_density_flow_and_last_seen_and_survive_a_restart(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    srv = Server(tmp_path / "data", RULES, clock, site=demo_site_path())
    with srv:
        with srv.client(Role.VIEWER) as viewer:
            post(viewer, clock, {"id": "d1", "source": "food-court-counter", "type": "crowd.density",
                                 "zone": "food-court", "value": 3.8},
                 {"id": "l1", "source": "river-exit-counter", "type": "counter.line",
                  "data": {"forward": 0, "backward": 0}})  # fmt: skip
            clock.advance(60)
            post(viewer, clock, {"id": "l2", "source": "river-exit-counter", "type": "counter.line",
                                 "data": {"forward": 5400, "backward": 60}})  # fmt: skip
            r = viewer.get("/api/v1/zones")
            assert r.status_code == 200, r.text
            live = r.json()
        srv.stop()
        srv.start()  # the board is rebuilt from the stored events
        with srv.client(Role.VIEWER) as viewer:
            again = viewer.get("/api/v1/zones").json()
    food = by_id(live["zones"], "food-court")
    assert (food["density"], food["occupancy"], food["los"], food["source"]) == (3.8, 34200, "C", "density")
    assert [p[1] for p in food["history"]["occupancy"]] == [34200]
    gate = by_id(live["links"], "river-exit")  # 6 m wide: 5400 in a minute is 900 p/m/min
    assert (gate["forward"], gate["backward"], gate["los"]) == (900.0, 10.0, "F")
    assert by_id(live["devices"], "river-exit-counter")["last_seen"] == T0 + 60
    assert by_id(live["devices"], "camping-panic")["last_seen"] is None
    assert again["zones"] == live["zones"] and again["links"] == live["links"]


def test_zones_need_a_signed_in_reader(tmp_path: Path) -> None:
    with (
        Server(tmp_path / "data", RULES, FakeClock(T0), site=demo_site_path()) as srv,
        srv.client(None) as anonymous,
    ):
        r = anonymous.get("/api/v1/zones")
    assert r.status_code == 401


def test_zones_without_a_site_is_not_found_naming_the_setting(tmp_path: Path) -> None:
    with Server(tmp_path / "data", RULES, FakeClock(T0)) as srv, srv.client(Role.VIEWER) as viewer:
        r = viewer.get("/api/v1/zones")
    assert r.status_code == 404
    assert "FAIRWATCH_SITE" in r.json()["message"]
