"""One-time sign-in links: a random code shown once, stored as its SHA-256; valid once, until it expires or is
revoked. The decision is pure (`invite_state`)."""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum

from fairwatch.store import Invite

DEFAULT_HOURS = 12.0
MAX_HOURS = 24.0 * 7
DEVICE_HOURS = 24.0  # how long a phone signed in with a link stays signed in (revocable at once)
JOIN_PATH = "/field/join/"


class InviteState(StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


def new_code() -> str:
    """A fresh invite code (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def code_hash(code: str) -> str:
    """How a code is stored: its SHA-256, so a copy of the database signs nobody in."""
    return hashlib.sha256(code.encode()).hexdigest()


def invite_state(invite: Invite | None, now: float) -> InviteState:
    """Whether `invite` signs a phone in at `now`."""
    if invite is None:
        return InviteState.UNKNOWN
    if invite.revoked_at is not None:
        return InviteState.REVOKED
    if invite.used_at is not None:
        return InviteState.USED
    if now >= invite.expires:
        return InviteState.EXPIRED
    return InviteState.VALID


def link(code: str, base: str = "") -> str:
    """The sign-in link of `code`: a path, or a URL when the deployment's public base URL is set."""
    return base.rstrip("/") + JOIN_PATH + code
