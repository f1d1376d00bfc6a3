"""An escalation whose tick cannot be stored (a full disk, on a real tmpfs) fires again on the next tick: the
timer re-reads what is due from the store, so a rolled-back escalation is not lost and none is raised twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from fairwatch.welfare import ESCALATION_TYPE
from tests.harness import Server
from tests.welfare.conftest import MINUTE, T0, open_case
from tests.writer.helpers import small_disk
from tests.writer.test_writer_disk_full import fill_until_refused


def test_a_failed_escalation_tick_escalates_on_the_next(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    with (
        small_disk(tmp_path / "disk") as disk,
        Server(disk / "data", None, clock) as srv,
        srv.client(Role.WELFARE) as welfare,
        srv.client(Role.OPERATOR) as op,
    ):
        case = open_case(welfare)
        clock.advance(20 * MINUTE)
        ballast, _ = fill_until_refused(op, disk)
        with pytest.raises(Exception, match="database disk is full"):
            srv.tick()
        ballast.unlink()
        assert welfare.get(f"/api/v1/welfare/cases/{case['id']}").json()["escalated_at"] is None
        assert srv.tick() == 1
        assert srv.tick() == 0  # once
        alarms = op.get("/api/v1/alarms", params={"type": ESCALATION_TYPE}).json()["alarms"]
        assert [a["zone"] for a in alarms] == ["food-court"]
