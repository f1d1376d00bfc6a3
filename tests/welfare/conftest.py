"""A real server (SQLite file, real HTTP) with a fake clock, and clients of each role."""

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
MINUTE = 60.0
HOUR = 3600.0
# Narrative that must never leave the case: each test looks for these in everything that goes out.
CLOTHING = "red raincoat with yellow boots, answers to Mia"
CONTACT = "carer at the info point, phone 0170 5550123"
CASE: dict[str, Any] = {
    "kind": "missing_person",
    "age_band": "5_to_8",
    "height_band": "100_to_130cm",
    "clothing": CLOTHING,
    "last_seen_zone": "food-court",
    "last_seen_at": "2026-07-02T13:40:00Z",
    "vulnerable": False,
    "contact": CONTACT,
}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def srv(tmp_path: Path, clock: FakeClock) -> Iterator[Server]:
    with Server(tmp_path / "data", None, clock, flood_threshold=0) as s:
        yield s


@pytest.fixture
def welfare(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.WELFARE) as c:
        yield c


@pytest.fixture
def op(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.OPERATOR) as c:
        yield c


@pytest.fixture
def sup(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.SUPERVISOR) as c:
        yield c


def open_case(c: httpx.Client, **body: Any) -> dict[str, Any]:
    r = c.post("/api/v1/welfare/cases", json={**CASE, **body})
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


# The store contract fixtures (memory, SQLite, PostgreSQL), for test_store.py.
from tests.store.conftest import open_store, store  # noqa: E402, F401
