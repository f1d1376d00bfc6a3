"""Console sessions over the store: sign in (limited per client and per account, see `limits`), turn a cookie into
a user, sign out (which also ends the session's event streams).

Writes go through the pipeline's single writer; reads go straight to the store. The pure rules live in `auth`.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from fastapi import Request

from fairwatch.access import (
    KIOSK_PREFIX,
    KIOSK_ROLE,
    NAME_RE,
    Principal,
    hash_password,
    kiosk_live,
    verify_password,
)
from fairwatch.clock import Clock
from fairwatch.console import auth, limits
from fairwatch.console.auth import SessionState
from fairwatch.errors import Forbidden
from fairwatch.incidents import IncidentDesk
from fairwatch.model import AuditEntry, Role
from fairwatch.settings import Settings
from fairwatch.store import Session, SessionTxn, Store
from fairwatch.stream import Hub
from fairwatch.writer import Pipeline

log = logging.getLogger(__name__)

COOKIE = "fw_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ConsoleContext(Protocol):
    """What the console needs of the app's `api.Context` (the console may not import the api layer)."""

    store: Store
    pipeline: Pipeline
    hub: Hub
    clock: Clock
    settings: Settings
    version: str
    incidents: IncidentDesk  # the taxonomy and action cards: the alarm page shows the card for its type

    on_start: list[Callable[[], Awaitable[None]]]
    on_stop: list[Callable[[], Awaitable[None]]]

    def forget_tokens(self, hashes: Iterable[str]) -> None: ...
    def escalation_levels(self, alarm_ids: Sequence[int]) -> dict[int, int]:
        """Alarm id -> the escalation level its current episode reached."""
        ...


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """The user behind a valid session cookie."""

    name: str
    role: Role
    session_id: str
    kiosk: bool = False  # a wall display's long-lived read-only session (access.create_kiosk)

    @property
    def csrf(self) -> str:
        """The token pages embed and send back on every state-changing request."""
        return auth.csrf_token(self.session_id)


class SignInRefused(Exception):
    """A sign-in was refused; `message` is shown on the sign-in form; `retry_after` (seconds) when limited."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        self.message = message
        self.retry_after = retry_after
        super().__init__(message)


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
        self.limiter = limits.Limiter()

    # -- reading a cookie ------------------------------------------------------------------------------------
    def resolve(
        self, session_id: str | None, touch: bool = True
    ) -> tuple[ConsoleUser | None, SessionState | None]:
        """The user of a session id and None, or None and why the session ended (None: there is no session)."""
        if not session_id:
            return None, None
        id_hash = auth.session_hash(session_id)
        row = self.ctx.store.get_session(id_hash)
        now = self.ctx.clock.now()
        if row is None:
            return self._kiosk(session_id, id_hash, now), None
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

    def _kiosk(self, session_id: str, id_hash: str, now: float) -> ConsoleUser | None:
        """The kiosk behind a session id, while it is live: no idle timeout, no touch, read-only by role."""
        kiosk = self.ctx.store.kiosk_by_session(id_hash)
        if not kiosk_live(kiosk, now):
            return None
        assert kiosk is not None
        return ConsoleUser(KIOSK_PREFIX + kiosk.name, KIOSK_ROLE, session_id, kiosk=True)

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
        via = "kiosk" if user.kiosk else "session"
        return Principal(user.name, user.role, via, auth.session_hash(user.session_id), user.name)

    # -- signing in and out ----------------------------------------------------------------------------------
    async def sign_in(self, name: str, password: str, client: str | None = None) -> str:
        """A new session id for correct credentials; SignInRefused otherwise (audited per burst, see `limits`)."""
        now = self.ctx.clock.now()
        address = client or limits.UNKNOWN_CLIENT
        await self.flush(now)
        until = self.limiter.take(address, now)
        if until is not None:
            self.limiter.refused(address, name[:64], limits.Verdict.CLIENT_LIMITED.value, now)
            raise SignInRefused(auth.limited_message("address", until, now), math.ceil(until - now))
        if not NAME_RE.match(name):
            self.limiter.failed(address, "?", "unknown-user", now)
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
        address = client or limits.UNKNOWN_CLIENT
        now = self.ctx.clock.now()
        until = self.limiter.check_account(name, now)
        if until is not None:
            self.limiter.give_back(address, now)  # refused without a password check: costs the client nothing
            self.limiter.refused(address, name, limits.Verdict.ACCOUNT_SLOWED.value, now)
            raise SignInRefused(auth.limited_message("account", until, now), math.ceil(until - now))
        user = self.ctx.store.get_user(name)
        stored = user.password_hash if user is not None else await self._dummy()
        matches = await asyncio.to_thread(verify_password, stored, password)
        if user is None or not matches or user.disabled:
            reason = "unknown-user" if user is None else ("disabled" if user.disabled else "bad-password")
            self.limiter.failed(address, name, reason, self.ctx.clock.now())
            raise SignInRefused(auth.BAD_CREDENTIALS)
        self.limiter.succeeded(name)
        self.limiter.give_back(address, self.ctx.clock.now())  # successful sign-ins never count
        session_id = auth.new_session_id()
        session = Session(auth.session_hash(session_id), name, 0.0, 0.0)
        await self.ctx.pipeline.call(lambda txn, t: _open_session(txn, session, t, client))
        return session_id

    async def sign_out(self, user: ConsoleUser) -> None:
        """Delete the session (it stops working everywhere at once) and audit it."""
        id_hash = auth.session_hash(user.session_id)

        def write(txn: SessionTxn, now: float) -> None:
            txn.delete_session(id_hash)
            txn.append_audit(AuditEntry(now, user.name, "user-signed-out", f"user:{user.name}", {}))

        await self.ctx.pipeline.call(write)
        self.ctx.hub.end_streams(lambda p: p.via == "session" and p.key == id_hash)

    async def flush(self, now: float, everything: bool = False) -> int:
        """Write the bursts of failed sign-ins that have ended (all of them when `everything`), one record each."""
        bursts = self.limiter.due(now, everything)
        if bursts:

            def write(txn: SessionTxn, t: float) -> None:
                for b in bursts:
                    details = limits.burst_details(b)
                    txn.append_audit(
                        AuditEntry(t, "anonymous", "user-sign-in-failed", f"client:{b.client}", details)
                    )

            await self.ctx.pipeline.call(write)
        return len(bursts)

    async def _dummy(self) -> str:
        # Verifying against a real hash for unknown users keeps their answer as slow as a wrong password.
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.to_thread(hash_password, auth.new_session_id())
        return self._dummy_hash

    def _later(
        self, fn: Callable[[SessionTxn, float], object], done: Callable[[], None] | None = None
    ) -> None:
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


def _open_session(txn: SessionTxn, session: Session, now: float, client: str | None) -> None:
    """Sweep ended sessions, store the new one and audit the sign-in, in one transaction."""
    txn.delete_sessions_before(now - auth.IDLE_TIMEOUT, now - auth.ABSOLUTE_TIMEOUT)
    txn.insert_session(Session(session.id_hash, session.user, now, now))
    txn.append_audit(
        AuditEntry(now, session.user, "user-signed-in", f"user:{session.user}", {"client": client})
    )
