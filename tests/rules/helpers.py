"""Shared builders for the rules tests: events, rule sets and a driver that records decisions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fairwatch.model import Decision, Event, Location
from fairwatch.rules import Engine, EngineState, parse_rules
from fairwatch.site import Site, parse_site

# A small plan, 100 m x 100 m: `square` (100 m², capacity 100) holds `tent` (4 m², capacity 10); `field`
# is 40 m x 50 m on the plan but has 1000 m² of usable area and room for 4000 people.
SITE_YAML = """
site: {id: test, name: Test, timezone: UTC, plan: {width: 100, height: 100}}
zones:
  - {id: square, name: Square, polygon: [[0, 0], [10, 0], [10, 10], [0, 10]], capacity: 100}
  - {id: tent, name: Tent, polygon: [[2, 2], [4, 2], [4, 4], [2, 4]], capacity: 10}
  - {id: field, name: Field, polygon: [[20, 0], [60, 0], [60, 50], [20, 50]], area_m2: 1000, capacity: 4000}
"""
SITE: Site = parse_site(SITE_YAML, "site.yaml")


def ev(
    t: float,
    type: str = "crowd.density",
    value: float | None = None,
    zone: str | None = "main",
    source: str = "sensor-1",
    id: str | None = None,
    site: str | None = "riverside",
    data: dict[str, Any] | None = None,
    at: tuple[float, float] | None = None,
) -> Event:
    """An event at event time `t`, located at plan point `at`; its id defaults to something unique."""
    return Event(
        id=id or f"{type}@{t:g}/{zone}/{source}",
        source=source,
        type=type,
        time=t,
        received=t,
        site=site,
        zone=zone,
        value=value,
        location=None if at is None else Location(x=at[0], y=at[1]),
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


def engine_for(yaml_text: str, site: Site | None = None) -> Engine:
    """An engine for rule-file text, parsed with `site` if given."""
    return Engine(parse_rules(yaml_text, site=site))


def rule(when: str, *extra: str, group_by: str = "[zone]") -> str:
    """A file with one rule 'r' (alarm x.y, severity high) grouped by `group_by`."""
    lines = [f"when: {when}", f"group_by: {group_by}", *extra]
    return "rules:\n  - id: r\n    alarm: x.y\n    severity: high\n" + "".join(
        f"    {line}\n" for line in lines
    )


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
