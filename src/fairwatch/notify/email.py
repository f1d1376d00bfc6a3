"""E-mail: a plain-text message per change through an SMTP server (aiosmtplib).

SMTP 5xx replies are permanent; 4xx replies, timeouts and refused connections are retried. Retries carry the
same Message-ID, so a mail system that keeps one can drop a copy it already has.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

import aiosmtplib

from fairwatch.notify.model import EmailConfig, Receiver
from fairwatch.notify.notifier import Permanent, Retryable
from fairwatch.notify.templates import RenderError, render
from fairwatch.store.base import Notification

log = logging.getLogger(__name__)
MAX_SUBJECT = 200


class EmailNotifier:
    """Delivers jobs to the recipients of one e-mail receiver."""

    channel = "email"

    def __init__(self, receiver: Receiver) -> None:
        assert isinstance(receiver.config, EmailConfig)
        self.receiver = receiver
        self.config: EmailConfig = receiver.config

    def message(self, job: Notification, now: float) -> EmailMessage:
        """The message for `job`: rendered subject and body, and headers that identify the change."""
        context = {**job.payload, "receiver": self.receiver.name}
        try:
            subject = render(self.receiver.templates.email_subject, context)
            body = render(self.receiver.templates.email_body, context)
        except RenderError as exc:
            raise Permanent(str(exc)) from exc
        msg = EmailMessage()
        msg["Subject"] = " ".join(subject.split())[:MAX_SUBJECT]  # one line: a header cannot hold a newline
        msg["From"] = self.config.sender
        msg["To"] = ", ".join(self.config.to)
        msg["Date"] = formatdate(now, usegmt=True)
        msg["Message-ID"] = _message_id(job.key, self.config.sender)
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a control room
        msg["X-Fairwatch-Event"] = f"alarm.{job.kind}"
        msg["X-Fairwatch-Idempotency-Key"] = job.key
        msg.set_content(body)
        return msg

    async def send(self, job: Notification, now: float) -> None:
        """Hand the message to the SMTP server once."""
        msg = self.message(job, now)
        c = self.config
        try:
            refused, _reply = await aiosmtplib.send(
                msg,
                hostname=c.smtp_host,
                port=c.smtp_port,
                start_tls=c.starttls,
                username=c.username,
                password=c.password,
                timeout=c.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            text = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            if all(code >= 500 for code in codes):
                raise Permanent(f"every recipient refused: {text}") from exc
            raise Retryable(f"recipients refused for now: {text}") from exc
        except aiosmtplib.SMTPResponseException as exc:
            text = f"SMTP {exc.code} {exc.message}"
            raise (Permanent(text) if exc.code >= 500 else Retryable(text)) from exc
        except aiosmtplib.SMTPNotSupported as exc:
            raise Permanent(f"SMTP server does not support what the receiver requires: {exc}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise Retryable(f"SMTP delivery failed: {type(exc).__name__}: {exc}") from exc
        if refused:  # some recipients accepted it: a retry would send them a second copy
            log.warning("e-mail %s: some recipients refused: %s", job.key, sorted(refused))

    async def close(self) -> None:
        """Each send uses its own SMTP session; nothing to release."""


def _message_id(key: str, sender: str) -> str:
    domain = parseaddr(sender)[1].rpartition("@")[2] or "fairwatch.invalid"
    local = "".join(ch if ch.isalnum() or ch in "-." else "." for ch in key)
    return f"<fairwatch.{local}@{domain}>"
