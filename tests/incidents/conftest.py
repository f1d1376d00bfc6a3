"""A real server with rules that raise alarms on demand, and clients of each role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.harness import Server

T0 = 1_783_000_000.0  # 2026-07-02T13:46:40Z
RULES = """
rules:
  - id: hot
    alarm: fire.high_temperature
    severity: high
    when: {type: temperature, value: {gt: 55}}
    group_by: [zone]
"""
CARDS = """
cards:
  - type: crowd_safety.crush_risk
    tasks:
      - Hold inflow at the gates
      - Show-stop yellow card to stage manager
      - Open relief exits
"""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def srv(tmp_path: Path, clock: FakeClock) -> Iterator[Server]:
    data = tmp_path / "data"
    data.mkdir()
    (data / "cards.yaml").write_text(CARDS)
    with Server(data, RULES, clock, cards=data / "cards.yaml", flood_threshold=0) as s:
        yield s


@pytest.fixture
def op(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.OPERATOR) as c:
        yield c


@pytest.fixture
def sup(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.SUPERVISOR) as c:
        yield c


def raise_alarm(client: httpx.Client, zone: str) -> int:
    """An alarm raised through ingest; its id."""
    event = {"source": f"t-{zone}", "type": "temperature", "zone": zone, "value": 80}
    assert client.post("/api/v1/events", json=event).status_code == 202
    alarms = client.get("/api/v1/alarms", params={"zone": zone}).json()["alarms"]
    return int(alarms[0]["id"])


def create(client: httpx.Client, **body: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"title": "Crush risk at gate B", "type": "crowd_safety.crush_risk"}
    r = client.post("/api/v1/incidents", json={**base, **body})
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out
