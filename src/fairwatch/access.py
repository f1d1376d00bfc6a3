"""Access: API tokens (stored only as SHA-256 hashes), console users (argon2id password hashes), what each role may
do, and revocation: a revoked token or a disabled user stops working at once (`still_valid` re-checks a principal).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from fairwatch import policy
from fairwatch.clock import Clock
from fairwatch.errors import Conflict, InvalidInput, NotFound, Problem
from fairwatch.model import AuditEntry, Role
from fairwatch.store import AccessReads, AccessTxn, Kiosk, SessionReads, User


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a token (devices, integrations) or a console session user.

    `key` is what the credential is stored as (the token's or the session id's SHA-256): streams keep it to be cut
    off when that credential ends."""

    name: str
    role: Role
    via: str  # "token", "session" or "kiosk"
    key: str = ""
    user: str | None = None  # the console user behind a session


class Permission(StrEnum):
    """What is granted to roles by name rather than by rank."""

    INGEST = "ingest"  # post events: devices and the adapters' tokens only, never people's roles
    WELFARE = "welfare"  # welfare cases (lost and found persons): welfare staff, supervisors, admins


# Posting events is not "viewer or higher": a person's token that could post events could forge what the control
# room sees. So ingest is granted by name; the people's roles form the ladder steward < viewer < welfare < operator < supervisor < admin.
# Welfare cases describe vulnerable people: granted by name to welfare staff, supervisors and admins. Operators,
# though above `welfare` on the ladder, are not given them (docs/welfare.md).
PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.INGEST: frozenset({Role.DEVICE}),
    Permission.WELFARE: frozenset({Role.WELFARE, Role.SUPERVISOR, Role.ADMIN}),
}


def permits(role: Role, need: Role | Permission) -> bool:
    """True when `role` may do what needs `need` (a least role on the ladder, or a named permission)."""
    if need is Role.DEVICE:  # "device or higher" can only have meant posting events
        need = Permission.INGEST
    if isinstance(need, Permission):
        return role in PERMISSIONS[need]
    return role is not Role.DEVICE and role.allows(need)


def refusal(role: Role, need: Role | Permission) -> str | None:
    """Why `role` may not do what needs `need`, or None when it may."""
    if permits(role, need):
        return None
    if need is Role.DEVICE:
        need = Permission.INGEST
    if isinstance(need, Permission):
        allowed = ", ".join(sorted(r.value for r in PERMISSIONS[need]))
        if need is Permission.WELFARE:
            return f"role '{role.value}' may not read welfare cases; only {allowed} may"
        return f"role '{role.value}' may not post events; only {allowed} tokens may"
    return f"role '{role.value}' may not do this; needs '{need.value}' or higher"


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


def check_new_name(name: str, field: str = "name") -> str:
    """A name being given (token created, user saved): `check_name`, then the rights guard's name check
    (no bidi controls, invisible characters or mixed scripts; no protected ground, RS-2)."""
    check_name(name, field)
    found = policy.check_name(name)
    if found is None:
        return name
    if isinstance(found, policy.Violation):
        message = f"refused by the rights guard: {found.ground.value}: '{found.term}' ({found.reason})"
    else:
        message = f"refused by the rights guard: {found.reason}"
    raise InvalidInput([Problem(field, name, message)], "invalid name")


