"""A scripted shift played through a real server with a fake clock: alarms raised, acknowledged, cleared and
raised again through ingest; incidents opened, logged, dispatched and closed through the API.

`Shift` records what the script did (when each alarm went active, in which hazard class, when it was
acknowledged, each incident's reported and dispatch times), so tests compute the expected figures from the script
itself, never from the report code.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairwatch.clock import FakeClock
from fairwatch.events.validate import rfc3339
from fairwatch.model import Role
from tests.harness import Server

T0 = 1_783_000_000.0  # 2026-07-02T13:46:40Z
H0 = math.floor(T0 / 3600) * 3600 + 3600  # 14:00Z: the report covers [H0, H0 + 3 h)
START, END = H0, H0 + 3 * 3600

RULES = """
rules:
  - id: hot
    alarm: fire.high_temperature
    severity: high
    when: {type: temperature, value: {gt: 55}}
    group_by: [zone]
    clear: {value: {lt: 50}}
  - id: dense
    alarm: crowd_safety.high_density
    severity: high
    when: {type: crowd.density, value: {gt: 4}}
    group_by: [zone]
    clear: {value: {lt: 3}}
  - id: panic
    alarm: violence.panic_alarm
    severity: critical
    when: {type: panic.pressed}
    group_by: [zone]
    clear: {type: panic.reset}
"""
# What each event type raises, and the hazard class of that alarm type in the built-in taxonomy.
CLASS_OF = {"temperature": "fire", "crowd.density": "crowd_safety", "panic.pressed": "violence"}
ALARM_OF = {
    "temperature": "fire.high_temperature",
    "crowd.density": "crowd_safety.high_density",
    "panic.pressed": "violence.panic_alarm",
}


@dataclass
class Shift:
    """What the script did, in its own terms."""

    srv: Server
    activations: list[tuple[float, str, str]] = field(default_factory=list)  # (time, hazard class, zone)
    ends: list[tuple[float, str, str]] = field(default_factory=list)  # an activation cleared or resolved
    raised: dict[int, float] = field(default_factory=dict)  # alarm id -> first raised
    acked: dict[int, float] = field(default_factory=dict)  # alarm id -> first acknowledged
    incidents: list[dict[str, Any]] = field(default_factory=list)  # as the API returned them, last version
    decisions: list[tuple[str, str, str]] = field(default_factory=list)  # (incident number, text, reason)


class Script:
    """Drives the server: each step sets the fake clock to H0 + `at` seconds first."""

    def __init__(self, srv: Server, clock: FakeClock, op: httpx.Client) -> None:
        self.srv, self.clock, self.op = srv, clock, op
        self.shift = Shift(srv)

    def at(self, seconds: float) -> float:
        self.clock.set(H0 + seconds)
        return H0 + seconds

    def event(
        self,
        at: float,
        type_: str,
        zone: str,
        value: float | None = None,
        *,
        activates: bool,
        ends: bool = False,
    ) -> int:
        """Send an event; when the script says it makes an alarm go active (or clears it), record that. The
        alarm's id."""
        now = self.at(at)
        event: dict[str, Any] = {"source": f"s-{zone}", "type": type_, "zone": zone, "site": "riverside"}
        if value is not None:
            event["value"] = value
        assert self.op.post("/api/v1/events", json=event).status_code == 202
        query = {"zone": zone, "type": ALARM_OF.get(type_, "")}
        alarms = self.op.get("/api/v1/alarms", params=query).json()["alarms"]
        if not activates and not alarms:
            return 0
        alarm_id = int(alarms[0]["id"])
        if activates:
            self.shift.activations.append((now, CLASS_OF[type_], zone))
            self.shift.raised.setdefault(alarm_id, now)
        if ends:
            self.shift.ends.append((now, CLASS_OF[type_], zone))
        return alarm_id

    def ack(self, at: float, alarm_id: int) -> None:
        now = self.at(at)
        assert self.op.post(f"/api/v1/alarms/{alarm_id}/ack").status_code == 200
        self.shift.acked[alarm_id] = now

    def resolve(self, at: float, alarm_id: int, cls: str, zone: str) -> None:
        now = self.at(at)
        r = self.op.post(f"/api/v1/alarms/{alarm_id}/resolve", json={"disposition": "handled"})
        assert r.status_code == 200, r.text
        self.shift.ends.append((now, cls, zone))

    def incident(self, at: float, **body: Any) -> dict[str, Any]:
        self.at(at)
        r = self.op.post("/api/v1/incidents", json={"title": "Incident", **body})  # a title in `body` wins
        assert r.status_code == 201, r.text
        inc: dict[str, Any] = r.json()
        self.shift.incidents.append(inc)
        return inc

    def decide(self, at: float, inc: dict[str, Any], text: str, reason: str) -> int:
        self.at(at)
        body = {"kind": "decision", "text": text, "reason": reason}
        r = self.op.post(f"/api/v1/incidents/{inc['id']}/log", json=body)
        assert r.status_code == 201, r.text
        self.shift.decisions.append((inc["number"], text, reason))
        return int(r.json()["id"])

    def patch(self, at: float, inc: dict[str, Any], **body: Any) -> None:
        self.at(at)
        r = self.op.patch(f"/api/v1/incidents/{inc['id']}", json=body)
        assert r.status_code == 200, r.text
        self._keep(r.json())

    def close(self, at: float, inc: dict[str, Any]) -> None:
        self.at(at)
        r = self.op.post(
            f"/api/v1/incidents/{inc['id']}/close", json={"disposition": "resolved", "note": "ok"}
        )
        assert r.status_code == 200, r.text
        self._keep(r.json())

    def _keep(self, inc: dict[str, Any]) -> None:
        self.shift.incidents = [inc if i["id"] == inc["id"] else i for i in self.shift.incidents]


