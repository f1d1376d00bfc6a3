"""The writer's queue entries and the outcome of storing one submission. Plain data."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from fairwatch.errors import Problem, Unstorable
from fairwatch.model import Decision, Event
from fairwatch.store import Txn

T = TypeVar("T")


@dataclass(slots=True)
class EventsJob:
    """A submission of events; resolves to (accepted, duplicates) once committed."""

    events: Sequence[Event]
    future: asyncio.Future[tuple[int, int]]


@dataclass(slots=True)
class CallJob(Generic[T]):
    """`fn(txn, now)` in its own transaction; `before(now)` prepares work to run only after the commit."""

    fn: Callable[[Txn, float], T]
    future: asyncio.Future[T]
    before: Callable[[float], Callable[[], None]] | None = None


class TimerHook(Protocol):
    """Timers kept outside the rules (field units' check-ins): the tick asks `due(now)` first, so a tick with
    nothing due opens no transaction; `fire` runs inside the tick's transaction and returns the decisions to
    apply; `reset` is called when that transaction failed (look again next tick)."""

    def due(self, now: float) -> bool: ...
    def fire(self, txn: Txn, now: float) -> list[Decision]: ...
    def reset(self) -> None: ...


@dataclass(slots=True)
class TickJob:
    """Fire the rule timers due now; resolves to the number of decisions applied."""

    future: asyncio.Future[int]


Job = EventsJob | CallJob[Any] | TickJob


@dataclass(slots=True)
class Outcome:
    """What became of one submission's events."""

    accepted: int = 0
    duplicates: int = 0


def fail(job: EventsJob, exc: BaseException) -> None:
    """Answer a submission with `exc` (unless already answered)."""
    if not job.future.done():
        job.future.set_exception(exc)


def refused(index: int, event: Event, exc: Unstorable) -> Problem:
    """The problem entry for an event the store would not hold."""
    message = f"the store cannot hold this event (correlation id {exc.correlation_id})"
    return Problem("event", event.id, message, index)
