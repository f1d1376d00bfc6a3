"""Events against the schemas in force (RS-10) and the site's zones: every problem names the field and value."""

from __future__ import annotations

from typing import Any

import pytest

from fairwatch.events.validate import EventsRefused, validate_events
from fairwatch.schemas import builtin

NOW = 1_783_000_000.0


def problems(
    *events: dict[str, Any], zones: frozenset[str] | None = None
) -> list[tuple[int | None, str, Any, str]]:
    with pytest.raises(EventsRefused) as caught:
        validate_events(list(events), NOW, schemas=builtin(), zones=zones)
    return [(p.index, p.field, p.value, p.message) for p in caught.value.problems]


def ev(type_: str, **fields: Any) -> dict[str, Any]:
    return {"source": "d1", "type": type_, **fields}


def test_declared_events_pass_and_keep_their_narrative() -> None:
    events = [
        ev("crowd.density", zone="a", value=3.5, data={"count": 120}),
        ev("gate.status", data={"state": "blocked"}),
        ev("report.medical", data={"category": "fainting", "text": "collapsed by the bar"}),
        ev("counter.line", value=4, data={"forward": 1200, "backward": 300}),
    ]
    stored = validate_events(events, NOW, schemas=builtin(), zones=frozenset({"a"}))
    assert stored[2].data == {"category": "fainting", "text": "collapsed by the bar"}


def test_unknown_types_keys_values_and_kinds_are_each_named() -> None:
    found = problems(
        ev("symbol.seen"),
        ev("crowd.count", value=3, data={"hw": 3}),
        ev("panic.pressed", value=1),
        ev("gate.status", data={"state": "waving"}),
        ev("crowd.density", value=1, data={"count": "many"}),
        ev("report.medical", data={"text": 3}),
    )
    assert found == [
        (0, "type", "symbol.seen", "unknown event type 'symbol.seen': no event schema declares it"),
        (1, "data.hw", 3, "'hw' is not a declared field of event type 'crowd.count' (declared: capacity)"),
        (2, "value", 1, "event type 'panic.pressed' declares no value"),
        (3, "data.state", "waving", "must be one of open, closed, blocked, fault"),
        (4, "data.count", "many", "must be a finite number (persons)"),
        (5, "data.text", 3, "must be a string (narrative text)"),
    ]


def test_a_zone_the_site_does_not_have_is_refused_and_without_a_site_zones_are_free() -> None:
    [(index, field, value, message)] = problems(ev("smoke.detected", zone="annex"), zones=frozenset({"hall"}))
    assert (index, field, value, message) == (
        0,
        "zone",
        "annex",
        "unknown zone 'annex': the site has no such zone (zones: hall)",
    )
    assert validate_events([ev("smoke.detected", zone="annex")], NOW, schemas=builtin())[0].zone == "annex"


def test_person_data_is_refused_by_the_policy_first() -> None:
    [(_, field, _, message)] = problems(ev("crowd.count", value=1, data={"religion": "x"}))
    assert field == "data.religion" and "not a declared field" not in message
