"""Text hidden inside text: URL percent-encoding, HTML character references and Base64 runs.

The guard reads the text as written first, then each decoding of it (`decoded`), so
"%50rotest", "&#80;rotest" and "zone_UHJvdGVzdA" ("Protest" in Base64) are read as what they spell.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from urllib.parse import unquote

_ROUNDS = 3  # layers undone: "%2526" is "&" after two
_PERCENT_RE = re.compile(r"%[0-9A-Fa-f]{2}")
_ENTITY_RE = re.compile(r"&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]{1,31});?")
# Standard-alphabet Base64 of at least six bytes; "_", "-" and "." separate name parts ("zone_UHJv...").
_BASE64_RE = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{8,}={0,2}")
_MIN_LETTERS = 2


def _base64_word(match: re.Match[str]) -> str:
    token = match.group(0)
    body = token.rstrip("=")
    if len(body) % 4 == 1:
        return token
    try:
        raw = base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return token
    if not text.isprintable() or sum(ch.isalpha() for ch in text) < _MIN_LETTERS:
        return token  # an ordinary long word ("overcapacity") decodes to bytes, not to text
    return f" {text} "


def _once(text: str) -> str:
    if "%" in text and _PERCENT_RE.search(text):
        text = unquote(text, errors="replace")
    if "&" in text and _ENTITY_RE.search(text):
        text = html.unescape(text)
    return _BASE64_RE.sub(_base64_word, text)


def decoded(text: str) -> list[str]:
    """Each successive decoding of `text` that differs from the one before (at most three layers)."""
    out: list[str] = []
    current = text
    for _ in range(_ROUNDS):
        following = _once(current)
        if following == current:
            break
        out.append(following)
        current = following
    return out
