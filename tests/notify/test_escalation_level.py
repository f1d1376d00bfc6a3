"""The escalation level an alarm reached, read from the idents of the steps the notification log holds for it
(`level_reached`); the queue and the alarm page show it as `escalation_level`."""

from __future__ import annotations

import pytest

from fairwatch.model import AlarmState
from fairwatch.notify.escalation import Episode, level_reached

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
