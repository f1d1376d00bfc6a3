"""Access: API tokens (stored only as SHA-256 hashes) and console users (argon2id password hashes)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from fairwatch.errors import InvalidInput, Problem
from fairwatch.model import AuditEntry, Role
from fairwatch.store import AccessTxn, User


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a token (devices, integrations) or a console session user."""

    name: str
    role: Role
    via: str  # "token" or "session"


NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
MIN_PASSWORD = 10
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_ROLES = ", ".join(r.value for r in Role)


def parse_role(text: str, field: str = "role") -> Role:
    """A Role from its name, or InvalidInput naming the allowed roles."""
    try:
        return Role(text)
    except ValueError:
        raise InvalidInput([Problem(field, text, f"must be one of {_ROLES}")], "invalid role") from None


def check_name(name: str, field: str = "name") -> str:
    """A token or user name: 1-64 of letters, digits, _ . @ -."""
    if not NAME_RE.match(name):
        raise InvalidInput(
            [Problem(field, name, "must be 1-64 characters of letters, digits, '_', '.', '@', '-'")],
            "invalid name",
        )
    return name


def token_hash(token: str) -> str:
    """How a token is stored: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(txn: AccessTxn, name: str, role: Role, actor: str, now: float) -> str:
    """Create a token; returns the only copy of the secret. Audited as token-created."""
    check_name(name)
    token = "fw_" + secrets.token_urlsafe(32)
    token_id = txn.insert_token(name, role, token_hash(token), now)
    txn.append_audit(
        AuditEntry(now, actor, "token-created", f"token:{token_id}", {"name": name, "role": role.value})
    )
    return token


def hash_password(password: str) -> str:
    """An argon2id hash of `password`; refuses passwords shorter than MIN_PASSWORD."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            [Problem("password", "***", f"must be at least {MIN_PASSWORD} characters (got {len(password)})")],
            "invalid password",
        )
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches the stored argon2id hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def save_user(txn: AccessTxn, name: str, role: Role, password: str, actor: str, now: float) -> User:
    """Create or update a console user; audited as user-saved (never with the password)."""
    check_name(name)
    user = User(name, role, hash_password(password), now)
    txn.upsert_user(user)
    txn.append_audit(AuditEntry(now, actor, "user-saved", f"user:{name}", {"role": role.value}))
    return user
