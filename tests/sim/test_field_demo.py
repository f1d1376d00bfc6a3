"""The Riverside demo's field teams: units put on duty once, then moving through statuses and sending two field
reports, through the same writer functions as the API (audited, on the incident's log)."""

from __future__ import annotations

from pathlib import Path

from fairwatch.clock import FakeClock
from fairwatch.field.checklists import load_checklists, readiness, states
from fairwatch.model import Role
from fairwatch.sim import (
    demo_cards_path,
    demo_checklists_path,
    demo_site_path,
    run_units,
    seed_incidents,
    seed_units,
)
from fairwatch.sim.field_units import SCRIPT
from tests.harness import Server

T0 = 1_783_000_000.0


def test_the_demo_units_move_through_statuses_and_report(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    with Server(tmp_path, None, clock, site=demo_site_path(), cards=demo_cards_path()) as srv:
        assert srv.app is not None
        app = srv.app
        with app.store.transaction() as txn:
            seed_incidents(txn, app.ctx.incidents, T0)
            assert seed_units(txn, app.ctx.field_desk, 1, T0) == 4
        with app.store.transaction() as txn:
            assert seed_units(txn, app.ctx.field_desk, 1, T0) == 0  # once
        start = {u.name: u.status for u in app.store.list_units()}
        assert start == {"Medic 2": "en_route", "Security 1": "en_route", "Steward North": "available",
                         "Fire Watch": "off_duty"}  # fmt: skip

        async def sleep(seconds: float) -> None:
            clock.advance(seconds)

        lists = load_checklists(demo_checklists_path(), app.config.site.zone_ids if app.config.site else None)

        async def play() -> int:
            return await run_units(app.pipeline, app.ctx.field_desk, app.hub, clock, sleep,
                                   taxonomy=app.config.taxonomy, schemas=app.config.schemas, lists=lists)  # fmt: skip

        assert srv.call(play()) == len(SCRIPT)
        end = {u.name: u.status for u in app.store.list_units()}
        assert end == {"Medic 2": "available", "Security 1": "on_scene", "Steward North": "available",
                       "Fire Watch": "available"}  # fmt: skip
        reports = [e for e in app.store.iter_events() if e.id.startswith("demo-report-")]
        assert sorted(e.type for e in reports) == ["report.crowd", "report.medical"]
        zones = {z["zone"]: z for z in readiness(lists, states(app.store, lists))}
        assert (zones["north-gate"]["ok"], zones["food-court"]["failed"]) == (2, 1)
        with srv.client(Role.VIEWER) as viewer:
            log = viewer.get("/api/v1/incidents/1").json()["log"]
        assert "Unit Medic 2: on_scene -> clear" in [e["text"] for e in log]
