"""Webhooks through the real writer and notification log to a real HTTP receiver: retries with backoff,
restart without loss or repeat, one delivery per change, signatures, permanent failures, reminders."""

from __future__ import annotations

import hashlib
import hmac
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

import orjson
import pytest

from fairwatch.alarms import Action
from fairwatch.clock import FakeClock
from fairwatch.notify.webhook import signature, verify_signature
from tests.notify.conftest import T0, HookServer, Rig

RigFactory = Callable[..., Awaitable[Rig]]

NOTIFY = """
retry: {{max_attempts: 5, initial: 10s, max: 5m}}
receivers:
  - name: ops
    webhook: {{url: "{url}", secret: s3cret, headers: {{X-Team: control-room}}, timeout: 2s}}
routes:
  - {{type: fire.*, receivers: [ops]{extra}}}
"""


def notify(url: str, extra: str = "") -> str:
    return NOTIFY.format(url=url, extra=extra)


def check_signature(headers: dict[str, str], body: bytes, when: float) -> None:
    """The signature a receiver would check, computed here independently of the notifier."""
    t, v1 = (part.split("=", 1)[1] for part in headers["x-fairwatch-signature"].split(","))
    assert int(t) == int(when)
    assert v1 == hmac.new(b"s3cret", f"{t}.".encode() + body, hashlib.sha256).hexdigest()


async def test_retries_back_off_survive_a_restart_and_deliver_each_change_once(
    rig_factory: RigFactory, clock: FakeClock
) -> None:
    with HookServer([503, 503]) as hook:
        rig = await rig_factory(notify(hook.url))
        await rig.hot("food-court")  # alarm 1 raised at T0
        assert await rig.dispatcher.dispatch_due() == 1  # attempt 1: 503
        [job] = rig.jobs(1)
        assert (job.status, job.attempts, job.last_error) == (
            "pending",
            1,
            "HTTP 503 Service Unavailable: ok",
        )
        assert T0 + 5 <= job.next_attempt <= T0 + 10  # first backoff: 10 s with equal jitter
        first_retry = job.next_attempt
        clock.set(first_retry - 0.01)
        assert await rig.dispatcher.dispatch_due() == 0  # not due yet
        clock.set(first_retry)
        assert await rig.dispatcher.dispatch_due() == 1  # attempt 2: 503
        [job] = rig.jobs(1)
        assert (job.status, job.attempts) == ("pending", 2)
        assert first_retry + 10 <= job.next_attempt <= first_retry + 20  # doubled
        await rig.hot("main-stage")  # alarm 2, delivered at once
        assert await rig.dispatcher.dispatch_due() == 1
        assert [(j.status, j.attempts) for j in rig.jobs(2)] == [("delivered", 1)]
        assert (rig.count("webhook", "retry"), rig.count("webhook", "delivered")) == (2.0, 1.0)

        await rig.restart()  # a new dispatcher over the same store
        assert await rig.dispatcher.dispatch_due() == 0  # delivered: never again; pending: not yet due
        clock.set(job.next_attempt)
        assert await rig.dispatcher.dispatch_due() == 1  # attempt 3: accepted
        assert [(j.status, j.attempts, j.last_error) for j in rig.jobs(1)] == [("delivered", 3, None)]
        clock.advance(86_400)
        assert await rig.dispatcher.dispatch_due() == 0

    keys = [r.headers["idempotency-key"] for r in hook.requests]
    assert keys == ["1:1:ops", "1:1:ops", "2:1:ops", "1:1:ops"]
    bodies = [r.body for r in hook.requests if r.headers["idempotency-key"] == "1:1:ops"]
    assert bodies[0] == bodies[1] == bodies[2]  # a retry is the same request
    sent_at = [T0, first_retry, first_retry, job.next_attempt]
    for request, when in zip(hook.requests, sent_at, strict=True):
        check_signature(request.headers, request.body, when)
        assert request.headers["content-type"] == "application/json"
        assert (request.headers["x-fairwatch-event"], request.headers["x-team"]) == (
            "alarm.raised",
            "control-room",
        )
    body = orjson.loads(bodies[0])
    assert sorted(body) == ["actor", "alarm", "change", "details", "time"]
    assert (body["change"], body["actor"], body["alarm"]["id"], body["alarm"]["zone"]) == (
        "raised",
        "rule:hot",
        1,
        "food-court",
    )


