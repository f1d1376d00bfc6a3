"""What any JSON input may hold: characters a store can keep, bounded nesting, event times within the horizon."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from fairwatch.errors import BadJSON, InvalidInput
from fairwatch.events import decode_body, validate_events
from fairwatch.events.inputs import MAX_DEPTH, bad_character, check_document, decode_json
from fairwatch.events.validate import EventsRefused, rfc3339

NOW = 1_780_000_000.0
OK = {"id": "e1", "source": "cam-1", "type": "crowd.density", "value": 2.0}

CHARACTERS = [
    # (id, text, free_text, expected (position, start of message) or None)
    ("plain", "Main stage", True, None),
    ("tab-newline-cr-in-free-text", "line one\n\tline two\r\n", True, None),
    ("accents-and-emoji", "Café 🎪 Größe", True, None),
    ("nul", "ab\x00c", True, (2, "contains a NUL character U+0000 at position 2")),
    ("bell", "\x07", True, (0, "contains a control character U+0007 at position 0")),
    ("escape", "x\x1b[31m", True, (1, "contains a control character U+001B at position 1")),
    ("lone-high-surrogate", "a\ud800", True, (1, "contains a lone surrogate U+D800 at position 1")),
    ("lone-low-surrogate", "\udfff", True, (0, "contains a lone surrogate U+DFFF at position 0")),
    ("tab-in-a-name", "cam\t1", False, (3, "contains a control character U+0009 at position 3")),
    ("newline-in-a-name", "cam\n", False, (3, "contains a control character U+000A at position 3")),
]


@pytest.mark.parametrize(
    ("text", "free_text", "expected"), [c[1:] for c in CHARACTERS], ids=[c[0] for c in CHARACTERS]
)
def test_bad_character(text: str, free_text: bool, expected: tuple[int, str] | None) -> None:
    found = bad_character(text, free_text=free_text)
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert (found[0], found[1][: len(expected[1])]) == expected


DOCUMENTS = [
    # (id, document, expected [(field, message start)])
    ("clean", {"a": ["x", {"b": "y\n"}]}, []),
    ("nested-value", {"a": [{"b": "ok"}, {"c": "bad\x00"}]}, [("a[1].c", "contains a NUL")]),
    ("key", {"a": {"k\x01": 1}}, [("a.k\\u0001", "key contains a control character U+0001")]),
    ("tab-in-key", {"a\tb": 1}, [("a\\u0009b", "key contains a control character U+0009")]),
    ("top-level-string", "\ud800", [("body", "contains a lone surrogate")]),
    ("every-problem", {"a": "\x00", "b": "\x02"}, [("a", "contains a NUL"), ("b", "contains a control")]),
]


@pytest.mark.parametrize(("doc", "expected"), [c[1:] for c in DOCUMENTS], ids=[c[0] for c in DOCUMENTS])
def test_check_document_names_field_and_position(doc: Any, expected: list[tuple[str, str]]) -> None:
    problems = check_document(doc)
    assert [(p.field, p.message[: len(m)]) for p, (_, m) in zip(problems, expected, strict=True)] == expected
    for p in problems:
        orjson.dumps(p.as_dict())  # the echoed value is always serialisable (no lone surrogate)


def nested(depth: int) -> Any:
    doc: Any = "leaf"
    for _ in range(depth):
        doc = {"n": doc}
    return doc


def test_nesting_is_bounded_without_recursion() -> None:
    assert check_document(nested(MAX_DEPTH)) == []
    [problem] = check_document(nested(MAX_DEPTH + 1))
    assert (problem.field, problem.message) == (
        "n" + ".n" * (MAX_DEPTH - 1),
        f"nests deeper than {MAX_DEPTH} levels",
    )
    [problem] = check_document(nested(100_000))  # a Python recursion would fail long before this
    assert problem.message == f"nests deeper than {MAX_DEPTH} levels"


DECODE = [
    # (id, body, expected field, message start) - orjson refuses these while parsing; the answer is still a 422
    (
        "lone-surrogate-escape",
        b'{"note": "a\\ud834b"}',
        "note",
        "contains a lone surrogate U+D834 at position 1",
    ),
    (
        "nul-escape",
        b'{"note": ["ok", "\\u0000"]}',
        "note[1]",
        "contains a NUL character U+0000 at position 0",
    ),
    ("deeper-than-orjson-parses", b"[" * 2000 + b"]" * 2000, "body", f"nests deeper than {MAX_DEPTH} levels"),
    (
        "deep-but-parsed",
        b'{"m": ' + b"[" * 40 + b"]" * 40 + b"}",
        "m" + "[0]" * (MAX_DEPTH - 1),
        "nests deeper",
    ),
]


@pytest.mark.parametrize(("body", "field", "message"), [c[1:] for c in DECODE], ids=[c[0] for c in DECODE])
def test_decode_json_refuses_with_a_422_naming_the_field(body: bytes, field: str, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        decode_json(body)
    assert not isinstance(info.value, BadJSON)
    [problem] = info.value.problems
    assert (problem.field, problem.message[: len(message)]) == (field, message)


def test_decode_json_still_reports_broken_json_with_line_and_column() -> None:
    with pytest.raises(BadJSON) as info:
        decode_json(b'{"a": \n tru}')
    assert (info.value.line, info.value.column) == (2, 2)


def refused(raw: list[Any], now: float = NOW, **kw: Any) -> list[tuple[int | None, str, str]]:
    with pytest.raises(EventsRefused) as info:
        validate_events(raw, now, **kw)
    return [(p.index, p.field, p.message) for p in info.value.problems]


EVENT_TEXT = [
    # (id, change to a good event, expected field, message start)
    ("nul-in-source", {"source": "cam\x00"}, "source", "contains a NUL character U+0000 at position 3"),
    ("tab-in-id", {"id": "e\t1"}, "id", "contains a control character U+0009 at position 1"),
    ("newline-in-zone", {"zone": "north\n"}, "zone", "contains a control character U+000A at position 5"),
    ("nul-in-data-value", {"data": {"note": "a\x00"}}, "data.note", "contains a NUL character"),
    ("nul-in-data-key", {"data": {"no\x00te": "a"}}, "data.no\\u0000te", "key contains a NUL character"),
    ("surrogate-in-nested-data", {"data": {"l": ["\udc00"]}}, "data.l[0]", "contains a lone surrogate"),
    ("deep-data", {"data": nested(30)}, "data" + ".n" * (MAX_DEPTH - 1), "nests deeper than 16 levels"),
    ("bad-key-at-top", {"x\x00": 1}, "x\\u0000", "key contains a NUL"),
]


@pytest.mark.parametrize(
    ("change", "field", "message"), [c[1:] for c in EVENT_TEXT], ids=[c[0] for c in EVENT_TEXT]
)
def test_event_text_a_store_cannot_hold_is_refused(change: dict[str, Any], field: str, message: str) -> None:
    [(index, got_field, got_message)] = refused([OK, {**OK, **change}])
    assert (index, got_field, got_message[: len(message)]) == (1, field, message)


def test_free_text_in_data_keeps_tabs_and_line_breaks() -> None:
    [event] = validate_events([{**OK, "data": {"note": "two\tcolumns\r\nnext line"}}], NOW)
    assert event.data == {"note": "two\tcolumns\r\nnext line"}


def test_a_lone_surrogate_in_an_event_body_names_its_index_and_field() -> None:
    raw = decode_body(b'[{"source": "a", "type": "x.y"}, {"source": "b\\udfff", "type": "x.y"}]')
    assert refused(raw) == [(1, "source", "contains a lone surrogate U+DFFF at position 1")]


TIMES = [
    # (id, seconds before NOW, max_age or None for the default, accepted)
    ("now", 0.0, None, True),
    ("six-days-ago", 6 * 86400.0, None, True),
    ("exactly-the-horizon", 7 * 86400.0, None, True),
    ("just-past-the-horizon", 7 * 86400.0 + 1, None, False),
    ("an-hour-with-a-one-hour-horizon", 3600.0, 3600.0, True),
    ("two-hours-with-a-one-hour-horizon", 7200.0, 3600.0, False),
    ("five-minutes-ahead", -300.0, None, True),
    ("six-minutes-ahead", -360.0, None, False),
]


@pytest.mark.parametrize(("ago", "max_age", "accepted"), [c[1:] for c in TIMES], ids=[c[0] for c in TIMES])
def test_event_times_have_a_horizon(ago: float, max_age: float | None, accepted: bool) -> None:
    raw = [{**OK, "time": rfc3339(NOW - ago)}]
    kw: dict[str, Any] = {} if max_age is None else {"max_age": max_age}
    if accepted:
        [event] = validate_events(raw, NOW, **kw)
        assert event.time == NOW - ago
    else:
        [(_, field, message)] = refused(raw, **kw)
        assert field == "time"
        assert "older than the accepted horizon" in message or "in the future" in message


def test_an_event_from_1900_is_refused_naming_field_and_value() -> None:
    assert refused([{**OK, "time": "1900-01-01T00:00:00Z"}]) == [
        (
            0,
            "time",
            f"is older than the accepted horizon of 7 days (earliest {rfc3339(NOW - 7 * 86400)})",
        )
    ]
