"""The Riverside demo opens a few exercise incidents with log traffic, once, through the incident writer."""

from __future__ import annotations

from pathlib import Path

from fairwatch.audit import verify_chain
from fairwatch.clock import FakeClock
from fairwatch.model import Role
from fairwatch.sim import demo_cards_path, demo_site_path, seed_incidents
from tests.harness import Server
from tests.incidents.conftest import T0


def test_the_demo_seeds_incidents_once(tmp_path: Path) -> None:
    with Server(tmp_path, None, FakeClock(T0), site=demo_site_path(), cards=demo_cards_path()) as srv:
        assert srv.app is not None
        app = srv.app
        with app.store.transaction() as txn:
            assert seed_incidents(txn, app.ctx.incidents, T0) == 2
        with app.store.transaction() as txn:
            assert seed_incidents(txn, app.ctx.incidents, T0) == 0
        with srv.client(Role.VIEWER) as viewer:
            listed = viewer.get("/api/v1/incidents").json()["incidents"]
            assert [(i["number"], i["state"], i["exercise"]) for i in listed] == [
                ("2026-0002", "closed", True),
                ("2026-0001", "open", True),
            ]
            crush = viewer.get(f"/api/v1/incidents/{listed[1]['id']}").json()
            assert {e["kind"] for e in crush["log"]} >= {"radio", "decision", "methane"}
            assert crush["tasks"][0]["title"] == "Hold inflow at the gates"
            assert viewer.get("/api/v1/log").json()["log"][0]["kind"] == "note"
        with srv.client(Role.OPERATOR) as op:
            body = {"title": "x", "type": "fire.smoke", "zone": "no-such-zone"}
            refused = op.post("/api/v1/incidents", json=body)
            assert refused.status_code == 422 and refused.json()["problems"][0]["field"] == "zone"
            assert op.post("/api/v1/incidents", json={**body, "zone": "food-court"}).status_code == 201
        records = list(app.store.iter_audit())
        assert verify_chain(records).ok
