"""Escalation policies: who else is told when an alarm stays unacknowledged, and again when an acknowledged alarm
stays unresolved too long (docs/escalation.md).

What is due is a pure function (`due_steps`) of the alarm's state, when its current episode began (first seen,
or reopened), when it was acknowledged, and `now`. Each notification's idempotency key names the policy, level,
repeat and episode, so the notification log (unique keys) makes each one go out once, across restarts: after a
restart the episode is read back from the alarm and its audit history, and what was sent from the log.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from fairwatch.alarms import AlarmChange
from fairwatch.clock import Clock
from fairwatch.events.validate import rfc3339
from fairwatch.model import Alarm, AlarmState, AuditEntry, AuditRecord
from fairwatch.notify import jobs
from fairwatch.notify.model import EscalationPolicy, NotifyConfig
from fairwatch.notify.pipeline import Muter, Writer
from fairwatch.store import Notification, NotificationReads, NotificationTxn

ESCALATION = "escalation"  # notification kind of a level, and the alarm change kind of every step
ACK_TIMEOUT = "ack-timeout"  # notification kind of an acknowledgement timeout
ACTOR = "system:escalation"
AUDIT_ACTION = {ESCALATION: "alarm-escalation-notified", ACK_TIMEOUT: "alarm-ack-timeout"}
_STATE_FOR = {ESCALATION: AlarmState.OPEN, ACK_TIMEOUT: AlarmState.ACKNOWLEDGED}
_EPSILON = 1e-6  # seconds: a step due "exactly now" is due despite float rounding


@dataclass(frozen=True, slots=True)
class Episode:
    """Where an alarm stands: its state, since when it is unacknowledged (raised or reopened), since when acked."""

    state: AlarmState
    open_since: float
    acked_since: float | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """One notification due: a level (1-based) or an ack timeout, its `repeat` (0 first), and its receivers."""

    policy: str
    kind: str  # ESCALATION | ACK_TIMEOUT
    level: int
    repeat: int
    receivers: tuple[str, ...]
    since: float  # start of the episode (ESCALATION) or of the acknowledgement (ACK_TIMEOUT)

    @property
    def ident(self) -> str:
        """Names the step across restarts: kind, policy, level, repeat and the episode's start in ms."""
        return f"{self.kind}-{self.policy}-{self.level}-{self.repeat}@{round(self.since * 1000)}"

    def details(self) -> dict[str, Any]:
        """What receivers, the audit record and the stream are told about the step."""
        out: dict[str, Any] = {"policy": self.policy, "level": self.level, "receivers": list(self.receivers)}
        out["repeat"] = self.repeat
        since = "unacknowledged_since" if self.kind == ESCALATION else "acknowledged_at"
        out[since] = rfc3339(self.since)
        return out


# -- what is due (pure) --------------------------------------------------------------------------------------
def due_steps(policy: EscalationPolicy, episode: Episode, now: float) -> tuple[list[Step], float | None]:
    """The steps due at `now` and when the next one falls due (None: never, unless the alarm changes).

    Every level reached is due once (a restart never skips one); the current level is due at its latest
    repeat, and a level's repeats stop when the next level is reached."""
    if episode.state is AlarmState.OPEN:
        return _unacknowledged(policy, episode.open_since, now)
    if episode.state is AlarmState.ACKNOWLEDGED and episode.acked_since is not None:
        return _ack_timeout(policy, episode.acked_since, now)
    return [], None


def _unacknowledged(policy: EscalationPolicy, since: float, now: float) -> tuple[list[Step], float | None]:
    steps: list[Step] = []
    levels = policy.levels
    for index, level in enumerate(levels):
        start = since + level.after
        if now + _EPSILON < start:
            return steps, start
        end = since + levels[index + 1].after if index + 1 < len(levels) else math.inf
        if now + _EPSILON >= end:  # passed: its first notification is still owed if it never went out
            steps.append(Step(policy.name, ESCALATION, index + 1, 0, level.receivers, since))
            continue
        repeat, upcoming = _latest(start, level.repeat, end, now)
        steps.append(Step(policy.name, ESCALATION, index + 1, repeat, level.receivers, since))
        return steps, upcoming
    return steps, None


