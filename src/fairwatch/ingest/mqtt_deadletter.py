"""Dead letters: MQTT messages that can never be stored, republished so someone can see why, then acknowledged.

A dead letter names the topic, the reason and every problem found, and identifies the payload by its SHA-256
and length, never by its content: a message refused for carrying person data must not be republished word for
word (issue 17), and a problem's offending value is left out for the same reason. Whoever holds the original
can match it by hash.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from fairwatch.errors import BadJSON, InvalidInput, Problem
from fairwatch.events.validate import EventsRefused


class Reason(enum.StrEnum):
    """Why a message is dead: none of these changes when the message comes again."""

    INVALID_JSON = "invalid-json"
    INVALID_EVENTS = "invalid-events"
    REFUSED = "refused"  # the rights guard refused person data in it (RS-4)
    TOO_LARGE = "too-large"
    UNDECODABLE = "undecodable"  # decoding or validation failed in a way it does not describe
    UNSTORABLE = "unstorable"  # the writer refused its events for good


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Where a dead message came from, why it is dead, and the fingerprint of its payload."""

    topic: str
    reason: Reason
    error: str
    problems: tuple[Problem, ...]
    payload_sha256: str
    payload_bytes: int

    def body(self) -> bytes:
        """The JSON published to the dead-letter topic; problems without their values."""
        return orjson.dumps(
            {
                "topic": self.topic,
                "reason": self.reason.value,
                "error": self.error,
                "problems": [_problem(p) for p in self.problems],
                "payload_sha256": self.payload_sha256,
                "payload_bytes": self.payload_bytes,
            }
        )


def _problem(p: Problem) -> dict[str, Any]:
    return {"index": p.index, "field": p.field, "message": p.message}


def invalid(topic: str, payload: bytes, exc: InvalidInput) -> DeadLetter:
    """A message the decoder or the validator rejected with named problems."""
    if isinstance(exc, BadJSON):
        reason = Reason.INVALID_JSON
    elif isinstance(exc, EventsRefused) and exc.refused_by_policy:
        reason = Reason.REFUSED
    else:
        reason = Reason.INVALID_EVENTS
    return _letter(topic, payload, reason, exc.summary, tuple(exc.problems))


def too_large(topic: str, payload: bytes, limit: int) -> DeadLetter:
    """A payload over the size limit, which is not even parsed."""
    message = f"payload of {len(payload)} bytes exceeds the limit of {limit} bytes"
    return _letter(topic, payload, Reason.TOO_LARGE, "payload too large", (Problem("body", None, message),))


def failed(topic: str, payload: bytes, reason: Reason, exc: BaseException) -> DeadLetter:
    """A message whose decoding or storing raised something other than named problems; only the error's type
    is kept (its text could quote the payload, or come from the database driver)."""
    what = "could not be decoded" if reason is Reason.UNDECODABLE else "was refused by the store"
    message = f"the message {what} ({type(exc).__name__})"
    return _letter(topic, payload, reason, message, (Problem("body", None, message),))


def _letter(
    topic: str, payload: bytes, reason: Reason, error: str, problems: tuple[Problem, ...]
) -> DeadLetter:
    digest = hashlib.sha256(payload).hexdigest()
    return DeadLetter(topic, reason, error, problems, digest, len(payload))
