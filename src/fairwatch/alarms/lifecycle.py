"""Pure state machine of alarm handling: (state, action) -> state, or a Conflict naming what is allowed."""

from __future__ import annotations

from enum import StrEnum

from fairwatch.errors import Conflict
from fairwatch.model import AlarmState


class Action(StrEnum):
    """What a person can do to an alarm."""

    ACK = "ack"
    ASSIGN = "assign"
    COMMENT = "comment"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    SHELVE = "shelve"
    UNSHELVE = "unshelve"


_ALLOWED: dict[AlarmState, tuple[Action, ...]] = {
    AlarmState.OPEN: (Action.ACK, Action.ASSIGN, Action.COMMENT, Action.RESOLVE, Action.SHELVE),
    AlarmState.ACKNOWLEDGED: (Action.ASSIGN, Action.COMMENT, Action.RESOLVE, Action.SHELVE),
    AlarmState.SHELVED: (Action.ASSIGN, Action.COMMENT, Action.RESOLVE, Action.UNSHELVE),
    AlarmState.RESOLVED: (Action.COMMENT, Action.REOPEN),
}

_NEXT: dict[Action, AlarmState | None] = {
    Action.ACK: AlarmState.ACKNOWLEDGED,
    Action.ASSIGN: None,  # state unchanged
    Action.COMMENT: None,
    Action.RESOLVE: AlarmState.RESOLVED,
    Action.REOPEN: AlarmState.OPEN,
    Action.SHELVE: AlarmState.SHELVED,
    # A shelved alarm comes back unacknowledged, whatever it was before: it must be seen (and sound) again.
    Action.UNSHELVE: AlarmState.OPEN,
}


def allowed_actions(state: AlarmState) -> tuple[Action, ...]:
    """The actions a person may take on an alarm in `state`."""
    return _ALLOWED[state]


def transition(state: AlarmState, action: Action) -> AlarmState:
    """The state after `action`, or Conflict naming the current state and the allowed actions."""
    allowed = _ALLOWED[state]
    if action not in allowed:
        names = ", ".join(a.value for a in allowed)
        raise Conflict(
            f"cannot {action.value} an alarm that is {state.value}; allowed actions: {names}",
            state.value,
            [a.value for a in allowed],
        )
    return _NEXT[action] or state