def _ack_timeout(policy: EscalationPolicy, since: float, now: float) -> tuple[list[Step], float | None]:
    every = policy.ack_timeout
    if every is None:
        return [], None
    start = since + every
    if now + _EPSILON < start:
        return [], start
    repeat, upcoming = _latest(start, every, math.inf, now)
    first = policy.levels[0].receivers
    return [Step(policy.name, ACK_TIMEOUT, 1, repeat, first, since)], upcoming


def _latest(start: float, every: float | None, end: float, now: float) -> tuple[int, float | None]:
    """The latest repeat due by `now` of a series starting at `start`, and when the next one is (before `end`)."""
    if every is None:
        return 0, None if math.isinf(end) else end
    n = int((now + _EPSILON - start) // every)
    upcoming = start + (n + 1) * every
    if upcoming >= end:
        return n, None if math.isinf(end) else end
    return n, upcoming


def episode_from_history(alarm: Alarm, history: Sequence[AuditRecord]) -> Episode:
    """The alarm's current episode as its audit history tells it (the same times the live changes carry)."""
    open_since, acked_since = alarm.first_seen, None
    for record in history:
        if record.action == "alarm-reopened":
            open_since, acked_since = record.time, None
        elif record.action == "alarm-acknowledged":
            acked_since = record.time
    return Episode(alarm.state, open_since, acked_since)


def level_reached(done: Iterable[str], episode: Episode) -> int:
    """The highest escalation level notified in the episode (0: none yet), from the idents of its steps."""
    suffix = f"@{round(episode.open_since * 1000)}"
    levels = [0]
    for ident in done:
        head, _, tail = ident.rpartition("@")
        if not ident.startswith(f"{ESCALATION}-") or f"@{tail}" != suffix:
            continue
        level = head.rsplit("-", 2)[-2]
        if level.isdigit():
            levels.append(int(level))
    return max(levels)


def step_key(alarm_id: int, receiver: str, step: Step) -> str:
    """The idempotency key of one receiver's notification of a step."""
    return f"{alarm_id}:{receiver}:{step.ident}"


def sent_steps(rows: Sequence[Notification]) -> set[str]:
    """Idents of the steps the log already holds for an alarm (whatever became of them)."""
    return {r.key.split(":", 2)[2] for r in rows if r.kind in AUDIT_ACTION and r.key.count(":") >= 2}


# -- the service ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Tracked:
    alarm: Alarm
    episode: Episode
    done: set[str] = field(default_factory=set)  # step idents known to be in the log
    due: float | None = -math.inf  # when to look again; None: only after the alarm changes


class EscalationService:
    """Follows open alarms that a route puts under a policy and logs each step's notifications when due."""

    def __init__(
        self,
        config: NotifyConfig,
        store: NotificationReads,
        writer: Writer,
        clock: Clock,
        publish: Callable[[list[AlarmChange]], None],
        muter: Muter | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.writer = writer
        self.clock = clock
        self.publish = publish  # the app's fan-out of alarm changes (stream and listeners)
        self.muter = muter
        self._tracked: dict[int, _Tracked] = {}
        self._unknown: set[int] = set()  # alarms that came under a policy late: load their story first
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Load open alarms under a policy, their episodes and what the log says was sent."""
        for alarm in self.store.open_alarms():
            if self.config.policies_for(alarm):
                self._load(alarm)

    def _load(self, alarm: Alarm) -> None:
        episode = episode_from_history(alarm, self.store.history(f"alarm:{alarm.id}"))
        done = sent_steps(self.store.notifications_for(alarm.id))
        self._tracked[alarm.id] = _Tracked(alarm, episode, done)

    def levels(self, alarm_ids: Sequence[int]) -> dict[int, int]:
        """Alarm id -> the escalation level its current episode reached, for the alarms followed that reached one."""
        out: dict[int, int] = {}
        for alarm_id in alarm_ids:
            tracked = self._tracked.get(alarm_id)
            level = level_reached(tracked.done, tracked.episode) if tracked is not None else 0
            if level:
                out[alarm_id] = level
        return out

    def on_changes(self, changes: list[AlarmChange]) -> None:
        """Change listener: start, move or stop following each changed alarm (no I/O here)."""
        for change in changes:
            if change.kind != ESCALATION:
                self._follow(change)

    def _follow(self, change: AlarmChange) -> None:
        alarm, kind = change.alarm, change.kind
        if alarm.state is AlarmState.RESOLVED:
            self._tracked.pop(alarm.id, None)
            return
        tracked = self._tracked.get(alarm.id)
        if kind in ("raised", "reopened"):
            since = alarm.first_seen if kind == "raised" else change.time
            if self.config.policies_for(alarm):
                self._tracked[alarm.id] = _Tracked(alarm, Episode(alarm.state, since))
        elif tracked is not None:
            acked = change.time if kind == "acknowledged" else tracked.episode.acked_since
            tracked.episode = replace(tracked.episode, state=alarm.state, acked_since=acked)
            tracked.alarm, tracked.due = alarm, -math.inf
        elif kind == "escalated" and self.config.policies_for(alarm):  # its severity rose into a route
            self._unknown.add(alarm.id)

    async def run_due(self, now: float | None = None) -> int:
        """Log the notifications of every step due at `now`; returns how many steps were logged."""
        now = self.clock.now() if now is None else now
        async with self._lock:
            self._load_unknown()
            batch = self._collect(now)
            if not batch:
                return 0
            try:
                written = await self.writer.call(lambda txn, _now: self._write(txn, batch, now))
            except Exception:
                for tracked, _ in batch:
                    tracked.due = -math.inf  # nothing was logged: look again at the next run
                raise
            for tracked, steps in batch:
                tracked.done.update(s.ident for s in steps)
        if written:
            self.publish(written)
        return len(written)

    def _load_unknown(self) -> None:
        for alarm_id in sorted(self._unknown):
            alarm = self.store.get_alarm(alarm_id)
            if alarm is not None and alarm.state is not AlarmState.RESOLVED:
                self._load(alarm)
        self._unknown.clear()

    def _collect(self, now: float) -> list[tuple[_Tracked, list[Step]]]:
        batch: list[tuple[_Tracked, list[Step]]] = []
        for tracked in self._tracked.values():
            if tracked.due is None or tracked.due > now:
                continue
            steps, tracked.due = self._due(tracked, now)
            fresh = [s for s in steps if s.ident not in tracked.done]
            if fresh:
                batch.append((tracked, fresh))
        return batch

    def _due(self, tracked: _Tracked, now: float) -> tuple[list[Step], float | None]:
        steps: list[Step] = []
        upcoming: float | None = None
        for policy in self.config.policies_for(tracked.alarm):
            found, at = due_steps(policy, tracked.episode, now)
            steps.extend(found)
            if at is not None and (upcoming is None or at < upcoming):
                upcoming = at
        return steps, upcoming

    def _write(
        self, txn: NotificationTxn, batch: list[tuple[_Tracked, list[Step]]], now: float
    ) -> list[AlarmChange]:
        """In the writer: log and audit each step whose alarm is still in the state it was due for."""
        changes: list[AlarmChange] = []
        for tracked, steps in batch:
            alarm = txn.get_alarm(tracked.alarm.id)
            if alarm is None:
                continue
            silence = self.muter.silence_for(alarm, now) if self.muter is not None else None
            for step in steps:
                # Acknowledged or resolved since it was computed: the change is on its way to on_changes.
                if alarm.state is not _STATE_FOR[step.kind]:
                    continue
                if txn.insert_notifications(self._rows(alarm, step, now, silence)) == 0:
                    continue  # in the log already
                details = step.details() | ({"silenced_by": silence} if silence is not None else {})
                audit = AuditEntry(now, ACTOR, AUDIT_ACTION[step.kind], f"alarm:{alarm.id}", details)
                txn.append_audit(audit)
                change = {"step": step.kind, **details}
                changes.append(AlarmChange(ESCALATION, alarm, ACTOR, now, change, txn.parent_of(alarm.id)))
        return changes

    def _rows(self, alarm: Alarm, step: Step, now: float, silence: int | None) -> list[Notification]:
        body = jobs.change_body(step.kind, alarm, ACTOR, now, step.details())
        rows: list[Notification] = []
        for name in step.receivers:
            row = jobs.job(self.config.receivers[name], step.kind, alarm, body, now)
            row = replace(row, key=step_key(alarm.id, name, step))
            rows.append(row if silence is None else jobs.silenced(row, silence, now))
        return rows


__all__ = [
    "ACK_TIMEOUT",
    "ESCALATION",
    "Episode",
    "EscalationService",
    "Step",
    "due_steps",
    "episode_from_history",
    "level_reached",
    "sent_steps",
    "step_key",
]
