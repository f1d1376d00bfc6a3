"""Closed event schemas end to end (issue 17 §1, RS-10, RS-11), through real HTTP and the real config loader.

Each bypass class a red team used against open event data is refused: a symbol detector matched by a rule, a
numeric code book in an undeclared key, free text grouped into an alarm explanation, and a zone the site does
not have. Safety work still works: smoke in a prayer room raises its fire alarm.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from fairwatch.clock import FakeClock
from fairwatch.errors import ConfigRejected
from fairwatch.model import Role
from tests.harness import Server

NOW = 1_783_000_000.0  # 2026-07-02T13:46:40Z
SITE = """
site:
  id: hall
  name: Congress Hall
  timezone: Europe/Berlin
  plan: {width: 100, height: 100}
zones:
  - id: prayer-room
    name: Prayer room
    polygon: [[0, 0], [10, 0], [10, 10], [0, 10]]
    capacity: 40
    indoor: true
  - id: foyer
    name: Foyer
    polygon: [[10, 0], [50, 0], [50, 50], [10, 50]]
    capacity: 800
"""
FIRE = """
rules:
  - id: smoke-in-a-room
    alarm: fire.suspected
    severity: critical
    when: {type: smoke.detected, value: {gte: 2}}
    group_by: [zone]
"""


def server(tmp_path: Path, rules: str = FIRE) -> Server:
    site = tmp_path / "site.yaml"
    site.write_text(SITE)
    return Server(tmp_path / "data", rules, FakeClock(NOW), site=site, schemas=None)


def event(eid: str, type_: str, zone: str = "foyer", **fields: Any) -> dict[str, Any]:
    return {
        "id": eid,
        "source": "dev-1",
        "type": type_,
        "time": "2026-07-02T13:46:00Z",
        "zone": zone,
        **fields,
    }


def stored(srv: Server) -> list[str]:
    with sqlite3.connect(srv.data / "fairwatch.db") as conn:
        return [row[0] for row in conn.execute("SELECT eid FROM events ORDER BY seq")]


def refused(r: httpx.Response) -> list[tuple[int, str, Any, str]]:
    assert r.status_code == 422, r.text
    return [(p["index"], p["field"], p["value"], p["message"]) for p in r.json()["problems"]]


def rejected(tmp_path: Path, rules: str) -> list[str]:
    with pytest.raises(ConfigRejected) as caught:
        server(tmp_path, rules).start()
    return caught.value.messages


def test_a_symbol_detector_is_refused_at_rule_check_and_at_ingest(tmp_path: Path) -> None:
    rules = (
        FIRE
        + """
  - id: symbol-seen
    alarm: other_safety.unattended_item
    severity: low
    when: {type: camera.detection, data.symbol: crescent}
    group_by: [zone]
"""
    )
    [message] = rejected(tmp_path, rules)
    assert message.endswith(
        "rules.yaml:12: rule 2 ('symbol-seen'): when.data.symbol: 'symbol' is not a declared field of event type"
        " 'camera.detection' (declared: confidence, object)"
    )
    with server(tmp_path) as srv, srv.client(Role.DEVICE) as dev:
        sighting = event("s1", "camera.detection", value=1, data={"object": "person", "symbol": "crescent"})
        message = (
            "'symbol' is not a declared field of event type 'camera.detection' (declared: confidence, object)"
        )
        assert refused(dev.post("/api/v1/events", json=sighting)) == [(0, "data.symbol", "crescent", message)]
        assert stored(srv) == []


def test_a_numeric_code_book_in_an_undeclared_key_is_refused(tmp_path: Path) -> None:
    rules = (
        FIRE
        + """
  - id: coded
    alarm: crowd_safety.overcapacity
    severity: low
    when: {type: crowd.count, data.hw: 3}
"""
    )
    [message] = rejected(tmp_path, rules)
    assert (
        "when.data.hw: 'hw' is not a declared field of event type 'crowd.count' (declared: capacity)"
        in message
    )
    with server(tmp_path) as srv, srv.client(Role.DEVICE) as dev:
        batch = [event("c1", "crowd.count", value=12), event("c2", "crowd.count", value=12, data={"hw": 3})]
        [(index, field, value, _)] = refused(dev.post("/api/v1/events", json=batch))
        assert (index, field, value) == (1, "data.hw", 3)
        assert stored(srv) == []  # a batch is all or nothing


def test_free_text_cannot_be_grouped_into_an_alarm_explanation(tmp_path: Path) -> None:
    rules = (
        FIRE
        + """
  - id: reports-by-text
    alarm: medical.cluster
    severity: medium
    when: {type: report.medical}
    group_by: [zone, data.text]
"""
    )
    [message] = rejected(tmp_path, rules)
    assert (
        "group_by[1]: 'text' of event type 'report.medical' is narrative text: rules never evaluate it"
        in message
    )
    by_category = (
        FIRE
        + """
  - id: fainting
    alarm: medical.emergency
    severity: high
    when: {type: report.medical, data.category: fainting}
    group_by: [zone, data.category]
