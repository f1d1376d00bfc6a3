"""`Leases.acquire` when NATS answers the awkward way: a race inside the client's `create` is "not now", not a
crash of the worker's claim loop. The key-value bucket is the outside world here, so it is faked."""

from __future__ import annotations

import asyncio

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

from fairwatch.cluster.lease import Leases


class RacingBucket:
    """`create` fails as nats-py's does when the holder's entry expires between its two requests."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def create(self, key: str, value: bytes) -> int:
        raise self.error


def test_a_held_lease_and_one_expiring_under_create_are_both_not_now() -> None:
    for error in (KeyWrongLastSequenceError(description="wrong last sequence: 105"), KeyNotFoundError()):
        leases = Leases(RacingBucket(error), "w1", 2.0)  # type: ignore[arg-type]
        assert asyncio.run(leases.acquire("riverside")) is None
