"""The escalation level an alarm reached, read from the idents of the steps the notification log holds for it
(`level_reached`), and `escalation_level` in the alarm API, which the queue and the alarm page show."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairwatch.clock import FakeClock
from fairwatch.model import AlarmState, Role
from fairwatch.notify.escalation import Episode, level_reached
from tests.harness import Server
from tests.notify.conftest import RULES, T0

EPISODE = Episode(AlarmState.OPEN, 1_783_000_000.0)
AT = "@1783000000000"  # the episode's start in ms, as step idents carry it
REOPENED = "@1783000900000"

# (case id, step idents in the log, level)
CASES = [
    ("nothing-sent", [], 0),
    ("level-1", [f"escalation-fire-duty-1-0{AT}"], 1),
    ("level-2-with-repeats", [f"escalation-fire-duty-1-0{AT}", f"escalation-fire-duty-2-3{AT}"], 2),
    ("two-policies-take-the-highest", [f"escalation-a-1-0{AT}", f"escalation-b-3-0{AT}"], 3),
    ("dashes-in-the-policy-name", [f"escalation-night-shift-duty-2-0{AT}"], 2),
    (
        "another-episode-does-not-count",
        [f"escalation-fire-duty-2-0{REOPENED}", f"escalation-fire-duty-1-0{AT}"],
        1,
    ),
    ("ack-timeouts-are-not-levels", [f"ack-timeout-fire-duty-1-4{AT}"], 0),
]


@pytest.mark.parametrize(("done", "level"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_level_reached(done: list[str], level: int) -> None:
    assert level_reached(done, EPISODE) == level


NOTIFY = """
receivers:
  - {name: duty, webhook: {url: "http://127.0.0.1:9/duty"}}
  - {name: safety, webhook: {url: "http://127.0.0.1:9/safety"}}
escalations:
  - name: fire-duty
    levels:
      - {after: 5m, receivers: [duty]}
      - {after: 15m, receivers: [safety]}
routes:
  - {type: fire.*, escalation: fire-duty}
"""


def _level(srv: Server, alarm_id: int) -> tuple[int, int]:
    """`escalation_level` as the alarm list and the alarm detail show it."""
    with srv.client(Role.VIEWER) as c:
        listed = {a["id"]: a for a in c.get("/api/v1/alarms").json()["alarms"]}[alarm_id]
        return listed["escalation_level"], c.get(f"/api/v1/alarms/{alarm_id}").json()["escalation_level"]


def test_the_api_shows_the_level_reached_through_ack_restart_and_reopen(tmp_path: Path) -> None:
    notify = tmp_path / "notify.yaml"
    notify.write_text(NOTIFY)
    clock = FakeClock(T0)
    srv = Server(tmp_path / "data", RULES, clock, notify=notify, notify_interval=0)

    def run_due() -> None:
        assert srv.app is not None and srv.app.notify.escalations is not None
        srv.call(srv.app.notify.escalations.run_due(clock.now()))

    def act(action: str, **body: str) -> None:
        with srv.client(Role.SUPERVISOR) as c:
            assert c.post(f"/api/v1/alarms/1/{action}", json=body or None).status_code == 200

    srv.start()
    try:
        with srv.client(Role.DEVICE) as c:
            event = {"id": "e1", "source": "temp-1", "type": "temperature", "zone": "food-court", "value": 61}
            assert c.post("/api/v1/events", json=event).status_code == 202
        assert _level(srv, 1) == (0, 0)
        clock.set(T0 + 6 * 60)
        run_due()
        assert _level(srv, 1) == (1, 1)
        clock.set(T0 + 16 * 60)
        run_due()
        assert _level(srv, 1) == (2, 2)
        act("ack")
        assert _level(srv, 1) == (2, 2)  # how far it went stays visible after the acknowledgement
        srv.stop()
        srv.start()  # read back from the notification log
        assert _level(srv, 1) == (2, 2)
        act("resolve", disposition="handled")
        act("reopen", reason="smoke again")
        assert _level(srv, 1) == (0, 0)  # a reopened alarm starts a new episode
    finally:
        srv.stop()


def test_without_escalation_policies_every_level_is_zero(tmp_path: Path) -> None:
    with Server(tmp_path / "data", RULES, FakeClock(T0)) as srv:
        with srv.client(Role.DEVICE) as c:
            event = {"id": "e1", "source": "temp-1", "type": "temperature", "zone": "food-court", "value": 61}
            assert c.post("/api/v1/events", json=event).status_code == 202
        assert _level(srv, 1) == (0, 0)
