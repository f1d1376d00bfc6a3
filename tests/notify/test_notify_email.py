"""E-mail through a real SMTP server (aiosmtpd on a free loopback port): headers, body, refusals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from fairwatch.alarms import Action
from tests.notify.conftest import Rig
from tests.services import free_port

RigFactory = Callable[..., Awaitable[Rig]]


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts; `rcpt`/`data` script an SMTP reply instead."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self.rcpt: str | None = None
        self.data: str | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt is not None:
            return self.rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data is not None:
            return self.data
        # SMTP frames lines with CRLF; compare text as the reader sees it.
        parsed = message_from_bytes(envelope.original_content.replace(b"\r\n", b"\n"), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


NOTIFY = """
receivers:
  - name: duty
    email:
      smtp_host: 127.0.0.1
      smtp_port: {port}
      from: "Fairwatch <fairwatch@venue.example>"
      to: [duty@venue.example, lead@venue.example]
      timeout: 5s
routes:
  - {{type: fire.*, receivers: [duty]}}
"""


async def test_an_alarm_is_mailed_with_identifying_headers(
    rig_factory: RigFactory, smtp: tuple[Mailbox, int]
) -> None:
    box, port = smtp
    rig = await rig_factory(NOTIFY.format(port=port))
    await rig.hot("food-court")
    assert await rig.dispatcher.dispatch_due() == 1
    await rig.act(1, Action.RESOLVE, disposition="false_alarm", note="steam from the kitchen")
    assert await rig.dispatcher.dispatch_due() == 1
    assert [(j.kind, j.status) for j in rig.jobs()] == [("raised", "delivered"), ("resolved", "delivered")]
    assert rig.count("email", "delivered") == 2.0

    (mail_from, rcpt, raised), (_, _, resolved) = box.messages
    assert (mail_from, rcpt) == ("fairwatch@venue.example", ["duty@venue.example", "lead@venue.example"])
    headers = {k: str(raised[k]) for k in ("Subject", "From", "To", "Date", "Message-ID", "Auto-Submitted")}
    assert headers == {
        "Subject": "[Fairwatch] HIGH: fire.high_temperature in food-court raised",
        "From": "Fairwatch <fairwatch@venue.example>",
        "To": "duty@venue.example, lead@venue.example",
        "Date": "Thu, 02 Jul 2026 13:46:40 +0000",
        "Message-ID": "<fairwatch.1.1.duty@venue.example>",
        "Auto-Submitted": "auto-generated",
    }
    assert (raised["X-Fairwatch-Event"], raised["X-Fairwatch-Idempotency-Key"]) == (
        "alarm.raised",
        "1:1:duty",
    )
    body = raised.get_content()
    assert body.startswith(
        "Alarm 1 (fire.high_temperature) raised by rule:hot at 2026-07-02T13:46:40.000Z.\n"
    )
    for line in (
        "Severity:   high",
        "State:      open",
        "Site/zone:  riverside / food-court",
        "Count:      1",
    ):
        assert line in body
    assert str(resolved["Subject"]) == "[Fairwatch] HIGH: fire.high_temperature in food-court resolved"
    assert "State:      resolved" in resolved.get_content()


CUSTOM = """
templates:
  email:
    subject: "{{{{ alarm.type }}}}\\nBcc: someone@else.example"
    body: "{{{{ alarm.zone }}}} / {{{{ change }}}} / {{{{ receiver }}}}"
receivers:
  - name: duty
    email: {{smtp_host: 127.0.0.1, smtp_port: {port}, from: fw@venue.example, to: duty@venue.example}}
routes:
  - {{type: fire.*, receivers: [duty]}}
"""


async def test_templates_are_used_and_cannot_inject_headers(
    rig_factory: RigFactory, smtp: tuple[Mailbox, int]
) -> None:
    box, port = smtp
    rig = await rig_factory(CUSTOM.format(port=port))
    await rig.hot("food-court")
    await rig.dispatcher.dispatch_due()
    [(_, rcpt, msg)] = box.messages
    assert rcpt == ["duty@venue.example"]  # no Bcc smuggled in through the subject
    assert (str(msg["Subject"]), msg["Bcc"]) == ("fire.high_temperature Bcc: someone@else.example", None)
    assert msg.get_content() == "food-court / raised / duty\n"


# (case id, scripted RCPT reply, scripted DATA reply, job status after one attempt, last error)
REFUSALS = [
    ("unknown-mailbox", "550 5.1.1 no such user", None, "failed", "every recipient refused: "),
    ("mailbox-busy", "450 4.2.1 try later", None, "pending", "recipients refused for now: "),
    ("data-refused", None, "554 5.7.1 rejected as spam", "failed", "SMTP 554 5.7.1 rejected as spam"),
    ("data-deferred", None, "451 4.3.0 local problem", "pending", "SMTP 451 4.3.0 local problem"),
]


@pytest.mark.parametrize(
    ("rcpt", "data", "outcome", "error"), [c[1:] for c in REFUSALS], ids=[c[0] for c in REFUSALS]
)
async def test_smtp_refusals_are_permanent_or_retried_by_reply_code(
    rig_factory: RigFactory,
    smtp: tuple[Mailbox, int],
    rcpt: str | None,
    data: str | None,
    outcome: str,
    error: str,
) -> None:
    box, port = smtp
    box.rcpt, box.data = rcpt, data
    rig = await rig_factory(NOTIFY.format(port=port))
    await rig.hot()
    await rig.dispatcher.dispatch_due()
    [job] = rig.jobs()
    assert (job.status, job.attempts) == (outcome, 1)
    assert job.last_error is not None and job.last_error.startswith(error)


async def test_no_smtp_server_is_retried(rig_factory: RigFactory) -> None:
    rig = await rig_factory(NOTIFY.format(port=free_port()))
    await rig.hot()
    await rig.dispatcher.dispatch_due()
    [job] = rig.jobs()
    assert (job.status, job.attempts) == ("pending", 1)
    assert job.last_error is not None and job.last_error.startswith("SMTP delivery failed: SMTPConnectError")
