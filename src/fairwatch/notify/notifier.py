"""The seam between the dispatcher and a channel: a notifier sends one job and says, by the error it raises,
whether trying again could help.

    DeliveryError
    ├── Retryable    the receiver may accept later (timeout, refused connection, 5xx, 408, 429)
    └── Permanent    it will not (4xx, bad template, unknown recipient); the job fails at once
"""

from __future__ import annotations

from typing import Protocol

from fairwatch.errors import FairwatchError
from fairwatch.store.base import Notification


class DeliveryError(FairwatchError):
    """A notification could not be delivered."""


class Retryable(DeliveryError):
    """Try again later; `retry_after` (seconds) is the receiver's own hint, if it gave one."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class Permanent(DeliveryError):
    """Trying again will not help."""


class Notifier(Protocol):
    """Delivers jobs for one receiver on one channel."""

    @property
    def channel(self) -> str: ...

    async def send(self, job: Notification, now: float) -> None:
        """Deliver `job`; raise Retryable or Permanent when it was not delivered."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
