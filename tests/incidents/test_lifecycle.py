"""The incident state machine: every (state, action) pair, with the reason it names."""

from __future__ import annotations

import pytest

from fairwatch.errors import Conflict
from fairwatch.incidents import Action, IncidentState, Reason, allowed_actions, transition

OPEN, HOLD, CLOSED = IncidentState.OPEN, IncidentState.ON_HOLD, IncidentState.CLOSED

TABLE: list[tuple[IncidentState, Action, tuple[IncidentState, Reason] | None]] = [
    (OPEN, Action.HOLD, (HOLD, Reason.HELD)),
    (OPEN, Action.RESUME, None),  # not on hold
    (OPEN, Action.CLOSE, (CLOSED, Reason.CLOSED)),
    (OPEN, Action.REOPEN, None),  # not closed
    (HOLD, Action.HOLD, None),
    (HOLD, Action.RESUME, (OPEN, Reason.RESUMED)),
    (HOLD, Action.CLOSE, (CLOSED, Reason.CLOSED)),  # closing while waiting, e.g. handed over
    (HOLD, Action.REOPEN, None),
    (CLOSED, Action.HOLD, None),
    (CLOSED, Action.RESUME, None),
    (CLOSED, Action.CLOSE, None),  # closed once: its disposition is not overwritten
    (CLOSED, Action.REOPEN, (OPEN, Reason.REOPENED)),
]


@pytest.mark.parametrize(
    ("state", "action", "after"), TABLE, ids=[f"{s.value}-{a.value}" for s, a, _ in TABLE]
)
def test_transition(state: IncidentState, action: Action, after: tuple[IncidentState, Reason] | None) -> None:
    if after is not None:
        assert transition(state, action) == after
        assert action in allowed_actions(state)
        return
    with pytest.raises(Conflict) as info:
        transition(state, action)
    assert info.value.state == state.value
    assert info.value.allowed == [a.value for a in allowed_actions(state)]
    assert state.value in str(info.value)
