"""Free-text search and the time range of GET /api/v1/alarms, through real HTTP against a real SQLite file, with the
Riverside site (zone names) and the built-in taxonomy (type names in four languages)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import httpx
import pytest

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.browser.conftest import SITE
from tests.harness import Server

RULES = """
rules:
  - id: fire
    alarm: fire.suspected
    severity: high
    when: {type: smoke.detected}
    group_by: [zone]
  - id: panic
    alarm: violence.panic_alarm
    severity: high
    when: {type: panic.pressed}
    group_by: [source]
"""
T0 = 1_783_000_000.0
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, clock: FakeClock) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("search") / "data", RULES, clock, site=SITE) as s:
        yield s


@pytest.fixture(scope="module")
def op(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.OPERATOR) as c:
        yield c


@pytest.fixture(scope="module")
def alarms(op: httpx.Client, clock: FakeClock) -> dict[str, int]:
    """A fire in the food court (commented, resolved), then an hour later a panic alarm at the main stage."""
    ids: dict[str, int] = {}
    send(op, {"source": "smoke-1", "type": "smoke.detected", "zone": "food-court"})
    ids["fire"] = only(op, {"type": "fire.suspected"})
    op.post(f"/api/v1/alarms/{ids['fire']}/comment", json={"text": "Burnt toast in the Kitchen tent"})
    op.post(f"/api/v1/alarms/{ids['fire']}/resolve", json={"disposition": "false_alarm"})
    clock.advance(3600)
    send(op, {"source": "panic-9", "type": "panic.pressed", "zone": "main-stage"})
    ids["panic"] = only(op, {"type": "violence.panic_alarm"})
    return ids


def send(op: httpx.Client, event: dict[str, object]) -> None:
    r = op.post("/api/v1/events", json={"id": f"q{next(_ids)}", **event})
    assert r.status_code == 202, r.text


def only(op: httpx.Client, params: dict[str, str]) -> int:
    found = op.get("/api/v1/alarms", params=params).json()["alarms"]
    assert len(found) == 1, found
    return int(found[0]["id"])


def search(op: httpx.Client, **params: str) -> set[int]:
    r = op.get("/api/v1/alarms", params=params)
    assert r.status_code == 200, r.text
    return {a["id"] for a in r.json()["alarms"]}


CASES = [
    ("comment-word", {"q": "toast"}, {"fire"}),
    ("comment-any-case", {"q": "KITCHEN"}, {"fire"}),
    ("type-name-german", {"q": "Brandverdacht"}, {"fire"}),
    ("type-name-english-two-words", {"q": "fire suspected"}, {"fire"}),
    ("zone-display-name", {"q": "arena"}, {"panic"}),
    ("zone-id", {"q": "food-court"}, {"fire"}),
    ("source", {"q": "panic-9"}, {"panic"}),
    ("words-from-different-fields", {"q": "toast court"}, {"fire"}),
    ("no-match", {"q": "toast arena"}, set()),
    ("resolved-only", {"q": "fire", "state": "resolved"}, {"fire"}),
    ("until-before-the-panic", {"until": "2026-07-02T14:30:00Z"}, {"fire"}),
    ("since-after-the-fire", {"since": "2026-07-02T14:30:00Z"}, {"panic"}),
    ("blank-is-no-search", {"q": "   "}, {"fire", "panic"}),
]


@pytest.mark.parametrize(("params", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_search_finds_by_every_field(
    op: httpx.Client, alarms: dict[str, int], params: dict[str, str], expected: set[str]
) -> None:
    assert search(op, **params) == {alarms[n] for n in expected}


BAD = [
    ("until-before-since", {"since": "2026-07-02T15:00:00Z", "until": "2026-07-02T14:00:00Z"}, "until"),
    ("until-not-a-time", {"until": "yesterday"}, "until"),
    ("q-too-long", {"q": "x" * 201}, "q"),
    ("q-too-many-words", {"q": "a b c d e f g h i"}, "q"),
    ("q-control-character", {"q": "fire\x07"}, "q"),
]


@pytest.mark.parametrize(("params", "field"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_search_parameters_are_named(op: httpx.Client, params: dict[str, str], field: str) -> None:
    r = op.get("/api/v1/alarms", params=params)
    assert r.status_code == 422
    problem = r.json()["problems"][0]
    assert problem["field"] == field
    assert "Traceback" not in r.text and "SELECT" not in r.text
