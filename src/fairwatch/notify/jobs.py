"""What goes into the notification log and when a job is tried again: pure functions of (job, outcome, now)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from fairwatch.alarms import AlarmChange
from fairwatch.alarms.serialize import alarm_fields
from fairwatch.events.validate import rfc3339
from fairwatch.model import Alarm, AlarmState
from fairwatch.notify.model import NotifyConfig, Receiver, RetryPolicy
from fairwatch.store.base import Notification

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
SILENCED = "silenced"  # logged while a silence was in force, never sent (notify/silences.py)
REMINDER = "reminder"
MAX_ERROR = 500  # characters of a receiver's error kept in the log
# Operator narrative (a comment, a resolve note, a reopen reason) is stored and audited but never published:
# receivers get that it happened, not what was written (RS-13, issue 17 §2).
NARRATIVE = frozenset({"text", "note", "reason"})
_NARRATIVE_KINDS = frozenset({"commented", "resolved", "reopened"})


def public_details(kind: str, details: Mapping[str, Any]) -> dict[str, Any]:
    """A change's details as receivers get them: without operator narrative."""
    if kind not in _NARRATIVE_KINDS:
        return dict(details)
    return {k: v for k, v in details.items() if k not in NARRATIVE}


def change_body(
    kind: str, alarm: Alarm, actor: str, time: float, details: Mapping[str, Any]
) -> dict[str, Any]:
    """The JSON every receiver gets: {alarm, change, actor, time, details}; never operator narrative."""
    return {
        "alarm": alarm_fields(alarm),
        "change": kind,
        "actor": actor,
        "time": rfc3339(time),
        "details": public_details(kind, details),
    }


def idempotency_key(alarm_id: int, version: int, receiver: str, suffix: str = "") -> str:
    """Stable per (alarm, version, receiver): a receiver that sees the key twice has seen the change twice."""
    key = f"{alarm_id}:{version}:{receiver}"
    return f"{key}:{suffix}" if suffix else key


def job(
    receiver: Receiver, kind: str, alarm: Alarm, body: dict[str, Any], now: float, suffix: str = ""
) -> Notification:
    """A pending job, due now."""
    return Notification(
        key=idempotency_key(alarm.id, alarm.version, receiver.name, suffix),
        alarm_id=alarm.id,
        version=alarm.version,
        receiver=receiver.name,
        channel=receiver.channel,
        kind=kind,
        payload=body,
        next_attempt=now,
        created=now,
        updated=now,
    )


def jobs_for(config: NotifyConfig, change: AlarmChange) -> list[Notification]:
    """One job per receiver the change is routed to."""
    receivers = config.receivers_for(change.alarm, change.kind)
    if not receivers:
        return []
    body = change_body(change.kind, change.alarm, change.actor, change.time, change.details)
    return [job(r, change.kind, change.alarm, body, change.time) for r in receivers]


def backoff(attempts: int, policy: RetryPolicy, rng: random.Random) -> float:
    """Delay before attempt `attempts + 1`: doubling from `initial`, capped, with "equal jitter" (half fixed,
    half random) so receivers that failed together are not retried in lockstep."""
    ceiling = min(policy.maximum, policy.initial * 2.0 ** (attempts - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


def delivered(n: Notification, now: float) -> Notification:
    """The job after a successful attempt."""
    return replace(n, status=DELIVERED, attempts=n.attempts + 1, last_error=None, updated=now)


def silenced(n: Notification, silence_id: int, now: float) -> Notification:
    """The job as logged while silence `silence_id` is in force: kept in the log, never sent."""
    return replace(n, status=SILENCED, last_error=f"silenced by silence {silence_id}", updated=now)


def failed(n: Notification, error: str, now: float) -> Notification:
    """The job after a permanent failure."""
    return replace(n, status=FAILED, attempts=n.attempts + 1, last_error=error[:MAX_ERROR], updated=now)


def retry(
    n: Notification,
    error: str,
    now: float,
    policy: RetryPolicy,
    rng: random.Random,
    hint: float | None = None,
) -> Notification:
    """The job after a retryable failure: scheduled again, or failed when the attempts are used up."""
    attempts = n.attempts + 1
    if attempts >= policy.max_attempts:
        return failed(n, f"gave up after {attempts} attempts: {error}", now)
    delay = backoff(attempts, policy, rng)
    if hint is not None:  # the receiver asked for a pause (Retry-After); honour it within our ceiling
        delay = max(delay, min(hint, policy.maximum))
    return replace(n, attempts=attempts, next_attempt=now + delay, last_error=error[:MAX_ERROR], updated=now)


@dataclass(frozen=True, slots=True)
class Reminder:
    """A reminder due for an unacknowledged alarm at one receiver; `number` counts intervals since its change."""

    alarm: Alarm
    receiver: str
    number: int


def due_reminders(
    config: NotifyConfig, alarms: Iterable[Alarm], last_sent: Mapping[tuple[int, str], float], now: float
) -> tuple[list[Reminder], float | None]:
    """Reminders due at `now` for open (unacknowledged) alarms, and when the next one falls due.

    A receiver named by several matching routes follows the shortest of their intervals."""
    due: list[Reminder] = []
    upcoming: float | None = None
    for alarm in alarms:
        if alarm.state is not AlarmState.OPEN:
            continue
        for name, (at, every) in _next_per_receiver(config, alarm, last_sent).items():
            if at <= now:
                due.append(Reminder(alarm, name, max(1, int((now - alarm.updated) // every))))
            elif upcoming is None or at < upcoming:
                upcoming = at
    return due, upcoming


def _next_per_receiver(
    config: NotifyConfig, alarm: Alarm, last_sent: Mapping[tuple[int, str], float]
) -> dict[str, tuple[float, float]]:
    """receiver -> (when its next reminder for `alarm` is due, the interval)."""
    found: dict[str, tuple[float, float]] = {}
    for route in config.routes:
        every = route.repeat_interval
        if every is None or not route.matches(alarm, REMINDER):
            continue
        for name in route.receivers:
            at = last_sent.get((alarm.id, name), alarm.updated) + every
            if name not in found or at < found[name][0]:
                found[name] = (at, every)
    return found


def reminder_job(config: NotifyConfig, reminder: Reminder, now: float) -> Notification:
    """The job for a reminder; its key carries the reminder number, so a restart does not send it twice."""
    alarm = reminder.alarm
    details = {"reminder": reminder.number, "unacknowledged_since": rfc3339(alarm.first_seen)}
    body = change_body(REMINDER, alarm, "system:notify", now, details)
    receiver = config.receivers[reminder.receiver]
    return job(receiver, REMINDER, alarm, body, now, f"{REMINDER}-{reminder.number}")
