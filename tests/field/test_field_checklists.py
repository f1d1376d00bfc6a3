"""Readiness checks: strict checklist files, ticks from the assigned unit's phone, readiness per zone, and the
`opening` gate held by a failed severe item until a supervisor resolves it (audited)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairwatch.clock import FakeClock
from fairwatch.errors import ConfigError
from fairwatch.field.checklists import Checklists, blocking, parse_checklists, readiness
from fairwatch.model import Role
from tests.field.conftest import T0, Phone, invite_link, make_unit
from tests.harness import Server

CHECKLISTS = """
checklists:
  - id: exit-4
    checkpoint: Exit 4
    zone: river
    unit: Steward North
    items:
      - {id: clear, text: Exit 4 unobstructed, severity: critical}
      - {id: extinguisher, text: Fire extinguisher present, severity: medium}
  - id: gate-b
    checkpoint: Gate B
    zone: gates
    unit: Alpha
    gate: show
    items:
      - {id: barrier, text: Barrier line complete, severity: high}
"""


def test_a_checklist_file_is_read_strictly() -> None:
    lists = parse_checklists(CHECKLISTS)
    assert [(c.id, c.gate, len(c.items)) for c in lists.lists] == [
        ("exit-4", "opening", 2),
        ("gate-b", "show", 1),
    ]
    bad = """
checklists:
  - id: Exit 4
    checkpoint: Protest watch point
    zone: nowhere
    items:
      - {id: a, text: Clear, severity: severe}
"""
    with pytest.raises(ConfigError) as info:
        parse_checklists(bad, "c.yaml", frozenset({"river"}))
    assert info.value.messages == [
        "c.yaml:3: checklist 1: id: must be 1-64 of a-z, 0-9, '-', '_' (got 'Exit 4')",
        "c.yaml:4: checklist 1: checkpoint: refused by the rights guard: peaceful_assembly: 'protest'"
        " (targets peaceful assembly; en lexicon)"
        " (got 'Protest watch point')",
        "c.yaml:5: checklist 1: zone: not a zone of the site (got 'nowhere')",
        "c.yaml:7: checklist 1: items[0].severity: must be one of low, medium, high, critical (got 'severe')",
    ]


@pytest.mark.parametrize(
    ("clear", "phase", "held"),
    [
        ("failed", "opening", ["Exit 4: Exit 4 unobstructed (critical)"]),
        ("ok", "opening", []),
        ("resolved", "opening", []),  # a supervisor resolved or overrode it
        ("pending", "opening", []),  # not ticked yet holds nothing (readiness shows it pending)
        ("failed", "show", []),  # another phase's gate
    ],
    ids=["failed", "ok", "resolved", "pending", "other-gate"],
)
def test_the_gate_holds_only_for_failed_severe_items(clear: str, phase: str, held: list[str]) -> None:
    lists = parse_checklists(CHECKLISTS)
    found = {(c.id, i.id): {"state": "pending"} for c in lists.lists for i in c.items}
    found[("exit-4", "clear")] = {"state": clear}
    found[("exit-4", "extinguisher")] = {"state": "failed"}  # medium: never holds
    assert blocking(lists, found, phase) == held
    river = readiness(lists, found)[0]
    assert (river["zone"], river["ready"]) == ("river", False)


def test_readiness_of_no_checklists_is_empty() -> None:
    assert readiness(Checklists(), {}) == []


@pytest.fixture
def gated(tmp_path: Path) -> Server:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "rules.yaml").write_text("rules: []\n")
    (folder / "phases.yaml").write_text(
        "phases:\n  - {id: build-up, rules: rules.yaml}\n  - {id: opening, rules: rules.yaml}\n"
    )
    (folder / "checklists.yaml").write_text(CHECKLISTS)
    return Server(
        folder,
        None,
        FakeClock(T0),
        phases=folder / "phases.yaml",
        field_checklists=folder / "checklists.yaml",
    )


def test_a_failed_severe_item_holds_opening_until_a_supervisor_resolves_it(gated: Server) -> None:
    with gated as srv, srv.client(Role.SUPERVISOR) as sup, srv.client(Role.OPERATOR) as op:
        steward = make_unit(sup, "Steward North", "steward")
        alpha = make_unit(sup, "Alpha", "steward")
        phone = Phone(srv, invite_link(sup, steward["id"]))
        other = Phone(srv, invite_link(sup, alpha["id"]))
        assert other.post("/api/v1/checklists/exit-4/items/clear", {"state": "ok"}).status_code == 403
        r = phone.post("/api/v1/checklists/exit-4/items/clear", {"state": "failed"})
        assert (r.status_code, r.json()["state"]) == (200, "failed")
        assert phone.post("/api/v1/checklists/exit-4/items/clear", {"state": "maybe"}).status_code == 422
        mine = phone.get("/api/v1/readiness").json()["zones"]
        assert [c["id"] for z in mine for c in z["checklists"]] == ["exit-4"]  # a phone sees its own
        zones = {z["zone"]: z for z in op.get("/api/v1/readiness").json()["zones"]}
        assert (zones["river"]["failed"], zones["river"]["severe_failed"], zones["river"]["ready"]) == (
            1,
            1,
            False,
        )
        held = sup.post("/api/v1/phase", json={"phase": "opening", "reason": "doors"})
        assert held.status_code == 409
        assert "Exit 4: Exit 4 unobstructed (critical)" in held.json()["message"]
        assert (
            op.post("/api/v1/checklists/exit-4/items/clear/override", json={"reason": "x"}).status_code == 403
        )
        r = sup.post(
            "/api/v1/checklists/exit-4/items/clear/override", json={"reason": "second exit staffed instead"}
        )
        assert (r.status_code, r.json()["state"]) == (200, "resolved")
        assert sup.post("/api/v1/phase", json={"phase": "opening", "reason": "doors"}).status_code == 200
        assert srv.app is not None
        actions = [rec.action for rec in srv.app.store.history("checklist:exit-4")]
        assert actions == ["checklist-item-ticked", "checklist-item-overridden"]
        phone.close()
        other.close()


def test_an_unknown_checklist_or_item_is_404(gated: Server) -> None:
    with gated as srv, srv.client(Role.OPERATOR) as op:
        assert op.post("/api/v1/checklists/nope/items/clear", json={"state": "ok"}).status_code == 404
        assert op.post("/api/v1/checklists/exit-4/items/nope", json={"state": "ok"}).status_code == 404
        r = op.post("/api/v1/checklists/exit-4/items/extinguisher", json={"state": "ok"})
        assert r.status_code == 200
