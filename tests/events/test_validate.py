"""The event contract: every problem listed with index, field, value and exact message."""

from __future__ import annotations

from typing import Any

import pytest

from fairwatch.errors import BadJSON, InvalidInput
from fairwatch.events import decode_body, validate_events
from fairwatch.events.validate import EventsRefused, parse_time, rfc3339

NOW = 1_783_189_325.0  # 2026-07-04T18:22:05Z
OK: dict[str, Any] = {"source": "gate3-counter", "type": "crowd.density"}


def problems(raw: list[Any]) -> list[tuple[int | None, str, Any, str]]:
    with pytest.raises(InvalidInput) as info:
        validate_events(raw, NOW)
    return [(p.index, p.field, p.value, p.message) for p in info.value.problems]


def test_full_event_is_built() -> None:
    raw = {
        "id": "9f1c",
        "source": "gate3-counter",
        "type": "crowd.density",
        "time": "2026-07-04T18:22:05Z",
        "site": "riverside",
        "zone": "main-stage",
        "value": 4.6,
        "location": {"x": 120.5, "y": 40.2},
        "data": {"door": "B"},
    }
    [ev] = validate_events([raw], NOW + 10)
    assert (ev.id, ev.source, ev.type, ev.time, ev.received) == (
        "9f1c",
        "gate3-counter",
        "crowd.density",
        NOW,
        NOW + 10,
    )
    assert (ev.site, ev.zone, ev.value, ev.data) == ("riverside", "main-stage", 4.6, {"door": "B"})
    assert ev.location is not None and ev.location.as_dict() == {"x": 120.5, "y": 40.2}


def test_defaults_id_and_time() -> None:
    [a, b] = validate_events([dict(OK), dict(OK)], NOW)
    assert a.time == NOW and a.id != b.id and len(a.id) == 36


TYPE_MSG = "must be lowercase dotted like 'crowd.density' (pattern ^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*$)"
TIME_MSG = "must be an RFC 3339 timestamp with a time zone, like '2026-07-04T18:22:05Z'"
LOC_MSG = 'must be {"lat": ..., "lon": ...} or {"x": ..., "y": ...} with finite numbers'
ALLOWED = "unknown field (allowed: id, source, type, time, site, zone, value, location, data)"

CASES = [
    ("missing-source", {"type": "a.b"}, [(0, "source", None, "required field is missing")]),
    ("missing-type", {"source": "s"}, [(0, "type", None, "required field is missing")]),
    ("upper-type", {**OK, "type": "Crowd.Density"}, [(0, "type", "Crowd.Density", TYPE_MSG)]),
    ("trailing-dot", {**OK, "type": "crowd."}, [(0, "type", "crowd.", TYPE_MSG)]),
    ("number-type", {**OK, "type": 5}, [(0, "type", 5, TYPE_MSG)]),
    ("empty-source", {**OK, "source": " "}, [(0, "source", " ", "must be a non-empty string")]),
    ("long-id", {**OK, "id": "x" * 129}, [(0, "id", "x" * 129, "must be at most 128 characters (got 129)")]),
    ("unknown-field", {**OK, "colour": "red"}, [(0, "colour", "red", ALLOWED)]),
    ("naive-time", {**OK, "time": "2026-07-04T18:22:05"}, [(0, "time", "2026-07-04T18:22:05", TIME_MSG)]),
    ("garbage-time", {**OK, "time": "yesterday"}, [(0, "time", "yesterday", TIME_MSG)]),
    (
        "future-time",
        {**OK, "time": "2026-07-04T18:27:06Z"},
        [(0, "time", "2026-07-04T18:27:06Z", "is more than 5 minutes in the future")],
    ),
    ("nan-value", {**OK, "value": float("nan")}, None),  # NaN is not JSON; checked below through decode_body
    ("string-value", {**OK, "value": "4.6"}, [(0, "value", "4.6", "must be a finite number")]),
    ("bool-value", {**OK, "value": True}, [(0, "value", True, "must be a finite number")]),
    ("bad-location", {**OK, "location": {"x": 1}}, [(0, "location", {"x": 1}, LOC_MSG)]),
    (
        "lat-range",
        {**OK, "location": {"lat": 91, "lon": 0}},
        [(0, "location.lat", 91, "must be between -90 and 90")],
    ),
    ("data-list", {**OK, "data": [1]}, [(0, "data", [1], "must be a JSON object")]),
    (
        "data-deep",
        {**OK, "data": {"a": {"b": {"c": 1}}}},
        [(0, "data.a", None, "nests deeper than 2 levels")],
    ),
    (
        "data-big",
        {**OK, "data": {"blob": "x" * 5000}},
        [(0, "data", None, "must be at most 4096 bytes serialized (got 5011)")],
    ),
]


@pytest.mark.parametrize(
    ("raw", "expected"), [(c[1], c[2]) for c in CASES if c[2]], ids=[c[0] for c in CASES if c[2]]
)
def test_single_problem(raw: dict[str, Any], expected: list[Any]) -> None:
    assert problems([raw]) == expected


def test_every_problem_of_a_batch_is_listed_and_nothing_kept() -> None:
    got = problems([OK, {"type": "x"}, "nope", {**OK, "value": "high", "zone": 7}])
    assert got == [
        (1, "source", None, "required field is missing"),
        (2, "", "nope", "each event must be a JSON object"),
        (3, "zone", 7, "must be a non-empty string"),
        (3, "value", "high", "must be a finite number"),
    ]


def test_person_data_is_refused_and_counted() -> None:
    with pytest.raises(EventsRefused) as info:
        validate_events([OK, {**OK, "type": "camera.face_match"}], 0.0)
    assert info.value.refused_by_policy == 1
    [p] = info.value.problems
    assert (p.index, p.field, p.value) == (1, "type", "camera.face_match")
    assert p.message.startswith("refused: person-data ban (RS-4)")


@pytest.mark.parametrize(
    ("body", "line", "column"),
    [(b'{"source": "a",\n "type": }', 2, 10), (b"[1,", 1, 4), (b"", 1, 1)],
    ids=["line2", "eof", "empty"],
)
def test_bad_json_names_line_and_column(body: bytes, line: int, column: int) -> None:
    with pytest.raises(BadJSON) as info:
        decode_body(body)
    assert (info.value.line, info.value.column) == (line, column)
    assert info.value.detail.startswith(f"invalid JSON at line {line}, column {column}: ")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[]", "empty batch: send at least one event"),
        (b"[" + b",".join([b"{}"] * 5001) + b"]", "batch of 5001 events exceeds the limit of 5000"),
        (b'"text"', "must be a JSON object or an array of objects"),
    ],
    ids=["empty", "too-many", "scalar"],
)
def test_body_shape(body: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as info:
        decode_body(body)
    assert info.value.problems[0].message == message


def test_nan_is_not_json() -> None:
    with pytest.raises(BadJSON):
        decode_body(b'{"source": "a", "type": "b", "value": NaN}')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-04T18:22:05Z", NOW),
        ("2026-07-04T20:22:05+02:00", NOW),
        ("2026-07-04T18:22:05.250Z", NOW + 0.25),
        ("2026-07-04", None),
        ("2026-07-04T18:22:05", None),
        (12, None),
    ],
)
def test_parse_time(text: Any, expected: float | None) -> None:
    assert parse_time(text) == expected


def test_rfc3339_round_trip() -> None:
    assert rfc3339(NOW + 0.25) == "2026-07-04T18:22:05.250Z"
    assert parse_time(rfc3339(NOW)) == NOW