# (case id, status the receiver answers, extra reply headers, job status after one attempt, last error)
STATUSES = [
    ("503-retry", 503, {}, "pending", "HTTP 503 Service Unavailable: ok"),
    ("500-retry", 500, {}, "pending", "HTTP 500 Internal Server Error: ok"),
    ("408-retry", 408, {}, "pending", "HTTP 408 Request Timeout: ok"),
    ("429-retry", 429, {}, "pending", "HTTP 429 Too Many Requests: ok"),
    ("404-permanent", 404, {}, "failed", "HTTP 404 Not Found: ok"),
    ("400-permanent", 400, {}, "failed", "HTTP 400 Bad Request: ok"),
    ("410-permanent", 410, {}, "failed", "HTTP 410 Gone: ok"),
    (
        "redirect-not-followed",
        301,
        {"Location": "http://127.0.0.1:9/"},
        "failed",
        "HTTP 301 Moved Permanently: ok",
    ),
    ("204-delivered", 204, {}, "delivered", None),
]


@pytest.mark.parametrize(
    ("status", "headers", "outcome", "error"), [c[1:] for c in STATUSES], ids=[c[0] for c in STATUSES]
)
async def test_status_codes_decide_retry_or_give_up(
    rig_factory: RigFactory, status: int, headers: dict[str, str], outcome: str, error: str | None
) -> None:
    with HookServer([status], headers=headers) as hook:
        rig = await rig_factory(notify(hook.url))
        await rig.hot()
        await rig.dispatcher.dispatch_due()
        assert [(j.status, j.attempts, j.last_error) for j in rig.jobs()] == [(outcome, 1, error)]
        label = "retry" if outcome == "pending" else outcome
        assert rig.count("webhook", label) == 1.0
        rig.clock.advance(86_400)
        await rig.dispatcher.dispatch_due()
        assert len(hook.requests) == (2 if outcome == "pending" else 1)  # final outcomes are never re-sent


async def test_retry_after_is_honoured(rig_factory: RigFactory) -> None:
    with HookServer([429], headers={"Retry-After": "120"}) as hook:
        rig = await rig_factory(notify(hook.url))
        await rig.hot()
        await rig.dispatcher.dispatch_due()
        assert [j.next_attempt for j in rig.jobs()] == [T0 + 120]


async def test_an_unreachable_receiver_is_retried(rig_factory: RigFactory) -> None:
    with socket.socket() as s:  # a port nobody listens on: bound, never listening
        s.bind(("127.0.0.1", 0))
        rig = await rig_factory(notify(f"http://127.0.0.1:{s.getsockname()[1]}/hook"))
        await rig.hot()
        await rig.dispatcher.dispatch_due()
    [job] = rig.jobs()
    assert (job.status, job.attempts) == ("pending", 1)
    assert job.last_error is not None and job.last_error.startswith("request failed: ConnectError")


async def test_a_receiver_that_never_answers_times_out_and_is_retried(rig_factory: RigFactory) -> None:
    with socket.socket() as s:  # accepts connections (backlog) but never answers
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        url = f"http://127.0.0.1:{s.getsockname()[1]}/hook"
        rig = await rig_factory(notify(url).replace("timeout: 2s", "timeout: 200ms"))
        await rig.hot()
        await rig.dispatcher.dispatch_due()
    [job] = rig.jobs()
    assert (job.status, job.last_error) == ("pending", "no answer within 0.2s (ReadTimeout)")


async def test_reminders_until_acknowledged(rig_factory: RigFactory, clock: FakeClock) -> None:
    with HookServer([]) as hook:
        rig = await rig_factory(notify(hook.url, ", repeat_interval: 5m"))
        await rig.hot()
        await rig.dispatcher.dispatch_due()
        clock.advance(299)
        assert await rig.dispatcher.dispatch_due() == 0
        clock.advance(1)
        assert await rig.dispatcher.dispatch_due() == 1
        await rig.restart()  # reminders resume from the log, not from zero
        clock.advance(299)
        assert await rig.dispatcher.dispatch_due() == 0
        clock.advance(1)
        assert await rig.dispatcher.dispatch_due() == 1
        await rig.act(1, Action.ACK)
        await rig.dispatcher.dispatch_due()  # the ack itself is not routed by default
        clock.advance(3600)
        assert await rig.dispatcher.dispatch_due() == 0
    assert [(r.headers["idempotency-key"], r.headers["x-fairwatch-event"]) for r in hook.requests] == [
        ("1:1:ops", "alarm.raised"),
        ("1:1:ops:reminder-1", "alarm.reminder"),
        ("1:1:ops:reminder-2", "alarm.reminder"),
    ]


