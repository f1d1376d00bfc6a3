"""Shared builders for the rules tests: events, rule sets and a driver that records decisions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fairwatch.model import Decision, Event
from fairwatch.rules import Engine, EngineState, parse_rules


def ev(
    t: float,
    type: str = "crowd.density",
    value: float | None = None,
    zone: str | None = "main",
    source: str = "sensor-1",
    id: str | None = None,
    site: str | None = "riverside",
    data: dict[str, Any] | None = None,
) -> Event:
    """An event at event time `t`; its id defaults to something unique and readable."""
    return Event(
        id=id or f"{type}@{t:g}/{zone}/{source}",
        source=source,
        type=type,
        time=t,
        received=t,
        site=site,
        zone=zone,
        value=value,
        data=dict(data or {}),
    )


@dataclass(frozen=True)
class At:
    """Evaluate `event` at `now` (default: the event's own time)."""

    event: Event
    now: float | None = None


@dataclass(frozen=True)
class Tick:
    """Advance timers to `now`."""

    now: float


Step = At | Tick


def engine_for(yaml_text: str) -> Engine:
    """An engine for rule-file text."""
    return Engine(parse_rules(yaml_text))


def run(engine: Engine, steps: Sequence[Step], state: EngineState | None = None) -> list[Decision]:
    """Feed the steps to the engine in order; return every decision."""
    state = state if state is not None else engine.new_state()
    out: list[Decision] = []
    for step in steps:
        if isinstance(step, Tick):
            out += engine.tick(state, step.now)
        else:
            now = step.event.time if step.now is None else step.now
            out += engine.evaluate(state, step.event, now)
    return out


def brief(decisions: Sequence[Decision]) -> list[tuple[float, str, str, str]]:
    """(time, kind, reason, key) of each decision: what most tables compare."""
    return [(d.time, d.kind.value, d.reason.value, d.key) for d in decisions]
