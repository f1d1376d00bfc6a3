"""Pure state machine of an incident: (state, action) -> (state, reason), or a Conflict naming what is allowed.

open -> on_hold <-> open -> closed; a closed incident is reopened (by a supervisor: the API checks the role).
"""

from __future__ import annotations

from enum import StrEnum

from fairwatch.errors import Conflict
from fairwatch.incidents.model import IncidentState


class Action(StrEnum):
    """What a person can do to an incident's state."""

    HOLD = "hold"
    RESUME = "resume"
    CLOSE = "close"
    REOPEN = "reopen"


class Reason(StrEnum):
    """Why the state changed; also the audit action (`incident-<reason>`)."""

    HELD = "held"
    RESUMED = "resumed"
    CLOSED = "closed"
    REOPENED = "reopened"


_ALLOWED: dict[IncidentState, tuple[Action, ...]] = {
    IncidentState.OPEN: (Action.HOLD, Action.CLOSE),
    IncidentState.ON_HOLD: (Action.RESUME, Action.CLOSE),
    IncidentState.CLOSED: (Action.REOPEN,),
}

_STEP: dict[Action, tuple[IncidentState, Reason]] = {
    Action.HOLD: (IncidentState.ON_HOLD, Reason.HELD),
    Action.RESUME: (IncidentState.OPEN, Reason.RESUMED),
    Action.CLOSE: (IncidentState.CLOSED, Reason.CLOSED),
    Action.REOPEN: (IncidentState.OPEN, Reason.REOPENED),
}


def allowed_actions(state: IncidentState) -> tuple[Action, ...]:
    """The actions a person may take on an incident in `state`."""
    return _ALLOWED[state]


def transition(state: IncidentState, action: Action) -> tuple[IncidentState, Reason]:
    """The state after `action` and why, or Conflict naming the current state and the allowed actions."""
    allowed = _ALLOWED[state]
    if action not in allowed:
        names = ", ".join(a.value for a in allowed)
        raise Conflict(
            f"cannot {action.value} an incident that is {state.value}; allowed actions: {names}",
            state.value,
            [a.value for a in allowed],
        )
    return _STEP[action]
