"""Durations in rule files: a positive number with a unit, e.g. `500ms`, `30s`, `5m`, `2h`, `1d`."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PATTERN = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")


@dataclass(frozen=True, slots=True)
class Duration:
    """A parsed duration: `seconds` for arithmetic, `text` as the operator wrote it (for explanations)."""

    seconds: float
    text: str

    def __str__(self) -> str:
        return self.text


def parse_duration(text: str) -> Duration:
    """Parse `text` like `30s`; raise ValueError with the reason if it is not a positive duration."""
    match = _PATTERN.fullmatch(text.strip())
    if match is None:
        raise ValueError("expected a number with a unit ms, s, m, h or d, e.g. 30s")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError("must be positive")
    return Duration(seconds, text.strip())
