"""The handling state machine: every (state, action) pair."""

from __future__ import annotations

import pytest

from fairwatch.alarms import Action, allowed_actions, transition
from fairwatch.errors import Conflict
from fairwatch.model import AlarmState

OPEN, ACK, RES = AlarmState.OPEN, AlarmState.ACKNOWLEDGED, AlarmState.RESOLVED

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
