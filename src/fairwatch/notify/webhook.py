"""Webhooks: POST the change as JSON, signed with HMAC-SHA256 so the receiver can tell it came from us.

`X-Fairwatch-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`; receivers check it with
`verify_signature` (or the snippet in docs/integrations.md) and deduplicate on `Idempotency-Key`.
"""

from __future__ import annotations

import hashlib
import hmac

import httpx
import orjson

from fairwatch.notify.model import Receiver, WebhookConfig
from fairwatch.notify.notifier import Permanent, Retryable
from fairwatch.notify.templates import RenderError, render
from fairwatch.store.base import Notification

SIGNATURE_HEADER = "X-Fairwatch-Signature"
EVENT_HEADER = "X-Fairwatch-Event"
RETRYABLE_STATUS = frozenset({408, 429})


def signature(secret: str, body: bytes, t: int) -> str:
    """The signature header value for `body` signed at unix time `t`."""
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify_signature(secret: str, header: str, body: bytes, now: float, tolerance: float = 300.0) -> bool:
    """True if `header` signs `body` with `secret` and was made within `tolerance` seconds of `now`."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if not fields.get("t", "").isdigit() or "v1" not in fields:
        return False
    t = int(fields["t"])
    if abs(now - t) > tolerance:  # an old signature may be a replay
        return False
    expected = signature(secret, body, t).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields["v1"])


class WebhookNotifier:
    """Delivers jobs to one webhook receiver."""

    channel = "webhook"

    def __init__(self, receiver: Receiver, client: httpx.AsyncClient, user_agent: str = "fairwatch") -> None:
        assert isinstance(receiver.config, WebhookConfig)
        self.receiver = receiver
        self.config: WebhookConfig = receiver.config
        self.client = client
        self.user_agent = user_agent

    def body(self, job: Notification) -> bytes:
        """The request body: the change JSON, or the receiver's template (which must render JSON)."""
        template = self.receiver.templates.webhook_body
        if template is None:
            return orjson.dumps(job.payload)
        try:
            text = render(template, {**job.payload, "receiver": self.receiver.name})
            orjson.loads(text)
        except RenderError as exc:
            raise Permanent(str(exc)) from exc
        except orjson.JSONDecodeError as exc:
            raise Permanent(f"webhook body template did not produce JSON: {exc}") from exc
        return text.encode()

    def headers(self, job: Notification, body: bytes, now: float) -> dict[str, str]:
        """Our headers after the receiver's own (ours win)."""
        headers = dict(self.config.headers)
        headers.update(
            {
                "Content-Type": "application/json",
                "User-Agent": self.user_agent,
                "Idempotency-Key": job.key,
                EVENT_HEADER: f"alarm.{job.kind}",
            }
        )
        if self.config.secret:
            headers[SIGNATURE_HEADER] = signature(self.config.secret, body, int(now))
        return headers

    async def send(self, job: Notification, now: float) -> None:
        """POST once; 2xx is delivered, 5xx/408/429/timeouts are retryable, other 4xx permanent."""
        body = self.body(job)
        try:
            response = await self.client.post(
                self.config.url,
                content=body,
                headers=self.headers(job, body, now),
                timeout=self.config.timeout,
            )
        except httpx.TimeoutException as exc:
            raise Retryable(f"no answer within {self.config.timeout:g}s ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise Retryable(f"request failed: {type(exc).__name__}: {exc}") from exc
        _classify(response)

    async def close(self) -> None:
        """The HTTP client is shared and closed by its owner."""


def _classify(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    text = f"HTTP {status} {response.reason_phrase}: {response.text[:200]}".rstrip(": ")
    if status >= 500 or status in RETRYABLE_STATUS:
        raise Retryable(text, _retry_after(response.headers.get("retry-after")))
    raise Permanent(text)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header in its delta-seconds form (the HTTP-date form is ignored)."""
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())
