"""The single writer: batches concurrent submissions into one transaction (group commit), evaluates rules on the
newly stored events, applies alarm changes and audit records in the same transaction, and only then acknowledges."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from fairwatch.alarms import AlarmChange, AlarmService
from fairwatch.clock import Clock
from fairwatch.errors import FairwatchError, Overloaded, StoreUnavailable
from fairwatch.metrics import Metrics
from fairwatch.model import Decision, Event
from fairwatch.rules import Engine, EngineState
from fairwatch.store import Store, Txn

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(slots=True)
class _EventsJob:
    events: Sequence[Event]
    future: asyncio.Future[tuple[int, int]]


@dataclass(slots=True)
class _CallJob(Generic[T]):
    fn: Callable[[Txn, float], T]
    future: asyncio.Future[T]
    before: Callable[[float], Callable[[], None]] | None = None  # prepares work to run after the commit


@dataclass(slots=True)
class _TickJob:
    future: asyncio.Future[int]


@dataclass(slots=True)
class _Outcome:
    accepted: int = 0
    duplicates: int = 0
    decisions: list[tuple[Decision, str | None]] = field(default_factory=list)


class Pipeline:
    """All writes go through here, one at a time, on the event loop."""

    def __init__(
        self,
        store: Store,
        engine: Engine,
        alarms: AlarmService,
        clock: Clock,
        metrics: Metrics,
        on_changes: Callable[[list[AlarmChange]], None],
        *,
        queue_limit: int = 200_000,
        batch_max: int = 5_000,
    ) -> None:
        self.store = store
        self.engine = engine
        self.state: EngineState = engine.new_state()
        self.alarms = alarms
        self.clock = clock
        self.metrics = metrics
        self.on_changes = on_changes
        self.queue_limit = queue_limit
        self.batch_max = batch_max
        self._jobs: deque[_EventsJob | _CallJob[Any] | _TickJob] = deque()
        self._pending_events = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------
    def warm_up(self) -> int:
        """Rebuild rule state from stored events within the engine's horizon; returns events replayed."""
        self.state, count = self._warmed(self.engine, self.clock.now())
        return count

    def _warmed(self, engine: Engine, now: float) -> tuple[EngineState, int]:
        """A new state for `engine`, rebuilt from the stored events within its horizon before `now`."""
        state = engine.new_state()
        count = 0

        def counted() -> Any:
            nonlocal count
            for ev in self.store.iter_events(since=now - engine.horizon()):
                count += 1
                yield ev

        engine.warm_up(state, counted())
        return state, count

    def set_engine(self, engine: Engine) -> None:
        """Use `engine` (with an empty state) from the start; only before the writer runs."""
        if self.running:
            raise RuntimeError("the writer is running: use replace_engine")
        self.engine, self.state = engine, engine.new_state()

    async def replace_engine(self, engine: Engine, fn: Callable[[Txn, float], T]) -> T:
        """Swap in `engine` between two writes: warm its state from stored events, commit `fn(txn, now)` (e.g.
        the audit record of the switch), then evaluate every later event with it. Nothing else is written in
        between, so no event is evaluated half by one engine and half by the other."""

        def before(now: float) -> Callable[[], None]:
            state, _count = self._warmed(engine, now)

            def swap() -> None:
                self.engine, self.state = engine, state

            return swap

        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._push(_CallJob(fn, fut, before))
        return await fut

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="fairwatch-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    # -- submissions -----------------------------------------------------------------------------------------
    async def submit(self, events: Sequence[Event]) -> tuple[int, int]:
        """Store and evaluate events; returns (accepted, duplicates) once committed."""
        if self._pending_events + len(events) > self.queue_limit:
            raise Overloaded(f"ingest queue is full ({self._pending_events} events waiting); retry later", 1)
        fut: asyncio.Future[tuple[int, int]] = asyncio.get_running_loop().create_future()
        self._pending_events += len(events)
        self.metrics.queue_depth.set(self._pending_events)
        self._push(_EventsJob(events, fut))
        return await fut

    async def call(self, fn: Callable[[Txn, float], T]) -> T:
        """Run `fn(txn, now)` in its own transaction through the single writer."""
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._push(_CallJob(fn, fut))
        return await fut

    async def tick(self) -> int:
        """Fire timers (for, absence, clear); returns the number of decisions applied."""
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._push(_TickJob(fut))
        return await fut

    def _push(self, job: _EventsJob | _CallJob[Any] | _TickJob) -> None:
        if not self.running:
            raise StoreUnavailable("the writer is not running")
        self._jobs.append(job)
        self._wake.set()

    # -- the writer ------------------------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            if not self._jobs:
                self._wake.clear()
                await self._wake.wait()
            job = self._jobs.popleft()
            if isinstance(job, _EventsJob):
                batch = [job]
                size = len(job.events)
                while self._jobs and isinstance(self._jobs[0], _EventsJob) and size < self.batch_max:
                    nxt = self._jobs.popleft()
                    assert isinstance(nxt, _EventsJob)
                    batch.append(nxt)
                    size += len(nxt.events)
                await self._write_events(batch, size)
            elif isinstance(job, _TickJob):
                self._settle(job.future, lambda: self._write_tick())
            else:
                self._settle(job.future, lambda j=job: self._write_call(j.fn, j.before))  # type: ignore[misc]
            await asyncio.sleep(0)  # let request handlers enqueue more work before the next commit

    def _settle(self, fut: asyncio.Future[Any], work: Callable[[], Any]) -> None:
        try:
            result = work()
        except Exception as exc:  # the caller gets the error; the writer keeps going
            self.alarms.discard_staged()
            if not isinstance(exc, FairwatchError):
                log.exception("write failed")
            if not fut.done():
                fut.set_exception(exc)
            return
        self._publish()
        if not fut.done():
            fut.set_result(result)

    def _write_call(
        self, fn: Callable[[Txn, float], T], before: Callable[[float], Callable[[], None]] | None = None
    ) -> T:
        now = self.clock.now()
        after = before(now) if before is not None else None
        with self.store.transaction() as txn:
            result = fn(txn, now)
        if after is not None:
            after()  # only once committed
        return result

    def _write_tick(self) -> int:
        now = self.clock.now()
        decisions = self.engine.tick(self.state, now)
        if decisions:
            with self.store.transaction() as txn:
                self.alarms.apply_decisions(txn, [(d, None) for d in decisions], now)
        return len(decisions)

    async def _write_events(self, batch: list[_EventsJob], size: int) -> None:
        self._pending_events -= size
        self.metrics.queue_depth.set(self._pending_events)
        now = self.clock.now()
        try:
            async with self.store.group_transaction() as txn:
                outcomes = self._store_and_evaluate(txn, batch, now)
        except Exception as exc:
            self.alarms.discard_staged()
            log.exception("group commit of %d events failed", size)
            err = exc if isinstance(exc, FairwatchError) else StoreUnavailable(f"store write failed: {exc}")
            for job in batch:
                if not job.future.done():
                    job.future.set_exception(err)
            return
        self.metrics.batch_size.observe(size)
        for job, out in zip(batch, outcomes, strict=True):
            self.metrics.events.labels("accepted").inc(out.accepted)
            self.metrics.events.labels("duplicate").inc(out.duplicates)
            if not job.future.done():
                job.future.set_result((out.accepted, out.duplicates))
        self._publish()

    def _store_and_evaluate(self, txn: Txn, batch: list[_EventsJob], now: float) -> list[_Outcome]:
        keys = [(ev.id, ev.source) for job in batch for ev in job.events]
        seen = txn.existing_event_keys(keys)
        fresh: list[Event] = []
        outcomes: list[_Outcome] = []
        for job in batch:
            out = _Outcome()
            for ev in job.events:
                key = (ev.id, ev.source)
                if key in seen:
                    out.duplicates += 1
                else:
                    seen.add(key)
                    fresh.append(self.engine.place(ev))  # located but zoneless events get their zone here
                    out.accepted += 1
            outcomes.append(out)
        txn.insert_events(fresh)
        started = time.perf_counter()
        decisions: list[tuple[Decision, str | None]] = []
        evaluate, state = self.engine.evaluate, self.state
        for ev in fresh:
            for d in evaluate(state, ev, now):
                decisions.append((d, ev.source))
        self.metrics.rule_seconds.observe(time.perf_counter() - started)
        if decisions:
            self.alarms.apply_decisions(txn, decisions, now)
        return outcomes

    def _publish(self) -> None:
        changes = self.alarms.commit_staged()
        if changes:
            for ch in changes:
                self.metrics.alarm_changes.labels(ch.kind).inc()
            self.metrics.alarms_open.set(len(self.alarms.open))
            self.on_changes(changes)
