"""What any JSON input may hold, checked once after decoding and before anything is stored.

A store cannot hold every string JSON can carry: PostgreSQL refuses NUL in text, no UTF-8 codec encodes a lone
surrogate, and a C0 control in a name or key only hides what it says. Nesting is bounded so that no later step
(serialising, hashing, a recursive walk) meets a structure deeper than it can handle. Every problem names the
field as a path (`data.rooms[2].name`) and the character position in the string.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from fairwatch.errors import BadJSON, InvalidInput, Problem

MAX_DEPTH = 16
MAX_ID = 2**63 - 1  # the largest row id a 64-bit signed column holds (SQLite INTEGER, PostgreSQL BIGINT)

# Free text may hold tab, line feed and carriage return; names, identifiers and keys may not.
_BAD_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_BAD_IN_NAME = re.compile("[\x00-\x1f\ud800-\udfff]")


def bad_character(text: str, *, free_text: bool = True) -> tuple[int, str] | None:
    """The position and a description of the first character a store cannot hold, or None."""
    found = (_BAD_IN_TEXT if free_text else _BAD_IN_NAME).search(text)
    if found is None:
        return None
    char = found.group()
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        kind = "a lone surrogate"
    elif code == 0:
        kind = "a NUL character"
    else:
        kind = "a control character"
    allowed = " (only tab, line feed and carriage return are allowed in free text)" if code < 0x20 else ""
    return found.start(), f"contains {kind} U+{code:04X} at position {found.start()}{allowed}"


def text_problem(
    field: str, text: str, index: int | None = None, *, free_text: bool = True
) -> Problem | None:
    """A Problem naming `field` and the position, when `text` holds a character a store cannot hold."""
    bad = bad_character(text, free_text=free_text)
    if bad is None:
        return None
    return Problem(field, printable(text), bad[1], index)


def check_document(doc: Any, field: str = "", index: int | None = None) -> list[Problem]:
    """Every string (keys and values) of a decoded JSON document checked, and its nesting bounded.

    Keys are names (no control characters at all); string values are free text. The walk is iterative, so a
    document of any depth is answered with a problem instead of a RecursionError.
    """
    if _clean(doc, 0):  # the common case, without building paths
        return []
    problems: list[Problem] = []
    stack: list[tuple[Any, str, int]] = [(doc, field, 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            problem = text_problem(path or "body", value, index)
            if problem is not None:
                problems.append(problem)
        elif isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                problems.append(Problem(path or "body", None, f"nests deeper than {MAX_DEPTH} levels", index))
                continue
            stack.extend(reversed(list(_children(value, path, depth, index, problems))))
    return problems


def _clean(value: Any, depth: int) -> bool:
    """True when `value` holds nothing `check_document` would refuse; recursion stops at MAX_DEPTH."""
    if type(value) is str:
        return _BAD_IN_TEXT.search(value) is None
    if type(value) is dict:
        if depth >= MAX_DEPTH:
            return False
        return all(
            type(k) is str and _BAD_IN_NAME.search(k) is None and _clean(v, depth + 1)
            for k, v in value.items()
        )
    if type(value) is list:
        return depth < MAX_DEPTH and all(_clean(v, depth + 1) for v in value)
    return True


def _children(
    value: dict[str, Any] | list[Any], path: str, depth: int, index: int | None, problems: list[Problem]
) -> Any:
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield item, f"{path}[{i}]", depth + 1
        return
    for key, item in value.items():
        child = f"{path}.{printable(key)}" if path else printable(key)
        bad = bad_character(key, free_text=False)
        if bad is not None:
            problems.append(Problem(child, None, f"key {bad[1]}", index))
            continue
        yield item, child, depth + 1


def printable(text: str) -> str:
    """`text` with the characters a store cannot hold written as escapes, so an error body can echo it."""
    if _BAD_IN_NAME.search(text) is None:
        return text if len(text) <= 200 else text[:200] + "…"
    out = _BAD_IN_NAME.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return out if len(out) <= 200 else out[:200] + "…"


def decode_json(body: bytes, field: str = "body") -> Any:
    """A JSON body decoded and checked with `check_document`; InvalidInput (422) names what is wrong.

    orjson refuses a lone surrogate and nesting past 1,024 levels while parsing; both are answered as the
    field-naming 422 the other checks give, not as unparseable JSON.
    """
    doc = load_json(body, field)
    problems = check_document(doc, field if field != "body" else "")
    if problems:
        raise InvalidInput(problems, "invalid input")
    return doc


def load_json(body: bytes, field: str = "body") -> Any:
    """A JSON body parsed, unchecked: a lone surrogate is kept for `check_document` to name; BadJSON otherwise."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return _recover(exc, body, field)


def _recover(exc: orjson.JSONDecodeError, body: bytes, field: str) -> Any:
    if "depth limit" in exc.msg:
        message = f"nests deeper than {MAX_DEPTH} levels"
        raise InvalidInput([Problem(field, None, message)], "invalid input") from None
    if "surrogate" in exc.msg:
        try:  # the standard library keeps lone surrogates, so the walk can name the field and position
            return json.loads(body)
        except (ValueError, RecursionError):
            pass
    raise BadJSON(exc.msg, exc.lineno, exc.colno) from None