def play(script: Script) -> Shift:
    """Three hours of a festival afternoon, with activity just before and after the report's period."""
    s = script
    # Before the period: raised at 13:50, acknowledged inside the period; neither counts.
    early = s.event(-600, "temperature", "north", 70, activates=False)
    s.incident(-300, type="fire.smoke", zone="north")
    s.ack(60, early)
    # 14:00-15:00: a fire alarm, a crowd alarm that clears and goes active again, an incident on it.
    a1 = s.event(300, "temperature", "stage", 80, activates=True)
    s.ack(360, a1)  # 60 s
    a2 = s.event(600, "crowd.density", "gate-b", 5, activates=True)
    i1 = s.incident(
        720, title="Crowd pressure at gate B", type="crowd_safety.crush_risk", zone="gate-b", alarms=[a2]
    )
    s.decide(780, i1, "Hold inflow at gate B", "Density above 4 persons/m2 at the gate")
    s.ack(840, a2)  # 240 s
    s.patch(900, i1, first_dispatch_at=rfc3339(H0 + 960))  # 240 s after it was reported
    s.event(1200, "crowd.density", "gate-b", 2, activates=False, ends=True)  # clears a2
    s.event(1800, "crowd.density", "gate-b", 5, activates=True)  # a2 active again
    s.event(2400, "temperature", "stage", 40, activates=False, ends=True)  # clears a1
    s.close(2700, i1)
    # 15:00-16:00: a panic alarm resolved while active, a second fire alarm nobody acknowledges; an incident with a correction.
    a3 = s.event(3720, "panic.pressed", "bar", activates=True)
    s.ack(3810, a3)  # 90 s
    s.resolve(4000, a3, "violence", "bar")  # resolved while still active: no longer standing
    s.event(4500, "temperature", "bar", 90, activates=True)
    i2 = s.incident(4560, title="Smoke in the bar tent", type="fire.suspected", zone="bar")
    decision = s.decide(4600, i2, "Evacuate the bar tent", "Smoke and heat together")
    s.at(4620)
    fix = {"kind": "correction", "text": "Evacuate the bar tent and the kitchen", "corrects": decision}
    assert s.op.post(f"/api/v1/incidents/{i2['id']}/log", json=fix).status_code == 201
    s.patch(4650, i2, first_dispatch_at=rfc3339(H0 + 4650))  # 90 s
    # 16:00-17:00: a crowd alarm on the stage and a medical incident without decisions.
    a5 = s.event(7200 + 1200, "crowd.density", "stage", 6, activates=True)
    s.ack(7200 + 1800, a5)  # 600 s
    i3 = s.incident(
        7200 + 1260, title="Person collapsed at the stage front", type="medical.emergency", zone="stage"
    )
    s.patch(7200 + 1500, i3, first_dispatch_at=rfc3339(H0 + 7200 + 1860))  # 600 s
    # After the period: neither the alarm nor the incident counts.
    s.event(3 * 3600 + 300, "temperature", "south", 77, activates=False)
    s.incident(3 * 3600 + 360, type="fire.smoke", zone="south")
    return s.shift


@pytest.fixture(scope="module")
def shift(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shift]:
    data: Path = tmp_path_factory.mktemp("report") / "data"
    data.mkdir()
    clock = FakeClock(T0)
    with Server(data, RULES, clock, flood_threshold=0) as srv, srv.client(Role.OPERATOR) as op:
        yield play(Script(srv, clock, op))


@pytest.fixture(scope="module")
def sup(shift: Shift) -> Iterator[httpx.Client]:
    with shift.srv.client(Role.SUPERVISOR) as c:
        yield c
