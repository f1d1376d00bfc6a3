"""A real server with a fake clock, a rule that turns medical field reports into alarms, and clients of each role;
`phone()` signs a client in with a one-time link, as the /field app does."""

from __future__ import annotations

import re
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
  - id: medical-report
    alarm: medical.emergency
    severity: high
    when: {type: report.medical}
    group_by: [source]
  - id: hot
    alarm: fire.high_temperature
    severity: high
    when: {type: temperature, value: {gt: 55}}
    group_by: [zone]
"""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def srv(tmp_path: Path, clock: FakeClock) -> Iterator[Server]:
    data = tmp_path / "data"
    data.mkdir()
    with Server(data, RULES, clock, flood_threshold=0) as s:
        yield s


@pytest.fixture
def sup(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.SUPERVISOR) as c:
        yield c


@pytest.fixture
def op(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.OPERATOR) as c:
        yield c


def make_unit(sup: httpx.Client, name: str = "Medic 2", kind: str = "medic") -> dict[str, Any]:
    r = sup.post("/api/v1/units", json={"name": name, "kind": kind, "members": 2})
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def invite_link(sup: httpx.Client, unit_id: int, **body: Any) -> str:
    r = sup.post(f"/api/v1/units/{unit_id}/invites", json=body)
    assert r.status_code == 201, r.text
    link: str = r.json()["link"]
    return link


class Phone:
    """A client signed in with a one-time link: the session cookie, and the CSRF token its page carries."""

    def __init__(self, srv: Server, link: str) -> None:
        self.http = httpx.Client(base_url=srv.url, timeout=20, follow_redirects=True)
        r = self.http.get(link)  # follows the redirect to /field
        assert r.status_code == 200, r.text
        found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', r.text)
        assert found is not None
        self.csrf = found.group(1)

    def post(self, path: str, body: Any = None) -> httpx.Response:
        return self.http.post(
            path, json=body if body is not None else {}, headers={"X-CSRF-Token": self.csrf}
        )

    def get(self, path: str) -> httpx.Response:
        return self.http.get(path)

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def phone(srv: Server, sup: httpx.Client) -> Iterator[tuple[Phone, dict[str, Any]]]:
    unit = make_unit(sup)
    p = Phone(srv, invite_link(sup, unit["id"]))
    yield p, unit
    p.close()


def alarms_of(client: httpx.Client, alarm_type: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get("/api/v1/alarms", params={"type": alarm_type}).json()["alarms"]
    return found
