"""Console sessions over the store: sign in (throttled, audited), turn a cookie into a user, sign out.

Writes go through the pipeline's single writer; reads go straight to the store. The pure rules live in `auth`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Request

from fairwatch.access import NAME_RE, Principal, hash_password, verify_password
from fairwatch.clock import Clock
from fairwatch.console import auth
from fairwatch.console.auth import Attempt, SessionState
from fairwatch.errors import Forbidden
from fairwatch.model import AuditEntry, AuditRecord, Role
from fairwatch.settings import Settings
from fairwatch.store import Session, Store, Txn
from fairwatch.writer import Pipeline

log = logging.getLogger(__name__)

COOKIE = "fw_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ConsoleContext(Protocol):
    """What the console needs of the app's `api.Context` (the console may not import the api layer)."""

    store: Store
    pipeline: Pipeline
    clock: Clock
    settings: Settings
    version: str


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """The user behind a valid session cookie."""

    name: str
    role: Role
    session_id: str

    @property
    def csrf(self) -> str:
        """The token pages embed and send back on every state-changing request."""
        return auth.csrf_token(self.session_id)


class SignInRefused(Exception):
    """A sign-in was refused; `message` is shown on the sign-in form."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def attempts_from(records: list[AuditRecord]) -> list[Attempt]:
    """Sign-in attempts read back from an account's audit records; saving the user (a reset) clears failures."""
    out: list[Attempt] = []
    for r in records:
        if r.action in ("user-signed-in", "user-saved"):
            out.append(Attempt(r.time, ok=True))
        elif r.action == "user-sign-in-failed":
            out.append(Attempt(r.time, ok=False, counted=r.details.get("reason") != "throttled"))
    return out


class Sessions:
    """Signs users in and out and resolves session cookies."""

    def __init__(self, ctx: ConsoleContext, timezone: str = "UTC") -> None:
        self.ctx = ctx
        self.timezone = timezone  # the site's: lockout messages name a local time
        # Per account: a lock and how many requests hold or await it (the entry goes when the last one leaves).
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._touching: set[str] = set()
        self._background: set[asyncio.Task[Any]] = set()
        self._dummy_hash: str | None = None

    # -- reading a cookie ------------------------------------------------------------------------------------
    def resolve(
        self, session_id: str | None, touch: bool = True
    ) -> tuple[ConsoleUser | None, SessionState | None]:
        """The user of a session id and None, or None and why the session ended (None: there is no session)."""
        if not session_id:
            return None, None
        id_hash = auth.session_hash(session_id)
        row = self.ctx.store.get_session(id_hash)
        if row is None:
            return None, None
        now = self.ctx.clock.now()
        state = auth.session_state(row.created, row.last_seen, now)
        if state is not SessionState.VALID:
            return None, state  # the row stays until the next sign-in sweeps it, so the page can say why
        user = self.ctx.store.get_user(row.user)
        if user is None or user.disabled:
            return None, None
        if touch and auth.needs_touch(row.last_seen, now) and id_hash not in self._touching:
            self._touching.add(id_hash)
            self._later(
                lambda txn, t: txn.touch_session(id_hash, t), done=lambda: self._touching.discard(id_hash)
            )
        return ConsoleUser(user.name, user.role, session_id), None

    def lookup(self, request: Request) -> Principal | None:
        """The API's `session_lookup`: a principal for a valid session; a state-changing call needs the CSRF header."""
        session_id = request.cookies.get(COOKIE)
        user, _ = self.resolve(session_id)
        if user is None:
            return None
        if request.method not in SAFE_METHODS and not auth.csrf_ok(
            user.session_id, request.headers.get("x-csrf-token")
        ):
            raise Forbidden(auth.CSRF_REFUSED)
        return Principal(user.name, user.role, "session")

    # -- signing in and out ----------------------------------------------------------------------------------
    async def sign_in(self, name: str, password: str, client: str | None = None) -> str:
        """A new session id for correct credentials; SignInRefused (audited) otherwise."""
        if not NAME_RE.match(name):
            await self._failed("?", "unknown-user", client, {"name": name[:64]})
            raise SignInRefused(auth.BAD_CREDENTIALS)
        lock, users = self._locks.get(name) or (asyncio.Lock(), 0)
        self._locks[name] = (lock, users + 1)
        try:
            # One attempt per account at a time, so parallel guesses all see the failures before them.
            async with lock:
                return await self._sign_in(name, password, client)
        finally:
            lock, users = self._locks[name]
            if users == 1:
                del self._locks[name]
            else:
                self._locks[name] = (lock, users - 1)

    async def _sign_in(self, name: str, password: str, client: str | None) -> str:
        now = self.ctx.clock.now()
        history = self.ctx.store.history_since(f"user:{name}", now - auth.FAILURE_WINDOW)
        until = auth.retry_at(attempts_from(history), now)
        if until is not None:
            await self._failed(name, "throttled", client)
            raise SignInRefused(auth.throttled_message(until, now, self.timezone))
        user = self.ctx.store.get_user(name)
        stored = user.password_hash if user is not None else await self._dummy()
        matches = await asyncio.to_thread(verify_password, stored, password)
        if user is None or not matches or user.disabled:
            reason = "unknown-user" if user is None else ("disabled" if user.disabled else "bad-password")
            await self._failed(name, reason, client)
            raise SignInRefused(auth.BAD_CREDENTIALS)
        session_id = auth.new_session_id()
        session = Session(auth.session_hash(session_id), name, 0.0, 0.0)
        await self.ctx.pipeline.call(lambda txn, t: _open_session(txn, session, t, client))
        return session_id

    async def sign_out(self, user: ConsoleUser) -> None:
        """Delete the session (it stops working everywhere at once) and audit it."""
        id_hash = auth.session_hash(user.session_id)

        def write(txn: Txn, now: float) -> None:
            txn.delete_session(id_hash)
            txn.append_audit(AuditEntry(now, user.name, "user-signed-out", f"user:{user.name}", {}))

        await self.ctx.pipeline.call(write)

    async def _failed(
        self, name: str, reason: str, client: str | None, extra: dict[str, Any] | None = None
    ) -> None:
        details: dict[str, Any] = {"reason": reason, "client": client, **(extra or {})}

        def write(txn: Txn, now: float) -> None:
            txn.append_audit(AuditEntry(now, "anonymous", "user-sign-in-failed", f"user:{name}", details))

        await self.ctx.pipeline.call(write)

    async def _dummy(self) -> str:
        # Verifying against a real hash for unknown users keeps their answer as slow as a wrong password.
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(hash_password, auth.new_session_id())
        return self._dummy_hash

    def _later(self, fn: Callable[[Txn, float], object], done: Callable[[], None] | None = None) -> None:
        """Run a small write through the writer without making the request wait for it."""

        async def run() -> None:
            try:
                await self.ctx.pipeline.call(fn)
            except Exception:
                log.warning("console session write failed", exc_info=True)
            finally:
                if done is not None:
                    done()

        task = asyncio.get_running_loop().create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _open_session(txn: Txn, session: Session, now: float, client: str | None) -> None:
    """Sweep ended sessions, store the new one and audit the sign-in, in one transaction."""
    txn.delete_sessions_before(now - auth.IDLE_TIMEOUT, now - auth.ABSOLUTE_TIMEOUT)
    txn.insert_session(Session(session.id_hash, session.user, now, now))
    txn.append_audit(
        AuditEntry(now, session.user, "user-signed-in", f"user:{session.user}", {"client": client})
    )
