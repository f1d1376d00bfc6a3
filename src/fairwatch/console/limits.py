"""Sign-in limits as pure decisions (`now` passed in), and the small in-memory state that applies them.

- Per client address, a token bucket of *failed* sign-ins: `CLIENT_BURST` at once, one more every `CLIENT_REFILL`
  seconds. One address cannot try thousands of names, yet a control room behind one NAT address can fumble a
  shift change's worth of passwords, and successful sign-ins never count.
- Per account, a growing delay instead of a lockout: after `FREE_FAILURES` failures each further try must wait
  2 s, 4 s, 8 s ... up to `MAX_DELAY`. Nobody can lock an account for long by guessing at it.
- In the audit log, failures from one client are gathered into one record per burst (with a count, the accounts
  tried and why each failed), written when the burst ends: `BURST_GAP` seconds without a failure, or `BURST_MAX`
  seconds after it began, so a long attack shows while it lasts.

The state lives in the server process (it restarts empty); only the audit records are durable.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

CLIENT_BURST = 30  # failed sign-ins one address may make at once ...
CLIENT_REFILL = 10.0  # ... and then one more every this many seconds (6 a minute)
FREE_FAILURES = 3  # failures on an account before each further try must wait
BASE_DELAY = 2.0  # the first wait, doubling with every further failure ...
MAX_DELAY = 120.0  # ... up to this
STREAK_RESET = 15 * 60  # an account's failures are forgotten after this long without one
BURST_GAP = 60.0  # a client's burst of failures ends after this long without one ...
BURST_MAX = 300.0  # ... or this long after it began
BURST_NAMES = 20  # accounts named in one burst record; the rest are counted
UNKNOWN_CLIENT = "unknown"


class Verdict(StrEnum):
    """Whether a sign-in attempt may go ahead, and if not, which limit stopped it."""

    ALLOWED = "allowed"
    CLIENT_LIMITED = "client-limited"  # this address made too many failed attempts lately
    ACCOUNT_SLOWED = "account-slowed"  # this account must wait after its recent failures


@dataclass(frozen=True, slots=True)
class Bucket:
    """A client's allowance of failed sign-ins: `tokens` left as of `updated`."""

    tokens: float
    updated: float


def refill(bucket: Bucket | None, now: float) -> Bucket:
    """The bucket as of `now` (a new client starts full)."""
    if bucket is None:
        return Bucket(CLIENT_BURST, now)
    gained = max(0.0, now - bucket.updated) / CLIENT_REFILL
    return Bucket(min(float(CLIENT_BURST), bucket.tokens + gained), now)


def charge(bucket: Bucket | None, now: float) -> Bucket:
    """The bucket after one failed sign-in."""
    full = refill(bucket, now)
    return Bucket(max(0.0, full.tokens - 1), now)


def refund(bucket: Bucket | None, now: float) -> Bucket:
    """The bucket after an attempt charged up front turned out not to be a failure."""
    full = refill(bucket, now)
    return Bucket(min(float(CLIENT_BURST), full.tokens + 1), now)


def client_retry_at(bucket: Bucket | None, now: float) -> float | None:
    """When the client may try again, or None when it may now."""
    full = refill(bucket, now)
    return None if full.tokens >= 1 else now + (1 - full.tokens) * CLIENT_REFILL


@dataclass(frozen=True, slots=True)
class Streak:
    """An account's recent failures: how many in a row, and when the last was."""

    failures: int
    last: float


def account_delay(failures: int) -> float:
    """How long an account waits after `failures` failures in a row."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(BASE_DELAY * 2.0 ** (failures - FREE_FAILURES), MAX_DELAY)


def account_retry_at(streak: Streak | None, now: float) -> float | None:
    """When the account may be tried again, or None when it may now."""
    if streak is None or now - streak.last >= STREAK_RESET:
        return None
    at = streak.last + account_delay(streak.failures)
    return at if now < at else None


def fail(streak: Streak | None, now: float) -> Streak:
    """The account's streak after one more failure."""
    if streak is None or now - streak.last >= STREAK_RESET:
        return Streak(1, now)
    return Streak(streak.failures + 1, now)


