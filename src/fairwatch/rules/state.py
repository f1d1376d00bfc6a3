"""The engine's explicit state: per rule, per group (dedup key), what the rule remembers. Plain data."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from fairwatch.model import Event
from fairwatch.rules.occupancy import ZoneCount


@dataclass(slots=True)
class EngineState:
    """Everything the engine remembers, mutated in place by `evaluate`, `tick` and `warm_up`.

    `groups[rule index][dedup key]` is that group's state (one of the *Group classes below). A rule or
    group with nothing to remember has no entry, so an empty state is `EngineState()`. `zones[zone id]`
    is the occupancy count of a zone, kept only when some rule uses occupancy or density.
    """

    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    zones: dict[str, ZoneCount] = field(default_factory=dict)


@dataclass(slots=True)
class FiringGroup:
    """What every rule that can be cleared by a `clear` condition remembers."""

    values: tuple[str, ...] = ()  # group_by values, in group_by order
    firing: bool = False  # raised and not yet cleared
    latest: float = -math.inf  # newest sample time seen; older samples are ignored
    clear_since: float | None = None  # `now` when the clear condition started holding
    clear_event: Event | None = None  # the newest sample that satisfied the clear condition


@dataclass(slots=True)
class HeldGroup(FiringGroup):
    """A `for` rule's group: when its condition started holding (by `now`), and the newest true sample."""

    since: float | None = None
    event: Event | None = None


@dataclass(slots=True)
class CorroborationGroup(FiringGroup):
    """An `all`/`any` rule's group: per (part index, source) the newest matching event in the window."""

    seen: dict[tuple[int, str], Event] = field(default_factory=dict)


@dataclass(slots=True)
class Track:
    """One source's newest position in a region rule; `since` is `now` when a dwell began."""

    time: float
    inside: bool
    event: Event
    since: float | None = None
    dwelling: bool = False  # dwelt for `for`: raised for this source


@dataclass(slots=True)
class TrackGroup(FiringGroup):
    """An `enter`/`exit`/`dwell` rule's group: the track of each source in it."""

    tracks: dict[str, Track] = field(default_factory=dict)


@dataclass(slots=True)
class RateGroup:
    """A `rate` rule's group: matching readings in the window, sorted by event time."""

    values: tuple[str, ...] = ()
    times: list[float] = field(default_factory=list)
    readings: list[float] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    fired: bool = False
    last: Event | None = None  # the newest reading; names zone/site after the window empties


@dataclass(slots=True)
class CountGroup:
    """A `count` rule's group: matching events in the window, sorted by event time."""

    values: tuple[str, ...] = ()
    times: list[float] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    fired: bool = False
    last: Event | None = None  # the newest event counted; names zone/site after the window empties


@dataclass(slots=True)
class AbsentGroup:
    """An `absent` rule's group: the newest matching event (by event time) and whether absence was raised."""

    values: tuple[str, ...]
    last: Event
    fired: bool = False