async def test_changes_of_one_alarm_arrive_in_order_even_while_one_is_retried(
    rig_factory: RigFactory, clock: FakeClock
) -> None:
    with HookServer([503]) as hook:
        rig = await rig_factory(notify(hook.url, ", changes: [raised, acknowledged, resolved]"))
        await rig.hot()
        await rig.dispatcher.dispatch_due()  # raised: 503
        await rig.act(1, Action.ACK)
        await rig.act(1, Action.RESOLVE, disposition="handled")
        assert await rig.dispatcher.dispatch_due() == 0  # the later changes wait for the raise
        clock.advance(60)
        for _ in range(3):
            await rig.dispatcher.dispatch_due()
    assert [orjson.loads(r.body)["change"] for r in hook.requests] == [
        "raised",
        "raised",
        "acknowledged",
        "resolved",
    ]


TEMPLATE = """
receivers:
  - name: chat
    webhook:
      url: "{url}"
templates:
  webhook:
    body: '{body}'
routes:
  - {{type: fire.*, receivers: [chat]}}
"""


# (case id, body template, job status, last error, body received)
TEMPLATES = [
    (
        "json",
        '{"text": {{ (alarm.type ~ " in " ~ alarm.zone) | tojson }}}',
        "delivered",
        None,
        b'{"text": "fire.high_temperature in food-court"}',
    ),
    ("not-json", "{{ alarm.type }}", "failed", "webhook body template did not produce JSON: ", None),
    (
        "undefined-name",
        "{{ alarm.nope }}",
        "failed",
        "template failed: 'dict object' has no attribute 'nope'",
        None,
    ),
]


@pytest.mark.parametrize(
    ("body", "outcome", "error", "received"), [c[1:] for c in TEMPLATES], ids=[c[0] for c in TEMPLATES]
)
async def test_webhook_body_templates(
    rig_factory: RigFactory, body: str, outcome: str, error: str | None, received: bytes | None
) -> None:
    with HookServer([]) as hook:
        rig = await rig_factory(TEMPLATE.format(url=hook.url, body=body))
        await rig.hot()
        await rig.dispatcher.dispatch_due()
    [job] = rig.jobs()
    assert job.status == outcome
    assert (job.last_error or "").startswith(error or "")
    assert [r.body for r in hook.requests] == ([received] if received else [])


# (case id, how the header or body is altered, seconds between signing and checking, valid)
SIGNATURES: list[tuple[str, Callable[[str, bytes], tuple[str, bytes]], float, bool]] = [
    ("as-sent", lambda h, b: (h, b), 0.0, True),
    ("four-minutes-later", lambda h, b: (h, b), 240.0, True),
    ("replayed-an-hour-later", lambda h, b: (h, b), 3600.0, False),
    ("body-changed", lambda h, b: (h, b.replace(b"high", b"low")), 0.0, False),
    ("timestamp-changed", lambda h, b: (h.replace("t=1783000000", "t=1783000001"), b), 0.0, False),
    ("no-v1", lambda h, b: (h.split(",")[0], b), 0.0, False),
    ("garbage", lambda h, b: ("nonsense", b), 0.0, False),
]


@pytest.mark.parametrize(
    ("alter", "later", "valid"), [c[1:] for c in SIGNATURES], ids=[c[0] for c in SIGNATURES]
)
def test_verify_signature(
    alter: Callable[[str, bytes], tuple[str, bytes]], later: float, valid: bool
) -> None:
    body = b'{"alarm": {"severity": "high"}}'
    header, sent = alter(signature("s3cret", body, int(T0)), body)
    assert verify_signature("s3cret", header, sent, T0 + later) is valid


def test_signature_format() -> None:
    expected = hmac.new(b"k", b"1783000000.{}", hashlib.sha256).hexdigest()
    assert signature("k", b"{}", 1_783_000_000) == f"t=1783000000,v1={expected}"


DOCS = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"


def docs_verify() -> Callable[..., bool]:
    """The `verify` function from the signature snippet in docs/integrations.md, as a receiver would paste it."""
    text = DOCS.read_text()
    section = text[text.index("#### Verifying the signature") :]
    code = section[section.index("```python\n") + len("```python\n") :]
    namespace: dict[str, object] = {}
    exec(code[: code.index("```")], namespace)
    verify = namespace["verify"]
    assert callable(verify)
    return verify


async def test_the_documented_snippet_verifies_real_deliveries(
    rig_factory: RigFactory, clock: FakeClock
) -> None:
    with HookServer([]) as hook:
        rig = await rig_factory(notify(hook.url))
        await rig.hot()
        await rig.dispatcher.dispatch_due()
    [request] = hook.requests
    verify = docs_verify()
    header = request.headers["x-fairwatch-signature"]
    assert verify(b"s3cret", header, request.body, now=clock.now()) is True
    assert verify(b"wrong", header, request.body, now=clock.now()) is False
    assert verify(b"s3cret", header, request.body + b" ", now=clock.now()) is False
    assert verify(b"s3cret", header, request.body, now=clock.now() + 3600) is False