def decide(bucket: Bucket | None, streak: Streak | None, now: float) -> tuple[Verdict, float | None]:
    """May this attempt go ahead? The verdict, and when to retry when it may not."""
    at = client_retry_at(bucket, now)
    if at is not None:
        return Verdict.CLIENT_LIMITED, at
    at = account_retry_at(streak, now)
    if at is not None:
        return Verdict.ACCOUNT_SLOWED, at
    return Verdict.ALLOWED, None


@dataclass(frozen=True, slots=True)
class Burst:
    """Failed sign-ins from one client, gathered into one audit record."""

    client: str
    first: float
    last: float
    count: int = 0
    accounts: dict[str, int] = field(default_factory=dict)  # at most BURST_NAMES names
    other_accounts: int = 0  # failures on accounts beyond those named
    reasons: dict[str, int] = field(default_factory=dict)


def add_failure(burst: Burst | None, client: str, name: str, reason: str, now: float) -> Burst:
    """The client's burst with one more failure (a new burst when there is none)."""
    b = burst if burst is not None else Burst(client, now, now)
    accounts, other = dict(b.accounts), b.other_accounts
    if name in accounts or len(accounts) < BURST_NAMES:
        accounts[name] = accounts.get(name, 0) + 1
    else:
        other += 1
    reasons = {**b.reasons, reason: b.reasons.get(reason, 0) + 1}
    return replace(b, last=now, count=b.count + 1, accounts=accounts, other_accounts=other, reasons=reasons)


def burst_over(burst: Burst, now: float) -> bool:
    """True when the burst has ended and is due to be written."""
    return now - burst.last >= BURST_GAP or now - burst.first >= BURST_MAX


def burst_details(burst: Burst) -> dict[str, Any]:
    """The audit record's details for a burst."""
    details: dict[str, Any] = {
        "client": burst.client,
        "count": burst.count,
        "first": burst.first,
        "last": burst.last,
        "accounts": dict(sorted(burst.accounts.items())),
        "reasons": dict(sorted(burst.reasons.items())),
    }
    if burst.other_accounts:
        details["other_accounts"] = burst.other_accounts
    return details


class Limiter:
    """The limits' state in this process: buckets per client, streaks per account, open bursts per client."""

    def __init__(self) -> None:
        self.buckets: dict[str, Bucket] = {}
        self.streaks: dict[str, Streak] = {}
        self.bursts: dict[str, Burst] = {}

    def take(self, client: str, now: float) -> float | None:
        """Charge the client for an attempt, up front so that parallel attempts cannot all pass the check before
        any of them failed; or, when its allowance is spent, when it may try again."""
        at = client_retry_at(self.buckets.get(client), now)
        if at is None:
            self._prune(now)
            self.buckets[client] = charge(self.buckets.get(client), now)
        return at

    def give_back(self, client: str, now: float) -> None:
        """Return what `take` charged: the attempt succeeded, or was refused before any password check."""
        self.buckets[client] = refund(self.buckets.get(client), now)

    def check_account(self, name: str, now: float) -> float | None:
        """When the account may be tried again, or None when it may now."""
        return account_retry_at(self.streaks.get(name), now)

    def failed(self, client: str, name: str, reason: str, now: float) -> None:
        """A failed attempt (the client already paid for it in `take`): it also costs the account."""
        self.streaks[name] = fail(self.streaks.get(name), now)
        self.refused(client, name, reason, now)

    def refused(self, client: str, name: str, reason: str, now: float) -> None:
        """An attempt refused by a limit before any check: recorded in the client's burst, costs nothing."""
        self.bursts[client] = add_failure(self.bursts.get(client), client, name, reason, now)

    def succeeded(self, name: str) -> None:
        self.streaks.pop(name, None)

    def due(self, now: float, everything: bool = False) -> list[Burst]:
        """Remove and return the bursts to write now (all of them when `everything`)."""
        done = [b for b in self.bursts.values() if everything or burst_over(b, now)]
        for b in done:
            del self.bursts[b.client]
        return done

    def _prune(self, now: float) -> None:
        # Keeps memory bounded while a client tries thousands of names: forget what no longer limits anyone.
        if len(self.streaks) > 1000:
            self.streaks = {k: s for k, s in self.streaks.items() if now - s.last < STREAK_RESET}
        if len(self.buckets) > 1000:
            self.buckets = {k: b for k, b in self.buckets.items() if refill(b, now).tokens < CLIENT_BURST}
