"""Unit kinds and statuses, and the pure status machine: which change is allowed from which status."""

from __future__ import annotations

from enum import StrEnum


class UnitKind(StrEnum):
    STEWARD = "steward"
    SECURITY = "security"
    MEDIC = "medic"
    FIRE = "fire"
    POLICE_LIAISON = "police_liaison"


class UnitStatus(StrEnum):
    AVAILABLE = "available"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    CLEAR = "clear"
    OFF_DUTY = "off_duty"


class Refusal(StrEnum):
    """Why a status change was refused; named in the 409 body, logs and tests."""

    SAME = "same"  # the unit has that status already
    NOT_FROM = "not-from"  # the status cannot follow the current one
    NEEDS_DISPATCH = "needs-dispatch"  # `dispatched` is set by a dispatch, which names what the unit goes to
    NO_ASSIGNMENT = "no-assignment"  # en route / on scene need an assignment to go to


_S = UnitStatus
# What a status change may lead to (a dispatch sets `dispatched` from available, clear, or a re-dispatch).
NEXT: dict[UnitStatus, frozenset[UnitStatus]] = {
    _S.OFF_DUTY: frozenset({_S.AVAILABLE}),
    _S.AVAILABLE: frozenset({_S.OFF_DUTY}),
    _S.DISPATCHED: frozenset({_S.EN_ROUTE, _S.ON_SCENE, _S.AVAILABLE}),
    _S.EN_ROUTE: frozenset({_S.ON_SCENE, _S.AVAILABLE}),
    _S.ON_SCENE: frozenset({_S.CLEAR}),
    _S.CLEAR: frozenset({_S.AVAILABLE, _S.OFF_DUTY}),
}
DISPATCHABLE = frozenset({_S.AVAILABLE, _S.CLEAR, _S.DISPATCHED, _S.EN_ROUTE})
ON_DUTY = frozenset(s for s in UnitStatus if s is not _S.OFF_DUTY)
WITH_ASSIGNMENT = frozenset({_S.DISPATCHED, _S.EN_ROUTE, _S.ON_SCENE})


def status_refusal(current: UnitStatus, wanted: UnitStatus, assigned: bool) -> Refusal | None:
    """None when a unit at `current` may report `wanted`; otherwise why not."""
    if wanted is current:
        return Refusal.SAME
    if wanted is _S.DISPATCHED:
        return Refusal.NEEDS_DISPATCH
    if wanted in WITH_ASSIGNMENT and not assigned:
        return Refusal.NO_ASSIGNMENT
    if wanted not in NEXT[current]:
        return Refusal.NOT_FROM
    return None


def refusal_message(current: UnitStatus, wanted: UnitStatus, why: Refusal) -> str:
    """What a refused change is told, naming both statuses and what may follow."""
    allowed = ", ".join(sorted(NEXT[current])) or "nothing"
    if why is Refusal.SAME:
        return f"the unit is {current.value} already"
    if why is Refusal.NEEDS_DISPATCH:
        return "a unit becomes dispatched by a dispatch (POST /api/v1/units/{id}/dispatch)"
    if why is Refusal.NO_ASSIGNMENT:
        return f"'{wanted.value}' needs an assignment; the unit has none"
    return f"'{wanted.value}' cannot follow '{current.value}' (allowed: {allowed})"
