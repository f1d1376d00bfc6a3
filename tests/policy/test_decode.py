"""Encoded text is decoded before matching: percent-encoding, HTML character references, Base64 runs."""

from __future__ import annotations

import base64

import pytest

from fairwatch.policy import Ground, check_text, explain
from fairwatch.policy.decode import decoded


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode().rstrip("=")


ENCODED = [
    # id, text, ground
    ("percent", "%50rotest%20detected", Ground.ASSEMBLY),
    ("percent-twice", "%2550rotest detected", Ground.ASSEMBLY),
    ("percent-utf8-chinese", "%E4%B8%8A%E8%AE%BF", Ground.PETITION),
    ("html-decimal", "&#80;rotest detected", Ground.ASSEMBLY),
    ("html-hex", "W&#x61;tchlist hit", Ground.BIOMETRIC),
    ("html-named-soft-hyphen", "Pro&shy;test detected", Ground.ASSEMBLY),
    ("html-then-percent", "&#37;50rotest", Ground.ASSEMBLY),
    ("base64-in-a-name", f"zone_{b64('Protest')}", Ground.ASSEMBLY),
    ("base64-padded", base64.b64encode(b"Falun Gong").decode(), Ground.RELIGION),
    ("base64-chinese", f"phase-{b64('上访')}", Ground.PETITION),
]


@pytest.mark.parametrize(("text", "ground"), [c[1:] for c in ENCODED], ids=[c[0] for c in ENCODED])
def test_encoded_text_is_read(text: str, ground: Ground) -> None:
    violation = check_text(text)
    assert violation is not None and violation.ground == ground, explain(text)


@pytest.mark.parametrize(
    "text", ["Overcapacity in hall 2", "Defibrillator requested", "50% capacity & rising", "AT&T uplink down"]
)
def test_ordinary_text_is_not_decoded_into_anything(text: str) -> None:
    assert check_text(text) is None


def test_decoded_layers_stop_when_nothing_changes() -> None:
    assert decoded("plain text") == []
    assert decoded("%2550") == ["%50", "P"]
