"""One bad event cannot fail its neighbours. The database refuses events by a trigger (a real constraint in the
store, as a CHECK or a column type would be); the writer retries a refused batch one submission, then one event,
at a time. Driver text never reaches a response: the refusal carries a correlation id that the log explains."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from fairwatch.errors import Unstorable
from fairwatch.model import Event, Role
from tests.harness import Server

RULES = """
rules:
  - id: hot
    alarm: fire.high_temperature
    severity: high
    when: {type: temperature, value: {gt: 55}}
    group_by: [zone]
"""
REFUSAL = "poison refused by the store"


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    with Server(tmp_path / "data", RULES) as s:
        with sqlite3.connect(s.data / "fairwatch.db") as conn:
            conn.execute(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON events WHEN NEW.eid LIKE 'poison%' "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )
        yield s


def hot(name: str, zone: str = "kitchen") -> dict[str, Any]:
    return {"id": name, "source": "temp-1", "type": "temperature", "zone": zone, "value": 70.0}


def stored(srv: Server) -> list[str]:
    with sqlite3.connect(srv.data / "fairwatch.db") as conn:
        return sorted(r[0] for r in conn.execute("SELECT eid FROM events"))


def event(name: str, zone: str) -> Event:
    return Event(name, "temp-1", "temperature", 1.0, 1.0, None, zone, 70.0)


def test_a_bad_submission_in_a_group_commit_fails_alone(srv: Server) -> None:
    assert srv.app is not None
    pipeline = srv.app.pipeline
    names = ["a", "poison-1", "b", "c"]

    async def together() -> list[Any]:
        # submitted in one loop iteration: one group commit
        jobs = [pipeline.submit([event(n, f"zone-{n}")]) for n in names]
        return await asyncio.gather(*jobs, return_exceptions=True)

    a, poison, b, c = srv.call(together())
    assert (a, b, c) == ((1, 0), (1, 0), (1, 0))
    assert isinstance(poison, Unstorable)
    assert [(p.index, p.value) for p in poison.problems] == [(0, "poison-1")]
    assert stored(srv) == ["a", "b", "c"]
    with srv.client(Role.OPERATOR) as op:
        zones = sorted(a["zone"] for a in op.get("/api/v1/alarms").json()["alarms"])
    assert zones == ["zone-a", "zone-b", "zone-c"]  # the refused event was not evaluated either


def test_a_refused_event_is_named_without_driver_text(srv: Server, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    with srv.client(Role.DEVICE) as dev:
        r = dev.post("/api/v1/events", json=[hot("x1"), hot("poison-2"), hot("x2")])
        assert r.status_code == 422
        body = r.json()
        assert body["error"] == "unstorable"
        assert body["message"] == "2 of 3 events stored; the store cannot hold 1 (see problems)"
        assert [(p["index"], p["value"]) for p in body["problems"]] == [(1, "poison-2")]
        assert REFUSAL not in r.text and "SQL" not in r.text and "sqlite" not in r.text.lower()
        cid = body["correlation_id"]
        assert any(cid in rec.getMessage() and REFUSAL in rec.getMessage() for rec in caplog.records)
        again = dev.post("/api/v1/events", json=[hot("x1"), hot("x2")])
        assert again.json() == {"accepted": 0, "duplicates": 2}
    assert stored(srv) == ["x1", "x2"]


def test_ingest_keeps_going_after_a_refusal(srv: Server) -> None:
    with srv.client(Role.DEVICE) as dev:
        assert dev.post("/api/v1/events", json=hot("poison-3")).status_code == 422
        r = dev.post("/api/v1/events", json=hot("y1"))
        assert (r.status_code, r.json()) == (202, {"accepted": 1, "duplicates": 0})
    assert stored(srv) == ["y1"]


def test_postgres_refuses_one_event_and_stores_the_neighbours(tmp_path: Path, postgres_url: str) -> None:
    # A NUL never reaches PostgreSQL any more (the input check refuses it first), so a trigger stands for the
    # value PostgreSQL cannot hold: it raises check_violation, as a CHECK constraint or a column type would.
    tag = tmp_path.name[-12:]
    with Server(tmp_path / "data", RULES, database_url=postgres_url) as srv, srv.client(Role.DEVICE) as dev:
        assert srv.app is not None
        with srv.app.store.engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE OR REPLACE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.eid LIKE '%-poison' THEN RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = '23514'; "
                    "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(text("DROP TRIGGER IF EXISTS refuse_poison ON events"))
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
                )
            )
        batch = [hot(f"{tag}-a"), hot(f"{tag}-poison"), hot(f"{tag}-b")]
        r = dev.post("/api/v1/events", json=batch)
        assert r.status_code == 422
        body = r.json()
        assert [(p["index"], p["value"]) for p in body["problems"]] == [(1, f"{tag}-poison")]
        assert body["message"].startswith("2 of 3 events stored") and body["correlation_id"]
        assert REFUSAL not in r.text
        again = dev.post("/api/v1/events", json=[batch[0], batch[2]])
        assert again.json() == {"accepted": 0, "duplicates": 2}
        with srv.app.store.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER refuse_poison ON events"))
