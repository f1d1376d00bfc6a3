"""The handling state machine: every (state, action) pair."""

from __future__ import annotations

import pytest

from fairwatch.alarms import Action, allowed_actions, transition
from fairwatch.errors import Conflict
from fairwatch.model import AlarmState

OPEN, ACK, RES = AlarmState.OPEN, AlarmState.ACKNOWLEDGED, AlarmState.RESOLVED
SHELF = AlarmState.SHELVED

TABLE = [
    (OPEN, Action.ACK, ACK),
    (OPEN, Action.ASSIGN, OPEN),
    (OPEN, Action.COMMENT, OPEN),
    (OPEN, Action.RESOLVE, RES),
    (OPEN, Action.REOPEN, None),
    (ACK, Action.ACK, None),
    (ACK, Action.ASSIGN, ACK),
    (ACK, Action.COMMENT, ACK),
    (ACK, Action.RESOLVE, RES),
    (ACK, Action.REOPEN, None),
    (RES, Action.ACK, None),
    (RES, Action.ASSIGN, None),
    (RES, Action.COMMENT, RES),
    (RES, Action.RESOLVE, None),
    (RES, Action.REOPEN, OPEN),
    # Shelving (ISA-18.2): from either active state; back unacknowledged, whatever it was before.
    (OPEN, Action.SHELVE, SHELF),
    (ACK, Action.SHELVE, SHELF),
    (RES, Action.SHELVE, None),
    (SHELF, Action.SHELVE, None),
    (SHELF, Action.UNSHELVE, OPEN),
    (SHELF, Action.ACK, None),
    (SHELF, Action.ASSIGN, SHELF),
    (SHELF, Action.COMMENT, SHELF),
    (SHELF, Action.RESOLVE, RES),
    (SHELF, Action.REOPEN, None),
    (OPEN, Action.UNSHELVE, None),
    (ACK, Action.UNSHELVE, None),
    (RES, Action.UNSHELVE, None),
]


@pytest.mark.parametrize(
    ("state", "action", "after"), TABLE, ids=[f"{s.value}-{a.value}" for s, a, _ in TABLE]
)
def test_transition(state: AlarmState, action: Action, after: AlarmState | None) -> None:
    if after is not None:
        assert transition(state, action) is after
        assert action in allowed_actions(state)
        return
    with pytest.raises(Conflict) as info:
        transition(state, action)
    names = ", ".join(a.value for a in allowed_actions(state))
    assert (
        str(info.value) == f"cannot {action.value} an alarm that is {state.value}; allowed actions: {names}"
    )
    assert info.value.state == state.value
    assert info.value.allowed == [a.value for a in allowed_actions(state)]
