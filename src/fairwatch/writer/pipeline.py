"""The single writer: batches concurrent submissions into one transaction (group commit), evaluates rules on the
newly stored events, applies alarm changes and audit records in the same transaction, and only then acknowledges.

A write that fails leaves no trace: the store rolls back (and resets its connection), the rule state rolls
back to its pre-images (`EngineState.begin/commit/rollback`) and staged alarm changes are discarded, so a
retried submission is evaluated exactly once. A batch the store refuses for a *data* reason (`Unstorable`) is
retried one submission, then one event, at a time, so only the bad event fails. `drain()` finishes what was
accepted and refuses the rest; `check()` says why the writer is not healthy (for /readyz).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from fairwatch.alarms import AlarmChange, AlarmService
from fairwatch.clock import Clock
from fairwatch.errors import FairwatchError, Overloaded, Problem, StoreUnavailable, Unstorable
from fairwatch.metrics import Metrics
from fairwatch.model import Decision, Event
from fairwatch.rules import Engine, EngineState
from fairwatch.store import Store, Txn
from fairwatch.writer.jobs import CallJob, EventsJob, Job, Outcome, TickJob, TimerHook, fail, refused

log = logging.getLogger(__name__)
T = TypeVar("T")
STOPPING_RETRY_S = 5  # Retry-After for work refused while the server stops
PROBE_KEY = "writer.probe"  # the kv row /readyz rewrites to learn whether the store takes writes again


class Pipeline:
    """All writes go through here, one at a time, on the event loop.

    Lifecycle: `start()`; then `submit`/`call`/`tick`; then `drain()` (finish every accepted job, refuse new
    ones with `StoreUnavailable`) and `stop()` (drain, then forget the writer task). Both are idempotent.
    """

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
        self.problem: str | None = None  # why the last write failed, until a write succeeds again
        self._jobs: deque[Job] = deque()
        self._pending_events = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._probe: asyncio.Future[object] | None = None
        # Told the events each batch stored, after its COMMIT (e.g. the console's live crowd measures):
        self.event_listeners: list[Callable[[Sequence[Event], float], None]] = []
        self._fresh: list[Event] = []
        # Timers of other packages (field units' check-ins), fired by the tick in the same transaction as the rules'.
        self.timers: list[TimerHook] = []
        # Called in each event batch's transaction with its submissions, after their events are inserted (a
        # cluster worker records its stream offset there, so the offset commits with the events).
        self.batch_hooks: list[Callable[[Txn, Sequence[Sequence[Event]]], None]] = []
        # Called last in every transaction of the writer (events, tick, call), before its COMMIT (a cluster worker
        # writes its outbox of committed changes there).
        self.commit_hooks: list[Callable[[Txn], None]] = []
        # Which stored events warm-up replays (a cluster partition replays only its own sites); None: all.
        self.warm_filter: Callable[[Event], bool] | None = None
        self._accepted_total = metrics.events.labels("accepted")
        self._duplicate_total = metrics.events.labels("duplicate")

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
            keep = self.warm_filter
            for ev in self.store.iter_events(since=now - engine.horizon()):
                if keep is not None and not keep(ev):
                    continue
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
        self._push(CallJob(fn, fut, before))
        return await fut

    def start(self) -> None:
        """Start the writer task on the running loop."""
        self._stopping = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name="fairwatch-writer")

    async def drain(self) -> None:
        """Finish every job already accepted (their futures resolve, so their 202s go out), then stop: from the
        first call on, new work is refused with `StoreUnavailable` ("the server is stopping", Retry-After) and
        nothing is written once this returns."""
        self._stopping = True
        self._wake.set()
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait([task])

    async def stop(self) -> None:
        """`drain()`, then forget the writer task; jobs still queued (only if the task died) fail."""
        await self.drain()
        self._task = None
        while self._jobs:
            job = self._jobs.popleft()
            if not job.future.done():
                job.future.set_exception(StoreUnavailable("the server is stopping", STOPPING_RETRY_S))

    @property
    def running(self) -> bool:
        """True while the writer task runs (also while it drains)."""
        return self._task is not None and not self._task.done()

    async def check(self) -> str | None:
        """None if the writer takes work and its last write succeeded; else why not (for /readyz). After a
        failed write, each check commits a small probe write (one at a time), so readiness comes back as soon
        as the store takes writes again, even when no client is sending."""
        if self._stopping:
            return "writer: the server is stopping"
        if not self.running:
            return "writer: not running"
        if self.problem is None:
            return None
        if self._probe is None or self._probe.done():
            fut: asyncio.Future[object] = asyncio.get_running_loop().create_future()
            self._push(CallJob(lambda txn, now: txn.set_kv(PROBE_KEY, repr(now)), fut))
            self._probe = fut
        probe = self._probe
        await asyncio.wait([probe])
        if not probe.cancelled():
            probe.exception()  # retrieved: its failure is reported through `problem`
        return None if self.problem is None else f"writer: {self.problem}"

    # -- submissions -----------------------------------------------------------------------------------------
    async def submit(self, events: Sequence[Event]) -> tuple[int, int]:
        """Store and evaluate events; returns (accepted, duplicates) once committed."""
        if self._pending_events + len(events) > self.queue_limit:
            raise Overloaded(f"ingest queue is full ({self._pending_events} events waiting); retry later", 1)
        fut: asyncio.Future[tuple[int, int]] = asyncio.get_running_loop().create_future()
        self._push(EventsJob(events, fut))
        self._pending_events += len(events)
        self.metrics.queue_depth.set(self._pending_events)
        return await fut

    async def call(self, fn: Callable[[Txn, float], T]) -> T:
        """Run `fn(txn, now)` in its own transaction through the single writer."""
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._push(CallJob(fn, fut))
        return await fut

    async def tick(self) -> int:
        """Fire timers (for, absence, clear); returns the number of decisions applied."""
        fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._push(TickJob(fut))
        return await fut

    def _push(self, job: Job) -> None:
        if self._stopping:
            raise StoreUnavailable("the server is stopping", STOPPING_RETRY_S)
        if not self.running:
            raise StoreUnavailable("the writer is not running")
        self._jobs.append(job)
        self._wake.set()

    # -- the writer ------------------------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            if not self._jobs:
                if self._stopping:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            job = self._jobs.popleft()
            if isinstance(job, EventsJob):
                batch = [job]
                size = len(job.events)
                while self._jobs and isinstance(self._jobs[0], EventsJob) and size < self.batch_max:
                    nxt = self._jobs.popleft()
                    assert isinstance(nxt, EventsJob)
                    batch.append(nxt)
                    size += len(nxt.events)
                await self._write_events(batch, size)
            elif isinstance(job, TickJob):
                self._settle(job.future, self._write_tick)
            else:
                self._settle(job.future, lambda j=job: self._write_call(j.fn, j.before))  # type: ignore[misc]
            await asyncio.sleep(0)  # let request handlers enqueue more work before the next commit

    def _settle(self, fut: asyncio.Future[Any], work: Callable[[], Any]) -> None:
        try:
            result = work()
        except Exception as exc:  # the caller gets the error; the writer keeps going
            self._failed(exc)
            if not fut.done():
                fut.set_exception(exc)
            return
        self._publish()
        if not fut.done():
            fut.set_result(result)

    def _failed(self, exc: BaseException) -> None:
        """Note a failed write: the store's cause makes the writer unhealthy; a bug is logged."""
        if isinstance(exc, StoreUnavailable):
            self.problem = str(exc)
        elif not isinstance(exc, FairwatchError):
            log.error("write failed", exc_info=exc)

    def _undo(self) -> None:
        """After a failed transaction: rule state and staged alarm changes as they were before it."""
        self.state.rollback()
        self.alarms.discard_staged()

    def _committed(self) -> None:
        self.state.commit()
        self.problem = None

    def _write_call(
        self, fn: Callable[[Txn, float], T], before: Callable[[float], Callable[[], None]] | None = None
    ) -> T:
        now = self.clock.now()
        after = before(now) if before is not None else None
        self.state.begin()
        try:
            with self.store.transaction() as txn:
                result = fn(txn, now)
                self._before_commit(txn)
        except BaseException:
            self._undo()
            raise
        self._committed()
        if after is not None:
            after()  # only once committed
        return result

    def _write_tick(self) -> int:
        now = self.clock.now()
        hooks = [h for h in self.timers if h.due(now)]
        self.state.begin()
        try:
            decisions = self.engine.tick(self.state, now)
            # Shelved alarms whose time is up come back in the same transaction (alarms/shelving.py).
            shelved = self.alarms.shelves_due(now)
            if decisions or hooks or shelved:
                with self.store.transaction() as txn:
                    for hook in hooks:
                        decisions += hook.fire(txn, now)
                    if decisions:
                        self.alarms.apply_decisions(txn, [(d, None) for d in decisions], now)
                    if shelved:
                        self.alarms.return_shelved(txn, now)
                    self._before_commit(txn)
        except BaseException:
            self._undo()  # the timers fire again on the next tick
            for hook in hooks:
                hook.reset()
            raise
        if decisions or shelved:
            self._committed()
        else:
            self.state.commit()
        return len(decisions)

    async def _write_events(self, batch: list[EventsJob], size: int) -> None:
        self._pending_events -= size
        self.metrics.queue_depth.set(self._pending_events)
        now = self.clock.now()
        try:
            outcomes = await self._commit_events([job.events for job in batch], now)
        except asyncio.CancelledError:
            for job in batch:
                fail(job, StoreUnavailable("the server is stopping", STOPPING_RETRY_S))
            raise
        except Unstorable:
            await self._one_at_a_time(batch, now)  # find the bad event; store its neighbours
            return
        except Exception as exc:
            self._failed(exc)
            for job in batch:
                fail(job, exc)
            return
        self.metrics.batch_size.observe(size)
        total = Outcome()
        for job, out in zip(batch, outcomes, strict=True):
            total.accepted += out.accepted
            total.duplicates += out.duplicates
            if not job.future.done():
                job.future.set_result((out.accepted, out.duplicates))
        self._count(total)  # once per commit, not per submission

    async def _commit_events(self, submissions: Sequence[Sequence[Event]], now: float) -> list[Outcome]:
        """Store and evaluate the submissions in one transaction; if it fails, nothing of it remains."""
        self.state.begin()
        try:
            async with self.store.group_transaction() as txn:
                outcomes = self._store_and_evaluate(txn, submissions, now)
                self._before_commit(txn)
        except BaseException:
            self._undo()
            raise
        self._committed()
        self._publish()
        self._tell(now)
        return outcomes

    async def _one_at_a_time(self, batch: list[EventsJob], now: float) -> None:
        """The store refused the batch for a data reason: retry each submission alone, and the events of a
        refused one alone, so honest events are stored and only submissions with a bad event fail."""
        for i, job in enumerate(batch):
            try:
                out = (await self._commit_events([job.events], now))[0]
            except Unstorable as exc:
                await self._split(job, now, exc)
            except Exception as exc:
                self._failed(exc)
                for rest in batch[i:]:
                    fail(rest, exc)
                return
            else:
                self._accepted(job, out)

    async def _split(self, job: EventsJob, now: float, first: Unstorable) -> None:
        """Each event of a refused submission alone; the submission fails naming the refused events."""
        out = Outcome()
        problems: list[Problem] = []
        if len(job.events) == 1:
            problems.append(refused(0, job.events[0], first))
        else:
            for index, event in enumerate(job.events):
                try:
                    one = (await self._commit_events([[event]], now))[0]
                except Unstorable as exc:
                    first = first if problems else exc
                    problems.append(refused(index, event, exc))
                    continue
                out.accepted += one.accepted
                out.duplicates += one.duplicates
        self._count(out)
        self.metrics.events.labels("rejected").inc(len(problems))
        stored = f"{out.accepted + out.duplicates} of {len(job.events)} events stored; "
        message = stored + f"the store cannot hold {len(problems)} (see problems)"
        fail(job, Unstorable(message, problems, first.correlation_id))

    def _accepted(self, job: EventsJob, out: Outcome) -> None:
        self._count(out)
        if not job.future.done():
            job.future.set_result((out.accepted, out.duplicates))

    def _count(self, out: Outcome) -> None:
        self._accepted_total.inc(out.accepted)
        self._duplicate_total.inc(out.duplicates)

    def _store_and_evaluate(
        self, txn: Txn, submissions: Sequence[Sequence[Event]], now: float
    ) -> list[Outcome]:
        keys = [(ev.id, ev.source) for events in submissions for ev in events]
        seen = txn.existing_event_keys(keys)
        fresh: list[Event] = []
        outcomes: list[Outcome] = []
        for events in submissions:
            out = Outcome()
            for ev in events:
                key = (ev.id, ev.source)
                if key in seen:
                    out.duplicates += 1
                else:
                    seen.add(key)
                    fresh.append(self.engine.place(ev))  # located but zoneless events get their zone here
                    out.accepted += 1
            outcomes.append(out)
        txn.insert_events(fresh)
        for hook in self.batch_hooks:
            hook(txn, submissions)
        self._fresh = fresh
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

    def _before_commit(self, txn: Txn) -> None:
        for hook in self.commit_hooks:
            hook(txn)

    def _tell(self, now: float) -> None:
        fresh, self._fresh = self._fresh, []
        if not fresh:
            return
        for listener in self.event_listeners:
            try:
                listener(fresh, now)
            except Exception:
                log.exception("event listener failed")

    def _publish(self) -> None:
        changes = self.alarms.commit_staged()
        if changes:
            kinds: dict[str, int] = {}
            for ch in changes:
                kinds[ch.kind] = kinds.get(ch.kind, 0) + 1
            for kind, n in kinds.items():  # one metric update per kind, not per change (an alarm storm)
                self.metrics.alarm_changes.labels(kind).inc(n)
            self.metrics.alarms_open.set(len(self.alarms.open))
            self.on_changes(changes)