def token_hash(token: str) -> str:
    """How a token is stored: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(txn: AccessTxn, name: str, role: Role, actor: str, now: float) -> str:
    """Create a token; returns the only copy of the secret. Audited as token-created."""
    check_new_name(name)
    token = "fw_" + secrets.token_urlsafe(32)
    token_id = txn.insert_token(name, role, token_hash(token), now)
    txn.append_audit(
        AuditEntry(now, actor, "token-created", f"token:{token_id}", {"name": name, "role": role.value})
    )
    return token


def revoke_token(txn: AccessTxn, name: str, actor: str, now: float) -> list[str]:
    """Revoke every live token named `name`; returns their hashes (to drop from caches and cut their streams).

    Audited as token-revoked; NotFound when no live token has that name."""
    check_name(name)
    hashes = txn.revoke_tokens(name, now)
    if not hashes:
        raise NotFound(f"no live token named '{name}'")
    txn.append_audit(AuditEntry(now, actor, "token-revoked", f"token:{name}", {"count": len(hashes)}))
    return hashes


def set_user_disabled(txn: AccessTxn, name: str, disabled: bool, actor: str, now: float) -> None:
    """Disable (ending every session of) or enable a console user; audited as user-disabled / user-enabled."""
    check_name(name)
    if not txn.set_user_disabled(name, disabled):
        raise NotFound(f"no user named '{name}'")
    details: dict[str, object] = {}
    if disabled:
        details["sessions_ended"] = txn.delete_user_sessions(name)
    action = "user-disabled" if disabled else "user-enabled"
    txn.append_audit(AuditEntry(now, actor, action, f"user:{name}", details))


# -- console sessions: how long one lives -------------------------------------------------------------------------
IDLE_TIMEOUT = 30 * 60  # seconds without a request before a session ends
ABSOLUTE_TIMEOUT = 12 * 3600  # a session never outlives one long shift


class SessionState(StrEnum):
    """Whether a session may still be used, and if not, why."""

    VALID = "valid"
    IDLE = "idle"  # no request for IDLE_TIMEOUT
    EXPIRED = "expired"  # older than ABSOLUTE_TIMEOUT


def session_state(created: float, last_seen: float, now: float) -> SessionState:
    """The state of a session created at `created` and last used at `last_seen`."""
    if now - created >= ABSOLUTE_TIMEOUT:
        return SessionState.EXPIRED
    if now - last_seen >= IDLE_TIMEOUT:
        return SessionState.IDLE
    return SessionState.VALID


def still_valid(store: SessionReads, principal: Principal, now: float) -> bool:
    """True while the credential behind `principal` still works: the token is not revoked (read fresh, not from a
    cache), the kiosk is live, or the session exists, has not ended, and its user is enabled with the same role."""
    if principal.via == "token":
        return store.token_role(principal.key) is principal.role
    if principal.via == "kiosk":
        return kiosk_live(store.kiosk_by_session(principal.key), now)
    if principal.via != "session":
        return False
    row = store.get_session(principal.key)
    if row is None or session_state(row.created, row.last_seen, now) is not SessionState.VALID:
        return False
    user = store.get_user(row.user)
    return user is not None and not user.disabled and user.role is principal.role


# -- kiosks: wall displays with a long-lived, read-only session ---------------------------------------------------
KIOSK_LINK_TTL = 24 * 3600  # the one-time link must be opened on the display within a day
KIOSK_DAYS = 30
KIOSK_MAX_DAYS = 365
KIOSK_ROLE = (
    Role.VIEWER
)  # read-only by role: every write the API and the console offer needs operator or more
KIOSK_PREFIX = "kiosk:"  # a kiosk's name as a user: user names cannot hold ':', so it is never a person's


def create_kiosk(txn: AccessTxn, name: str, days: int, actor: str, now: float) -> str:
    """Create a kiosk (or one in place of a revoked or expired one of that name); returns the code of its one-time
    link, the only copy (only its hash is stored). Audited as kiosk-created."""
    problems: list[Problem] = []
    try:
        check_new_name(name)
    except InvalidInput as exc:
        problems.extend(exc.problems)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= KIOSK_MAX_DAYS:
        problems.append(Problem("days", days, f"must be a whole number of days from 1 to {KIOSK_MAX_DAYS}"))
    if problems:
        raise InvalidInput(problems, "invalid kiosk")
    if kiosk_live(txn.get_kiosk(name), now):
        raise Conflict(f"kiosk '{name}' is live; revoke it before making a new one", "live", ["revoke"])
    code = secrets.token_urlsafe(32)
    txn.put_kiosk(Kiosk(name, now, actor, now + days * 86400, token_hash(code), now + KIOSK_LINK_TTL))
    txn.append_audit(AuditEntry(now, actor, "kiosk-created", f"kiosk:{name}", {"days": days}))
    return code


def claim_kiosk(txn: AccessTxn, code: str, client: str | None, now: float) -> tuple[str, Kiosk]:
    """Use a one-time link: a new session id (the only copy) and the kiosk. NotFound when the link was used, has
    expired or its kiosk was revoked. Audited as kiosk-claimed."""
    session_id = secrets.token_urlsafe(32)
    kiosk = txn.claim_kiosk(token_hash(code), token_hash(session_id), now)
    if kiosk is None:
        raise NotFound(
            "this kiosk link was used already, has expired or was revoked: ask an admin for a new one"
        )
    who = KIOSK_PREFIX + kiosk.name
    txn.append_audit(AuditEntry(now, who, "kiosk-claimed", f"kiosk:{kiosk.name}", {"client": client}))
    return session_id, kiosk


def revoke_kiosk(txn: AccessTxn, name: str, actor: str, now: float) -> str | None:
    """Revoke a kiosk: its session stops working at once. Returns the session's hash (to end its streams), None if
    its link was never used. NotFound when no live kiosk has that name. Audited as kiosk-revoked."""
    check_name(name)
    before = txn.revoke_kiosk(name, now)
    if before is None:
        raise NotFound(f"no live kiosk named '{name}'")
    txn.append_audit(AuditEntry(now, actor, "kiosk-revoked", f"kiosk:{name}", {}))
    return before.session_hash


def kiosk_live(kiosk: Kiosk | None, now: float) -> bool:
    """True while a kiosk may be used: not revoked and not past its end. Idleness never ends it."""
    return kiosk is not None and kiosk.revoked is None and now < kiosk.expires


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


def save_user(
    txn: AccessTxn, name: str, role: Role, password: str, actor: str, now: float, disabled: bool = False
) -> User:
    """Create or update a console user; audited as user-saved (never with the password). Callers pass the user's
    current `disabled`: a new password does not re-enable a disabled user."""
    check_new_name(name)
    user = User(name, role, hash_password(password), now, disabled)
    txn.upsert_user(user)
    txn.append_audit(AuditEntry(now, actor, "user-saved", f"user:{name}", {"role": role.value}))
    return user


@dataclass
class RevocationMarker:
    """A file in the data directory that every revocation or disabling touches, so that a running server on the
    same machine drops its token cache on the very next request after the CLI (another process) revoked a token.
    Checking it costs one `stat` per authenticated request, against a database read that would cost ~50 times more
    on the ingest hot path; without the file (another machine) the cache's short TTL still bounds the delay."""

    path: Path
    _seen: int | None = field(default=None, init=False)

    @classmethod
    def in_data(cls, data: Path) -> RevocationMarker:
        return cls(data / "revocations")

    def touch(self) -> None:
        """Say that access was taken away (after the transaction that did it committed)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(f"{secrets.token_hex(8)}\n")

    def changed(self) -> bool:
        """True when the marker changed since the last call (the first call only notes its state)."""
        try:
            st = self.path.stat()
            now = st.st_mtime_ns ^ st.st_ino ^ st.st_size
        except OSError:
            now = 0
        before, self._seen = self._seen, now
        return before is not None and now != before


@dataclass
class TokenCache:
    """A bearer token's role by its hash, read from the store at most once per `ttl` seconds. A revocation in this
    process drops its entries at once (`forget`) and touches the marker; one in another process (the CLI, another
    HTTP worker) is seen through the marker, which drops the whole cache on the next request. Checking the store on
    every request would cost a query on the ingest hot path."""

    store: AccessReads
    clock: Clock
    ttl: float
    revocations: RevocationMarker | None = None
    _roles: dict[str, tuple[Role, float]] = field(default_factory=dict, init=False)

    def role(self, digest: str) -> Role | None:
        """The role of the token with hash `digest`, or None when it is unknown or revoked."""
        now = self.clock.now()
        if self.revocations is not None and self.revocations.changed():
            self._roles.clear()
        cached = self._roles.get(digest)
        if cached is not None and 0 <= now - cached[1] < self.ttl:
            return cached[0]
        role = self.store.token_role(digest)
        if role is None:
            self._roles.pop(digest, None)
        else:
            self._roles[digest] = (role, now)
        return role

    def forget(self, hashes: Iterable[str]) -> None:
        """Drop revoked tokens: their next request is refused here and, through the marker, in every other process
        on this data directory."""
        dropped = False
        for digest in hashes:
            self._roles.pop(digest, None)
            dropped = True
        if dropped and self.revocations is not None:
            self.revocations.touch()
