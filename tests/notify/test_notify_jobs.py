"""The pure side of the notification log: job contents, backoff with jitter, outcomes, reminders."""

from __future__ import annotations

import random

import pytest

from fairwatch.alarms import AlarmChange
from fairwatch.model import Alarm, AlarmState, Severity
from fairwatch.notify import jobs, parse_notify
from fairwatch.notify.model import RetryPolicy

T0 = 1_783_000_000.0
CONFIG = parse_notify(
    """
receivers:
  - {name: ops, webhook: {url: "http://127.0.0.1:9/"}}
  - {name: duty, webhook: {url: "http://127.0.0.1:9/"}}
routes:
  - {type: fire.*, receivers: [ops], repeat_interval: 5m}
  - {type: fire.*, severity: [critical], receivers: [ops, duty], repeat_interval: 2m}
  - {type: technical.*, receivers: [duty]}
""",
    "notify.yaml",
    {},
)


def alarm(
    alarm_id: int = 7,
    severity: Severity = Severity.HIGH,
    state: AlarmState = AlarmState.OPEN,
    type_: str = "fire.smoke",
) -> Alarm:
    return Alarm(
        alarm_id,
        f"k{alarm_id}",
        "hot",
        type_,
        severity,
        state,
        True,
        None,
        "food-court",
        {},
        1,
        T0,
        T0,
        updated=T0,
    )


def test_a_change_becomes_one_job_per_receiver_with_the_change_as_payload() -> None:
    change = AlarmChange("raised", alarm(severity=Severity.CRITICAL), "rule:hot", T0, {"reason": "threshold"})
    made = jobs.jobs_for(CONFIG, change)
    assert [(j.key, j.receiver, j.status, j.next_attempt) for j in made] == [
        ("7:1:ops", "ops", "pending", T0),
        ("7:1:duty", "duty", "pending", T0),
    ]
    body = made[0].payload
    assert (body["change"], body["actor"], body["time"], body["details"]) == (
        "raised",
        "rule:hot",
        "2026-07-02T13:46:40.000Z",
        {"reason": "threshold"},
    )
    assert {k: body["alarm"][k] for k in ("id", "type", "severity", "state", "zone", "version")} == {
        "id": 7,
        "type": "fire.smoke",
        "severity": "critical",
        "state": "open",
        "zone": "food-court",
        "version": 1,
    }


POLICY = RetryPolicy(max_attempts=5, initial=10.0, maximum=60.0)


# (case id, attempts so far, smallest and largest delay): doubling from 10 s, capped at 60 s, equal jitter
BACKOFF = [
    ("first-retry", 1, 5.0, 10.0),
    ("second-retry", 2, 10.0, 20.0),
    ("third-retry", 3, 20.0, 40.0),
    ("capped", 4, 30.0, 60.0),
    ("stays-capped", 9, 30.0, 60.0),
]


@pytest.mark.parametrize(("attempts", "low", "high"), [c[1:] for c in BACKOFF], ids=[c[0] for c in BACKOFF])
def test_backoff_doubles_is_capped_and_jittered(attempts: int, low: float, high: float) -> None:
    rng = random.Random(attempts)
    delays = [jobs.backoff(attempts, POLICY, rng) for _ in range(200)]
    assert low <= min(delays) and max(delays) <= high
    assert max(delays) - min(delays) > (high - low) / 2  # really jittered, not a constant


def test_retry_schedules_until_the_attempts_are_used_up() -> None:
    [job] = jobs.jobs_for(CONFIG, AlarmChange("raised", alarm(), "rule:hot", T0))
    rng = random.Random(1)
    for attempt in range(1, 5):
        job = jobs.retry(job, "HTTP 503", T0, POLICY, rng)
        assert (job.status, job.attempts, job.last_error) == ("pending", attempt, "HTTP 503")
    job = jobs.retry(job, "HTTP 503", T0, POLICY, rng)
    assert (job.status, job.attempts, job.last_error) == ("failed", 5, "gave up after 5 attempts: HTTP 503")


def test_retry_after_from_the_receiver_is_honoured_up_to_the_ceiling() -> None:
    [job] = jobs.jobs_for(CONFIG, AlarmChange("raised", alarm(), "rule:hot", T0))
    assert jobs.retry(job, "429", T0, POLICY, random.Random(1), hint=45.0).next_attempt == T0 + 45.0
    assert jobs.retry(job, "429", T0, POLICY, random.Random(1), hint=3600.0).next_attempt == T0 + 60.0


def test_delivered_and_failed_are_final() -> None:
    [job] = jobs.jobs_for(CONFIG, AlarmChange("raised", alarm(), "rule:hot", T0))
    assert (jobs.delivered(job, T0 + 1).status, jobs.delivered(job, T0 + 1).attempts) == ("delivered", 1)
    gone = jobs.failed(job, "HTTP 404 Not Found", T0 + 1)
    assert (gone.status, gone.attempts, gone.last_error) == ("failed", 1, "HTTP 404 Not Found")


# (case id, alarm, last sent per receiver, now - T0, reminders expected as (receiver, number), next due - T0)
REMINDERS = [
    ("not-yet", alarm(), {}, 299.0, [], 300.0),
    ("after-interval", alarm(), {}, 300.0, [("ops", 1)], None),
    ("counted-from-last-sent", alarm(), {(7, "ops"): T0 + 250}, 549.0, [], 550.0),
    ("third-interval", alarm(), {(7, "ops"): T0 + 600}, 900.0, [("ops", 3)], None),
    (
        "critical-uses-shorter-interval",
        alarm(severity=Severity.CRITICAL),
        {},
        120.0,
        [("ops", 1), ("duty", 1)],
        None,
    ),
    ("acknowledged-gets-none", alarm(state=AlarmState.ACKNOWLEDGED), {}, 9999.0, [], None),
    ("resolved-gets-none", alarm(state=AlarmState.RESOLVED), {}, 9999.0, [], None),
    ("route-without-interval", alarm(type_="technical.device_offline"), {}, 9999.0, [], None),
]


@pytest.mark.parametrize(
    ("subject", "last", "after", "expected", "upcoming"),
    [c[1:] for c in REMINDERS],
    ids=[c[0] for c in REMINDERS],
)
def test_reminders_for_unacknowledged_alarms(
    subject: Alarm,
    last: dict[tuple[int, str], float],
    after: float,
    expected: list[tuple[str, int]],
    upcoming: float | None,
) -> None:
    due, nxt = jobs.due_reminders(CONFIG, [subject], last, T0 + after)
    assert [(r.receiver, r.number) for r in due] == expected
    assert nxt == (None if upcoming is None else T0 + upcoming)


def test_a_reminder_job_has_its_own_idempotency_key() -> None:
    [reminder], _ = jobs.due_reminders(CONFIG, [alarm()], {}, T0 + 300)
    made = jobs.reminder_job(CONFIG, reminder, T0 + 300)
    assert (made.key, made.kind, made.payload["change"], made.payload["details"]["reminder"]) == (
        "7:1:ops:reminder-1",
        "reminder",
        "reminder",
        1,
    )