"""
    )
    with (
        server(tmp_path, by_category) as srv,
        srv.client(Role.DEVICE) as dev,
        srv.client(Role.OPERATOR) as op,
    ):
        # The narrative field is stored but never evaluated; free text under any other key is refused.
        report = event(
            "r1", "report.medical", data={"category": "fainting", "text": "guest fainted by the door"}
        )
        smuggled = event("r2", "report.medical", data={"category": "fainting", "note": "guest wore a kippah"})
        assert dev.post("/api/v1/events", json=report).status_code == 202
        [(_, field, _, _)] = refused(dev.post("/api/v1/events", json=smuggled))
        assert field == "data.note"
        assert stored(srv) == ["r1"]
        [alarm] = op.get("/api/v1/alarms").json()["alarms"]
        detail = op.get(f"/api/v1/alarms/{alarm['id']}").json()
        # Operators see the report with its narrative; the alarm's explanation and audit record never carry it.
        said = orjson.dumps([detail["occurrences"][0]["explanation"], detail["history"]]).decode()
        # group values from `data` are withheld from explanations altogether (RS-13), closed enums included
        assert "zone=foyer" in said and "data.category=(withheld)" in said
        assert "fainted" not in said and "kippah" not in said


def test_an_event_in_a_zone_the_site_does_not_have_is_refused(tmp_path: Path) -> None:
    with server(tmp_path) as srv, srv.client(Role.DEVICE) as dev:
        r = dev.post("/api/v1/events", json=event("z1", "smoke.detected", zone="back-room", value=4.5))
        [(index, field, value, message)] = refused(r)
        assert (index, field, value) == (0, "zone", "back-room")
        assert message.startswith("unknown zone 'back-room'")
        assert stored(srv) == []


def test_undeclared_event_types_are_refused_naming_the_type(tmp_path: Path) -> None:
    with server(tmp_path) as srv, srv.client(Role.DEVICE) as dev:
        r = dev.post("/api/v1/events", json=event("u1", "camera.symbol", value=1))
        message = "unknown event type 'camera.symbol': no event schema declares it"
        assert refused(r) == [(0, "type", "camera.symbol", message)]
        assert stored(srv) == []


def test_a_fire_in_a_prayer_room_raises_its_alarm(tmp_path: Path) -> None:
    with server(tmp_path) as srv, srv.client(Role.DEVICE) as dev, srv.client(Role.OPERATOR) as op:
        r = dev.post("/api/v1/events", json=event("f1", "smoke.detected", zone="prayer-room", value=4.5))
        assert (r.status_code, r.json()) == (202, {"accepted": 1, "duplicates": 0})
        [alarm] = op.get("/api/v1/alarms").json()["alarms"]
        assert (alarm["type"], alarm["zone"], alarm["state"]) == ("fire.suspected", "prayer-room", "open")


def test_counting_attendance_in_the_prayer_room_is_refused_at_start(tmp_path: Path) -> None:
    """A count rule on the prayer room alarms on a handful of people: an attendance counter, refused by its
    threshold (rules.people), whatever the room is called."""
    rules = (
        FIRE
        + """
  - id: room-in-use
    alarm: crowd_safety.overcapacity
    severity: low
    when: {occupancy: {zone: prayer-room, gte: 5}}
"""
    )
    [message] = rejected(tmp_path, rules)
    assert message.endswith(
        "rules.yaml:12: rule 2 ('room-in-use'): when.occupancy.gte: a people count raises an alarm only at 0.5 of"
        " capacity or more: zone 'prayer-room' holds 40, so at least 20 (or use 'of: capacity') (got 5)"
    )


def test_a_crowded_prayer_room_raises_its_overcapacity_alarm(tmp_path: Path) -> None:
    rules = (
        FIRE
        + """
  - id: room-full
    alarm: crowd_safety.overcapacity
    severity: high
    when: {occupancy: {zone: prayer-room, gte: 0.9, of: capacity}}
"""
    )
    with server(tmp_path, rules) as srv, srv.client(Role.DEVICE) as dev, srv.client(Role.OPERATOR) as op:
        few = event("c1", "crowd.count", zone="prayer-room", value=12)
        assert dev.post("/api/v1/events", json=few).status_code == 202
        assert op.get("/api/v1/alarms").json()["alarms"] == []
        full = event("c2", "crowd.count", zone="prayer-room", value=39, time="2026-07-02T13:46:10Z")
        assert dev.post("/api/v1/events", json=full).status_code == 202
        [alarm] = op.get("/api/v1/alarms").json()["alarms"]
        assert (alarm["type"], alarm["zone"]) == ("crowd_safety.overcapacity", "prayer-room")


def test_a_people_count_cannot_hide_behind_another_unit(tmp_path: Path) -> None:
    """Units are a closed set: a site cannot declare 'heads' to count attendees past the people-count floors."""
    schemas = tmp_path / "schemas.yaml"
    schemas.write_text("schemas:\n  room.heads:\n    value: heads\n")
    site = tmp_path / "site.yaml"
    site.write_text(SITE)
    with pytest.raises(ConfigRejected) as caught:
        Server(tmp_path / "data", FIRE, FakeClock(NOW), site=site, schemas=schemas).start()
    assert any("value: unknown unit 'heads': expected one of" in m for m in caught.value.messages)
