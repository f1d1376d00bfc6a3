"""Pure decisions of console sign-in: session lifetime, CSRF tokens and who may do what (sign-in limits: `limits`).

Nothing here reads the clock or the store; callers pass `now` and the facts, so tests drive it with plain numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets

# Session lifetimes live in `access` (the stream re-checks them too); re-exported for the console.
from fairwatch.access import ABSOLUTE_TIMEOUT as ABSOLUTE_TIMEOUT
from fairwatch.access import IDLE_TIMEOUT as IDLE_TIMEOUT
from fairwatch.access import SessionState as SessionState
from fairwatch.access import session_state as session_state
from fairwatch.model import Role

TOUCH_INTERVAL = 60  # last_seen is written at most once a minute: one write per minute, not per request

BAD_CREDENTIALS = "Unknown user or wrong password."
CSRF_REFUSED = "CSRF token missing or invalid: reload the page and try again."
SIGNED_OUT = "You signed out."


ENDED_MESSAGES = {
    SessionState.IDLE: "Your session ended after 30 minutes without activity. Sign in again.",
    SessionState.EXPIRED: "Your session reached its 12-hour limit. Sign in again.",
}


def needs_touch(last_seen: float, now: float) -> bool:
    """True when the session's last_seen is stale enough to be written again."""
    return now - last_seen >= TOUCH_INTERVAL


def new_session_id() -> str:
    """A fresh session id (256 random bits); it lives only in the user's cookie."""
    return secrets.token_urlsafe(32)


def session_hash(session_id: str) -> str:
    """How a session id is stored: its SHA-256, so a copy of the database signs nobody in."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def csrf_token(session_id: str) -> str:
    """The CSRF token of a session: derived from the (HttpOnly) id, so nothing else needs storing."""
    return hmac.new(session_id.encode(), b"fairwatch-console-csrf", hashlib.sha256).hexdigest()


def csrf_ok(session_id: str, sent: str | None) -> bool:
    """True when `sent` is the session's CSRF token (constant-time comparison)."""
    return sent is not None and hmac.compare_digest(csrf_token(session_id), sent)


def limited_message(what: str, until: float, now: float) -> str:
    """What a sign-in refused by a limit is told: which limit (`address` or `account`) and how long to wait."""
    seconds = max(1, math.ceil(until - now))
    wait = f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"
    return f"Too many failed sign-ins for this {what}. Try again in {wait}."


# The least role for each alarm action; mirrors the API's route table (a test checks they agree).
ACTION_ROLES: dict[str, Role] = {
    "ack": Role.OPERATOR,
    "assign": Role.OPERATOR,
    "comment": Role.OPERATOR,
    "resolve": Role.OPERATOR,
    "reopen": Role.SUPERVISOR,
    "shelve": Role.OPERATOR,
    "unshelve": Role.OPERATOR,
}


# What the queue lets a user do to several selected alarms at once: operators acknowledge a batch (a wave of
# alarms after a power cut is acknowledged by whoever is on shift) and open an incident from it; resolving a
# batch stays with supervisors.
BULK_ROLES: dict[str, Role] = {
    "ack": Role.OPERATOR,
    "incident": Role.OPERATOR,
    "resolve": Role.SUPERVISOR,
}


def bulk_for(role: Role) -> list[str]:
    """The bulk actions of the queue a user with `role` may take."""
    return [action for action, needed in BULK_ROLES.items() if role.allows(needed)]


def actions_for(role: Role) -> list[str]:
    """The alarm actions a user with `role` may take (the alarm's state narrows them further)."""
    return [action for action, needed in ACTION_ROLES.items() if role.allows(needed)]


def role_refusal(role: Role, needed: Role) -> str | None:
    """Why `role` may not do something that needs `needed`, or None when it may."""
    if role.allows(needed):
        return None
    return f"role '{role.value}' may not do this; needs '{needed.value}' or higher"


def safe_next(target: str | None) -> str:
    """A same-site path to return to after sign-in; anything else (other hosts, schemes) becomes '/'."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if target.startswith(("/signin", "/signout")):
        return "/"
    return target
