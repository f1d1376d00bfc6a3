"""Sign-in limits as pure decisions with `now` passed in: the per-client bucket, the account's growing delay, and
how failures are gathered into one audit record per burst."""

from __future__ import annotations

import pytest

from fairwatch.console import limits
from fairwatch.console.limits import Bucket, Burst, Streak, Verdict

T0 = 1_783_000_000.0


@pytest.mark.parametrize(
    ("bucket", "now", "expected"),
    [
        (None, T0, None),  # a new client starts with the full allowance
        (Bucket(1, T0), T0, None),
        (Bucket(0, T0), T0, T0 + 10),  # empty: one more failure every 10 s
        (Bucket(0.5, T0), T0, T0 + 5),
        (Bucket(0, T0), T0 + 10, None),  # refilled
        (Bucket(0, T0 - 3600), T0, None),
    ],
    ids=["new-client", "one-left", "empty", "half-a-token", "refilled", "long-ago"],
)
def test_client_retry_at(bucket: Bucket | None, now: float, expected: float | None) -> None:
    assert limits.client_retry_at(bucket, now) == expected


def test_a_control_room_behind_one_address_gets_a_shift_change_of_mistakes() -> None:
    bucket: Bucket | None = None
    for i in range(limits.CLIENT_BURST):  # 30 failures within 3 seconds from one address all go ahead
        assert limits.client_retry_at(bucket, T0 + i / 10) is None
        bucket = limits.charge(bucket, T0 + i / 10)
    assert limits.client_retry_at(bucket, T0 + 3) is not None
    # ... after which one address gets six tries a minute: thousands of names take hours, not seconds.


def test_a_client_cannot_go_below_empty_or_above_full() -> None:
    assert limits.charge(Bucket(0, T0), T0) == Bucket(0, T0)
    assert limits.refund(None, T0) == Bucket(limits.CLIENT_BURST, T0)


@pytest.mark.parametrize(
    ("failures", "delay"),
    [(0, 0.0), (2, 0.0), (3, 2.0), (4, 4.0), (5, 8.0), (8, 64.0), (9, 120.0), (50, 120.0)],
    ids=lambda v: str(v),
)
def test_the_account_delay_grows_and_is_capped(failures: int, delay: float) -> None:
    assert limits.account_delay(failures) == delay


@pytest.mark.parametrize(
    ("streak", "now", "expected"),
    [
        (None, T0, None),
        (Streak(2, T0), T0, None),  # the first failures cost nothing
        (Streak(3, T0), T0 + 1, T0 + 2),  # the wait counts from the last failure
        (Streak(3, T0), T0 + 2, None),  # ... and is over: a slowdown, never a lockout
        (Streak(20, T0), T0 + 119, T0 + 120),
        (Streak(20, T0 - 15 * 60), T0, None),  # forgotten after 15 quiet minutes
    ],
    ids=["none", "free", "waiting", "waited", "capped", "forgotten"],
)
def test_account_retry_at(streak: Streak | None, now: float, expected: float | None) -> None:
    assert limits.account_retry_at(streak, now) == expected


@pytest.mark.parametrize(
    ("streak", "now", "expected"),
    [
        (None, T0, Streak(1, T0)),
        (Streak(4, T0 - 60), T0, Streak(5, T0)),
        (Streak(4, T0 - 15 * 60), T0, Streak(1, T0)),
    ],
    ids=["first", "another", "after-a-quiet-spell"],
)
def test_fail(streak: Streak | None, now: float, expected: Streak) -> None:
    assert limits.fail(streak, now) == expected


@pytest.mark.parametrize(
    ("bucket", "streak", "expected"),
    [
        (None, None, (Verdict.ALLOWED, None)),
        (
            Bucket(0, T0),
            Streak(9, T0),
            (Verdict.CLIENT_LIMITED, T0 + 10),
        ),  # the client limit is checked first
        (Bucket(5, T0), Streak(4, T0), (Verdict.ACCOUNT_SLOWED, T0 + 4)),
    ],
    ids=["allowed", "client-limited", "account-slowed"],
)
def test_decide(bucket: Bucket | None, streak: Streak | None, expected: tuple[Verdict, float | None]) -> None:
    assert limits.decide(bucket, streak, T0) == expected


def test_a_burst_counts_failures_and_names_a_bounded_number_of_accounts() -> None:
    burst: Burst | None = None
    for i in range(limits.BURST_NAMES + 5):
        burst = limits.add_failure(burst, "10.0.0.9", f"name{i:02}", "unknown-user", T0 + i)
    burst = limits.add_failure(burst, "10.0.0.9", "name00", "bad-password", T0 + 30)
    details = limits.burst_details(burst)
    assert details["count"] == limits.BURST_NAMES + 6
    assert (details["first"], details["last"]) == (T0, T0 + 30)
    assert len(details["accounts"]) == limits.BURST_NAMES and details["accounts"]["name00"] == 2
    assert details["other_accounts"] == 5
    assert details["reasons"] == {"bad-password": 1, "unknown-user": limits.BURST_NAMES + 5}


@pytest.mark.parametrize(
    ("burst", "now", "over"),
    [
        (Burst("c", T0, T0 + 10), T0 + 69, False),
        (Burst("c", T0, T0 + 10), T0 + 70, True),  # a quiet minute ends a burst
        (Burst("c", T0, T0 + 299), T0 + 300, True),  # a long attack is written every 5 minutes
    ],
    ids=["going-on", "quiet-minute", "five-minutes"],
)
def test_burst_over(burst: Burst, now: float, over: bool) -> None:
    assert limits.burst_over(burst, now) is over


def test_parallel_attempts_are_charged_before_any_of_them_failed() -> None:
    limiter = limits.Limiter()
    started = [limiter.take("10.0.0.9", T0) for _ in range(limits.CLIENT_BURST + 5)]
    assert started.count(None) == limits.CLIENT_BURST  # the rest are refused before any password check
    limiter.give_back("10.0.0.9", T0)  # one of them signed in: it costs nothing
    assert limiter.take("10.0.0.9", T0) is None


def test_the_limiter_writes_each_burst_once() -> None:
    limiter = limits.Limiter()
    for i in range(100):
        limiter.failed("10.0.0.9", f"guess{i}", "unknown-user", T0 + i * 0.1)
    assert limiter.due(T0 + 30) == []
    [burst] = limiter.due(T0 + 10 + limits.BURST_GAP)
    assert burst.count == 100
    assert limiter.due(T0 + 1000, everything=True) == []
