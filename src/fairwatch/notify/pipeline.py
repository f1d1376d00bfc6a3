"""The notification pipeline: alarm changes -> durable log -> one retry stage -> notifiers.

A change listener turns each committed alarm change into one job per routed receiver and writes the jobs to the
notification log through the single writer. `dispatch_due(now)` sends every due job once, records each outcome
(delivered, retried later with backoff, failed), and raises reminders for unacknowledged alarms; before that it
runs its timers (silence ends, escalations). Jobs for a silenced alarm are logged as silenced, never sent. A background
loop calls it every `interval` seconds and as soon as new jobs are logged. A new dispatcher over the same store
resumes pending jobs; delivered ones are never sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from fairwatch.alarms import AlarmChange
from fairwatch.clock import Clock
from fairwatch.metrics import Metrics
from fairwatch.model import Alarm, AlarmState
from fairwatch.notify import jobs
from fairwatch.notify.model import NotifyConfig
from fairwatch.notify.notifier import Notifier, Permanent, Retryable
from fairwatch.periodic import Periodic
from fairwatch.store import Notification, NotificationReads, Txn

log = logging.getLogger(__name__)
T = TypeVar("T")


class Writer(Protocol):
    """The single writer (ingest.Pipeline): runs `fn(txn, now)` in its own transaction."""

    def call(self, fn: Callable[[Txn, float], T]) -> Awaitable[T]: ...


class Muter(Protocol):
    """Says whether notifications about an alarm are silenced at `now` (`silences.SilenceService`)."""

    def silence_for(self, alarm: Alarm, now: float) -> int | None:
        """The id of a silence in force for `alarm` at `now`, or None."""
        ...


Timer = Callable[[float], Awaitable[object]]  # runs what is due at `now` before each dispatch


class Dispatcher:
    """Owns the notification log's life: enqueue, send, retry, remind."""

    def __init__(
        self,
        config: NotifyConfig,
        store: NotificationReads,
        writer: Writer,
        clock: Clock,
        metrics: Metrics,
        notifiers: Mapping[str, Notifier],
        *,
        interval: float = 0.5,
        batch: int = 200,
        concurrency: int = 32,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.writer = writer
        self.clock = clock
        self.metrics = metrics
        self.notifiers = dict(notifiers)
        self.interval = interval
        self.batch = batch
        self.rng = rng or random.Random()
        self._slots = asyncio.Semaphore(concurrency)
        self._unacked: dict[int, Alarm] = {}  # open, unacknowledged alarms that may need reminders
        self._last_sent: dict[tuple[int, str], float] = {}  # (alarm id, receiver) -> when last enqueued
        self._next_reminder: float | None = None
        self._pending: set[asyncio.Task[Any]] = set()
        self._lock = asyncio.Lock()
        self._timer = Periodic("notification dispatch", interval, self.dispatch_due, immediately=True)
        self.muter: Muter | None = None  # silences: matching jobs are logged as silenced, not sent
        self.timers: list[Timer] = []  # escalations and silence ends, run at the start of each dispatch

    # -- life cycle ------------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Load unacknowledged alarms for reminders and start the background loop (unless interval is 0)."""
        self._unacked = {a.id: a for a in self.store.open_alarms() if a.state is AlarmState.OPEN}
        self._last_sent = self.store.last_notified(list(self._unacked))
        self._next_reminder = self.clock.now() if self._unacked else None
        self._timer.start()

    async def stop(self) -> None:
        """Stop the loop, finish logging jobs of changes already seen, and close connections."""
        await self._timer.stop()
        await self.drain()
        for notifier in self.notifiers.values():
            with contextlib.suppress(Exception):
                await notifier.close()

    # -- enqueue ---------------------------------------------------------------------------------------------
    def on_changes(self, changes: list[AlarmChange]) -> None:
        """Change listener (runs in the writer after commit): log one job per routed receiver."""
        rows: list[Notification] = []
        for change in changes:
            for row in jobs.jobs_for(self.config, change):
                rows.append(self.muted(row, change.alarm, change.time))
                self._last_sent[(row.alarm_id, row.receiver)] = change.time
            self._track(change.alarm)
        if rows:
            self._spawn(self._enqueue(rows))

    def _track(self, alarm: Alarm) -> None:
        if alarm.state is not AlarmState.OPEN:
            self._unacked.pop(alarm.id, None)
            return
        known = alarm.id in self._unacked
        self._unacked[alarm.id] = alarm
        if not known:  # repeats of a tracked alarm cannot bring its reminders forward; skip the route scan
            _, first = jobs.due_reminders(self.config, [alarm], self._last_sent, -math.inf)
            self._remind_by(first)

    def _remind_by(self, when: float | None) -> None:
        if when is not None and (self._next_reminder is None or when < self._next_reminder):
            self._next_reminder = when

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _enqueue(self, rows: Sequence[Notification]) -> None:
        try:
            await self.writer.call(lambda txn, _now: txn.insert_notifications(rows))
        except Exception:
            log.exception("could not log %d notification jobs", len(rows))
            return
        self._timer.wake()

    def wake(self) -> None:
        """Look for due jobs now (someone else logged some)."""
        self._timer.wake()

    async def drain(self) -> None:
        """Wait until jobs of every change seen so far are in the log."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    # -- dispatch --------------------------------------------------------------------------------------------
    async def dispatch_due(self, now: float | None = None) -> int:
        """Send every job due at `now` (default: the clock) once; returns how many were attempted."""
        async with self._lock:
            await self.drain()
            now = self.clock.now() if now is None else now
            await self._run_timers(now)
            await self._remind(now)
            due = self.store.due_notifications(now, self.batch)
            if not due:
                return 0
            outcomes = await asyncio.gather(*(self._attempt(job, now) for job in due))
            await self.writer.call(lambda txn, _now: txn.update_notifications(outcomes))
            return len(due)

    async def _run_timers(self, now: float) -> None:
        for timer in self.timers:
            try:
                await timer(now)
            except Exception:  # a failing timer must not hold up deliveries; it runs again next time
                log.exception("notification timer failed")

    def muted(self, row: Notification, alarm: Alarm, now: float) -> Notification:
        """`row` as it is logged: status silenced while a silence is in force for `alarm`."""
        silence = self.muter.silence_for(alarm, now) if self.muter is not None else None
        return row if silence is None else jobs.silenced(row, silence, now)

    async def _attempt(self, job: Notification, now: float) -> Notification:
        notifier = self.notifiers.get(job.receiver)
        if notifier is None:  # the receiver was removed from the file since the job was logged
            return self._count(jobs.failed(job, f"receiver {job.receiver!r} is no longer configured", now))
        try:
            async with self._slots:
                await notifier.send(job, now)
        except Retryable as exc:
            return self._count(jobs.retry(job, str(exc), now, self.config.retry, self.rng, exc.retry_after))
        except Permanent as exc:
            return self._count(jobs.failed(job, str(exc), now))
        except Exception as exc:  # a bug in a notifier must not stop the others; bounded attempts still apply
            log.exception("notifier %s failed on %s", job.receiver, job.key)
            return self._count(
                jobs.retry(job, f"{type(exc).__name__}: {exc}", now, self.config.retry, self.rng)
            )
        return self._count(jobs.delivered(job, now))

    def _count(self, outcome: Notification) -> Notification:
        label = "retry" if outcome.status == jobs.PENDING else outcome.status
        self.metrics.notifications.labels(outcome.channel, label).inc()
        return outcome

    # -- reminders -------------------------------------------------------------------------------------------
    async def _remind(self, now: float) -> None:
        if self._next_reminder is None or now < self._next_reminder:
            return
        due, self._next_reminder = jobs.due_reminders(
            self.config, self._unacked.values(), self._last_sent, now
        )
        if not due:
            return
        rows = [self.muted(jobs.reminder_job(self.config, r, now), r.alarm, now) for r in due]
        for row in rows:
            self._last_sent[(row.alarm_id, row.receiver)] = now
        # The ones just sent fall due again one interval from now at the earliest.
        self._remind_by(now + min(r.repeat_interval or math.inf for r in self.config.routes))
        await self.writer.call(lambda txn, _now: txn.insert_notifications(rows))
