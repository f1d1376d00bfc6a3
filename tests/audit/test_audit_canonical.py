"""Canonical JSON: the exact bytes records are hashed over."""

from __future__ import annotations

import math
from typing import Any

import pytest

from fairwatch.audit import canonical_json
from fairwatch.errors import InvalidInput

CASES: list[tuple[str, Any, bytes]] = [
    # (id, value, exact canonical bytes)
    ("keys-sorted-at-every-depth", {"b": {"z": 1, "a": 2}, "a": 0}, b'{"a":0,"b":{"a":2,"z":1}}'),
    ("keys-sorted-by-code-point", {"é": 1, "z": 2, "Z": 3}, '{"Z":3,"z":2,"é":1}'.encode()),
    ("no-whitespace", [1, "x", None, True, False, {}], b'[1,"x",null,true,false,{}]'),
    ("utf8-not-escaped", {"k": "é✓中"}, '{"k":"é✓中"}'.encode()),
    ("control-chars-escaped", 'a\nb\t"', b'"a\\nb\\t\\""'),
    ("float-with-point", 1.0, b"1.0"),
    ("float-shortest-repr", 0.1, b"0.1"),
    ("float-third", 1 / 3, b"0.3333333333333333"),
    ("float-large-exponent", 1e16, b"1e+16"),
    # orjson's float text, not Python's repr (1e-05, 1e-07); pinned so an orjson upgrade changing it fails
    ("float-small-exponent", 1e-7, b"1e-7"),
    ("float-small-no-exponent", 1e-5, b"0.00001"),
    ("float-huge", 1e22, b"1e+22"),
    ("float-subnormal", 5e-324, b"5e-324"),
    ("negative-zero-kept", -0.0, b"-0.0"),
    ("int-64-bit-max", 2**64 - 1, b"18446744073709551615"),
    ("int-64-bit-min", -(2**63), b"-9223372036854775808"),
    ("tuple-as-list", (1, 2), b"[1,2]"),
    ("string-saying-null-is-fine", {"note": "nullable", "x": 1.5}, b'{"note":"nullable","x":1.5}'),
    ("none-is-null", {"a": None, "b": [None]}, b'{"a":null,"b":[null]}'),
]


@pytest.mark.parametrize(("value", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_canonical_bytes(value: Any, expected: bytes) -> None:
    assert canonical_json(value) == expected


ERRORS: list[tuple[str, Any, str]] = [
    # (id, value, exact message)
    (
        "nan-nested",
        {"a": [1, {"b": math.nan}]},
        "not canonical JSON: $.a[1].b: NaN and infinity are not JSON numbers (got nan)",
    ),
    ("inf-top-level", math.inf, "not canonical JSON: $: NaN and infinity are not JSON numbers (got inf)"),
    (
        "minus-inf-beside-null",
        {"a": None, "b": [-math.inf]},
        "not canonical JSON: $.b[0]: NaN and infinity are not JSON numbers (got -inf)",
    ),
    ("non-string-key", {"a": {1: 2}}, "not canonical JSON: $: Dict key must be str (got 'dict')"),
    ("int-too-big", 2**64, "not canonical JSON: $: Integer exceeds 64-bit range (got 'int')"),
    ("unknown-type", object(), "not canonical JSON: $: Type is not JSON serializable: object (got 'object')"),
]


@pytest.mark.parametrize(("value", "message"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_not_canonical(value: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        canonical_json(value)
    assert str(info.value) == message
