"""Dead-letter bodies: topic, reason, problems and the payload's SHA-256, never the payload or a problem's value."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import orjson
import pytest

from fairwatch.errors import BadJSON, InvalidInput, Problem
from fairwatch.events.validate import EventsRefused
from fairwatch.ingest import mqtt_deadletter as dl

PERSON = b'{"type": "crowd.count", "data": {"religion": "Jane Roe, catholic"}}'
PERSON_PROBLEM = Problem("data.religion", "Jane Roe, catholic", "refused: person-data ban (RS-4)", 0)

BAD = b'{"type": "Bad"}'
CASES: list[tuple[str, bytes, Callable[[bytes], dl.DeadLetter], str, str, list[dict[str, object]]]] = [
    # (id, payload, make, reason, error, problems)
    (
        "bad-json",
        b'{"type": ',
        lambda p: dl.invalid("t/x", p, BadJSON("unexpected end of data", 1, 10)),
        "invalid-json",
        "invalid JSON",
        [
            {
                "index": None,
                "field": "body",
                "message": "invalid JSON at line 1, column 10: unexpected end of data",
            }
        ],
    ),
    (
        "invalid-events",
        BAD,
        lambda p: dl.invalid("t/x", p, EventsRefused([Problem("type", "Bad", "lowercase", 0)], 0)),
        "invalid-events",
        "invalid events",
        [{"index": 0, "field": "type", "message": "lowercase"}],
    ),
    (
        "person-data",
        PERSON,
        lambda p: dl.invalid("t/x", p, EventsRefused([PERSON_PROBLEM], 1)),
        "refused",
        "invalid events",
        [{"index": 0, "field": "data.religion", "message": "refused: person-data ban (RS-4)"}],
    ),
    (
        "other-invalid-input",
        b"{}",
        lambda p: dl.invalid(
            "t/x", p, InvalidInput([Problem("after.id", None, "missing")], "invalid Frigate")
        ),
        "invalid-events",
        "invalid Frigate",
        [{"index": None, "field": "after.id", "message": "missing"}],
    ),
    (
        "too-large",
        b"x" * 11,
        lambda p: dl.too_large("t/x", p, 10),
        "too-large",
        "payload too large",
        [{"index": None, "field": "body", "message": "payload of 11 bytes exceeds the limit of 10 bytes"}],
    ),
    (
        "undecodable",
        b"[[[[",
        lambda p: dl.failed("t/x", p, dl.Reason.UNDECODABLE, TypeError("Recursion limit reached")),
        "undecodable",
        "the message could not be decoded (TypeError)",
        [{"index": None, "field": "body", "message": "the message could not be decoded (TypeError)"}],
    ),
    (
        # the error's text may come from a database driver: only its type is kept
        "unstorable",
        b"{}",
        lambda p: dl.failed("t/x", p, dl.Reason.UNSTORABLE, ValueError("driver says: secret row text")),
        "unstorable",
        "the message was refused by the store (ValueError)",
        [{"index": None, "field": "body", "message": "the message was refused by the store (ValueError)"}],
    ),
]


@pytest.mark.parametrize(
    ("payload", "make", "reason", "error", "problems"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_dead_letter_body(
    payload: bytes,
    make: Callable[[bytes], dl.DeadLetter],
    reason: str,
    error: str,
    problems: list[dict[str, object]],
) -> None:
    body = make(payload).body()
    assert orjson.loads(body) == {
        "topic": "t/x",
        "reason": reason,
        "error": error,
        "problems": problems,
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        "payload_bytes": len(payload),
    }
    assert b"Jane Roe" not in body and b"secret" not in body
