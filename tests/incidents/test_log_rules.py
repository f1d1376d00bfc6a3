"""The control log's rules, decided from the entry and the server's time (pure)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from fairwatch.incidents.log import LATE_AFTER, entry_problems, read_entry
from fairwatch.store import LogEntry

NOW = 1_783_000_000.0
NOTE = LogEntry(1, "note", "text", "ana", NOW, NOW)
METHANE = {"major_incident": "no", "exact_location": "gate B", "type_of_incident": "crush", "hazards": "none",
           "access": "north", "casualties": 2, "emergency_services": "police present"}  # fmt: skip

CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("a-note-needs-nothing-more", {}, []),
    ("decision-without-reason", {"kind": "decision"}, ["reason"]),
    ("decision-with-reason", {"kind": "decision", "reason": "density"}, []),
    ("exactly-five-minutes-is-not-late", {"occurred_at": NOW - LATE_AFTER}, []),
    ("late-without-reason", {"occurred_at": NOW - LATE_AFTER - 1}, ["late_reason"]),
    ("late-with-reason", {"occurred_at": NOW - 3600, "late_reason": "radio backlog"}, []),
    ("late-decision-needs-both", {"kind": "decision", "occurred_at": NOW - 3600}, ["reason", "late_reason"]),
    ("far-future", {"occurred_at": NOW + 600}, ["occurred_at"]),
    ("correction-without-target", {"kind": "correction"}, ["corrects"]),
    ("correction-with-target", {"kind": "correction", "corrects": 4}, []),
    ("target-on-a-note", {"corrects": 4}, ["corrects"]),
    ("methane-without-fields", {"kind": "methane"}, ["methane"]),
    ("methane-with-fields", {"kind": "methane", "methane": METHANE}, []),
]


@pytest.mark.parametrize(("change", "fields"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_entry_rules(change: dict[str, Any], fields: list[str]) -> None:
    assert [p.field for p in entry_problems(replace(NOTE, **change))] == fields


def test_reading_a_body_takes_server_time_and_refuses_system_and_unknown_fields() -> None:
    entry, problems = read_entry({"kind": "note", "text": "hi"}, 3, "ana", NOW)
    assert (entry.occurred_at, entry.entered_at, entry.author, problems) == (NOW, NOW, "ana", [])
    _, problems = read_entry({"kind": "system", "text": "forged", "entered_at": "x"}, 3, "ana", NOW)
    assert sorted(p.field for p in problems) == ["entered_at", "kind"]
    _, problems = read_entry(
        {"kind": "methane", "methane": {**METHANE, "casualties": -1, "names": "x"}}, 3, "a", NOW
    )
    assert sorted(p.field for p in problems) == ["methane.casualties", "methane.names"]
