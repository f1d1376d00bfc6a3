"""Shelving (ISA-18.2): an operator takes an alarm out of the active queue for a while, with a reason.

A shelved alarm is in the state `shelved` (a state, not a flag: everything that follows the active states — the
queue, escalation, reminders, the sound — leaves it alone without knowing about shelving). It comes back by
itself, unacknowledged, when its time is up (`due`, called from the writer's tick with `now`), or when someone
unshelves it; resolving it ends the shelf too. Every shelve and return is audited.

Pure: the parameters' check and the due list take their inputs and `now`; the alarm service does the writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fairwatch import policy
from fairwatch.errors import InvalidInput, Problem

MAX_MINUTES = 12 * 60  # one long shift: an alarm is never shelved past the people who shelved it
MAX_REASON = 1000
ACTOR = "system:shelving"  # who returns an alarm whose time is up
SHELVE_KEYS = ("minutes", "reason")


def check_shelve(params: Mapping[str, Any]) -> tuple[int, str]:
    """(minutes, reason) of a shelve request; InvalidInput naming every bad field and its value.

    The reason is shown to operators and kept in the audit log, so it passes the rights guard (RS-2)."""
    problems = [
        Problem(k, v, f"unknown field for shelve (expected {', '.join(SHELVE_KEYS)})")
        for k, v in params.items()
        if k not in SHELVE_KEYS
    ]
    minutes = params.get("minutes")
    if minutes is None:
        problems.append(Problem("minutes", None, "required field is missing"))
    elif isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
        problems.append(
            Problem("minutes", minutes, f"must be a whole number of minutes from 1 to {MAX_MINUTES}")
        )
    reason = _reason(params.get("reason"), problems)
    if problems or reason is None or not isinstance(minutes, int):
        raise InvalidInput(problems, "invalid shelve request")
    return minutes, reason


def _reason(value: Any, problems: list[Problem]) -> str | None:
    if value is None:
        problems.append(Problem("reason", None, "required field is missing"))
    elif not isinstance(value, str):
        problems.append(Problem("reason", value, "must be a string"))
    elif not value.strip():
        problems.append(Problem("reason", value, "must not be empty"))
    elif len(value) > MAX_REASON:
        problems.append(Problem("reason", value[:50] + "…", f"must be at most {MAX_REASON} characters"))
    elif (found := policy.check_text(value)) is not None:
        problems.append(
            Problem(
                "reason",
                value,
                f"refused by the rights guard: {found.ground.value}: '{found.term}' ({found.reason})",
            )
        )
    else:
        return value.strip()
    return None


def check_unshelve(params: Mapping[str, Any]) -> None:
    """An unshelve takes no parameters."""
    if params:
        key = next(iter(params))
        raise InvalidInput(
            [Problem(key, params[key], "unknown field for unshelve")], "invalid unshelve request"
        )


def due(shelves: Mapping[int, float], now: float) -> list[int]:
    """Ids of the shelved alarms whose time is up at `now` (alarm id -> shelved until), earliest first."""
    return [
        alarm_id
        for alarm_id, until in sorted(shelves.items(), key=lambda item: (item[1], item[0]))
        if until <= now
    ]
