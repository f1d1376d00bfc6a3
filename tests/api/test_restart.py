"""Rule state and open alarms survive a restart of the server."""

from __future__ import annotations

from pathlib import Path

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.harness import Server

RULES = """
rules:
  - id: medical-cluster
    alarm: medical.cluster
    severity: high
    when: {type: report.medical, count: {gte: 3, within: 10m}}
    group_by: [zone]
  - id: device-silent
    alarm: technical.device_offline
    severity: low
    when: {absent: {type: heartbeat, for: 5m}}
    group_by: [source]
"""


def report(i: int) -> dict[str, object]:
    return {"id": f"m{i}", "source": f"steward-{i}", "type": "report.medical", "zone": "camping"}


def test_windows_timers_and_alarms_continue_after_a_restart(tmp_path: Path) -> None:
    clock = FakeClock(1_783_000_000.0)
    srv = Server(tmp_path / "data", RULES, clock)
    srv.start()
    with srv.client(Role.OPERATOR) as op:
        op.post("/api/v1/events", json=[report(1), report(2), {"source": "gate-1", "type": "heartbeat"}])
        assert op.get("/api/v1/alarms").json()["alarms"] == []
    srv.stop()

    clock.advance(60)
    srv.start()  # a new process would do the same: warm up from stored events
    with srv.client(Role.OPERATOR) as op:
        op.post("/api/v1/events", json=report(3))
        [cluster] = op.get("/api/v1/alarms").json()["alarms"]
        assert (cluster["rule"], cluster["zone"]) == ("medical-cluster", "camping")
        clock.advance(241)
        srv.tick()
        rules = sorted(a["rule"] for a in op.get("/api/v1/alarms").json()["alarms"])
        assert rules == ["device-silent", "medical-cluster"]
    srv.stop()

    srv.start()
    with srv.client(Role.OPERATOR) as op:
        op.post("/api/v1/events", json=report(4))  # a repeat on the open alarm, not a second alarm
        counts = {a["rule"]: a["count"] for a in op.get("/api/v1/alarms").json()["alarms"]}
        assert counts == {"medical-cluster": 2, "device-silent": 1}
    srv.stop()
