"""A transactional engine state: `rollback` undoes exactly what evaluation and ticks changed since `begin`.

Random streams over every rule kind (the property-test rule sets of the rules tests): run a prefix, copy
the state, run a suffix inside a transaction, roll back, and the state must equal the copy; continuing from
it must decide exactly what continuing from the copy decides.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairwatch.rules import Engine, EngineState, RuleSet
from fairwatch.rules.occupancy import ZoneCount
from fairwatch.rules.state import (
    AbsentGroup,
    CorroborationGroup,
    CountGroup,
    FiringGroup,
    HeldGroup,
    RateGroup,
    Track,
    TrackGroup,
    copy_zone,
)
from tests.rules import test_rules_properties as plain
from tests.rules import test_rules_properties_forms as forms
from tests.rules.helpers import Step, Tick, ev, run

RULESETS: dict[str, RuleSet] = {"riverside": plain.RIVERSIDE, "forms": forms.RULES}
STREAMS = {"riverside": plain.streams, "forms": forms.streams}


def _shifted(steps: list[Step], after: float) -> list[Step]:
    """`steps` moved to start after `after` (the suffix continues the prefix's clock)."""
    out: list[Step] = []
    for step in steps:
        if isinstance(step, Tick):
            out.append(Tick(step.now + after))
        else:
            now = step.event.time if step.now is None else step.now
            moved = dataclasses.replace(step.event, id=f"late-{step.event.id}", time=step.event.time + after)
            out.append(type(step)(moved, now + after))
    return out


def _end(steps: list[Step]) -> float:
    times = [s.now if isinstance(s, Tick) else (s.event.time if s.now is None else s.now) for s in steps]
    return max(times, default=0.0)


def check_rollback(ruleset: RuleSet, before: list[Step], failed: list[Step], after: list[Step]) -> None:
    engine = Engine(ruleset)
    state = engine.new_state()
    run(engine, before, state)
    saved = copy.deepcopy(state)
    start = _end(before)
    state.begin()
    run(engine, _shifted(failed, start), state)
    state.rollback()
    assert state == saved
    later = _shifted(after, start)
    assert run(engine, later, state) == run(engine, later, saved)
    assert state == saved


@pytest.mark.parametrize("name", sorted(RULESETS))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_rollback_restores_exactly_the_state_before(name: str, data: st.DataObject) -> None:
    streams = STREAMS[name]
    before, failed, after = (data.draw(streams()) for _ in range(3))
    check_rollback(RULESETS[name], before, failed, after)


def test_commit_keeps_the_changes_and_ends_the_transaction() -> None:
    engine = Engine(plain.RIVERSIDE)
    state = engine.new_state()
    state.begin()
    engine.evaluate(state, ev(1.0, "report.medical", zone="north", id="m1"), 1.0)
    state.commit()
    kept = copy.deepcopy(state)
    assert state.groups
    state.rollback()  # no transaction open: nothing to undo
    assert state == kept


SAMPLE = ev(1.0, "t", id="e1")
GROUPS: list[tuple[str, Any]] = [
    ("firing", FiringGroup(("a",), True, 1.0, 2.0, SAMPLE)),
    ("held", HeldGroup(("a",), True, 1.0, 2.0, SAMPLE, 3.0, SAMPLE)),
    ("corroboration", CorroborationGroup(("a",), True, 1.0, None, None, {(0, "s"): SAMPLE})),
    ("track", TrackGroup(("a",), True, 1.0, None, None, {"s": Track(1.0, True, SAMPLE, 2.0, True)})),
    ("rate", RateGroup(("a",), [1.0], [2.0], [SAMPLE], True, SAMPLE)),
    ("count", CountGroup(("a",), [1.0], [SAMPLE], True, SAMPLE)),
    ("absent", AbsentGroup(("a",), SAMPLE, True)),
    ("zone", ZoneCount(1.0, 2.0, 3.0, [(4.0, 1.0)], 1.0)),
]


def _mutable_parts(obj: Any) -> list[Any]:
    """Every list, dict and Track reachable from a group's fields (events are frozen and may be shared)."""
    found: list[Any] = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if isinstance(value, list | dict):
            found.append(value)
            if isinstance(value, dict):
                found += [v for v in value.values() if isinstance(v, Track)]
    return found


@pytest.mark.parametrize("group", [g for _, g in GROUPS], ids=[name for name, _ in GROUPS])
def test_a_copy_is_equal_and_shares_nothing_mutable(group: Any) -> None:
    copied = copy_zone(group) if isinstance(group, ZoneCount) else group.copy()
    assert type(copied) is type(group)
    assert copied == group
    fields = {f.name for f in dataclasses.fields(group)}
    assert all(getattr(copied, name) == getattr(group, name) for name in fields)
    shared = {id(p) for p in _mutable_parts(group)} & {id(p) for p in _mutable_parts(copied)}
    assert not shared


def test_an_empty_state_has_no_transaction() -> None:
    assert EngineState().journal is None
