"""Canonical JSON: the exact bytes an audit record is hashed over."""

from __future__ import annotations

import math
from typing import Any

import orjson

from fairwatch.errors import InvalidInput, Problem

_OPTIONS = orjson.OPT_SORT_KEYS


def canonical_json(obj: Any) -> bytes:
    """Deterministic JSON: keys sorted at every depth, no whitespace, UTF-8, shortest round-trip floats."""
    try:
        data = orjson.dumps(obj, option=_OPTIONS)
    except TypeError as exc:  # orjson.JSONEncodeError subclasses TypeError
        raise InvalidInput([Problem("$", type(obj).__name__, str(exc))], "not canonical JSON") from exc
    if b"null" in data:  # NaN and infinity come out as null; only then is the slow walk needed
        _check_finite(obj, "$")
    return data


def _check_finite(obj: Any, path: str) -> None:
    # orjson writes NaN and infinity as null, so an edit from null to NaN would hash the same;
    # refuse them instead of hashing something that does not round-trip.
    if isinstance(obj, float):
        if not math.isfinite(obj):
            problem = Problem(path, obj, "NaN and infinity are not JSON numbers")
            raise InvalidInput([problem], "not canonical JSON")
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if not isinstance(value, str | int):
                _check_finite(value, f"{path}.{key}")
    elif isinstance(obj, list | tuple):
        for index, value in enumerate(obj):
            if not isinstance(value, str | int):
                _check_finite(value, f"{path}[{index}]")
