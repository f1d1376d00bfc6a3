"""The engine's explicit state: per rule, per group (dedup key), what the rule remembers. Plain data.

A state can be transactional: between `begin()` and `commit()` the engine copies every group (and zone count)
before it first changes it, so `rollback()` puts back exactly what was there. The writer brackets each store
transaction with them, so events that were never stored leave no trace in windows, timers or occupancy.
"""

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
    is the occupancy count of a zone, kept only when some rule uses occupancy or density. `crowd[key]`
    is a line counter's totals or a zone's recent occupancy, kept only when a crowd condition uses them.
    """

    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    zones: dict[str, ZoneCount] = field(default_factory=dict)
    crowd: dict[str, Any] = field(default_factory=dict)  # line counters and occupancy trends (rules/crowd.py)
    journal: Journal | None = field(default=None, compare=False, repr=False)

    def begin(self) -> None:
        """Start recording what changes, so that `rollback` can undo it."""
        self.journal = Journal()

    def commit(self) -> None:
        """Keep every change since `begin`."""
        self.journal = None

    def rollback(self) -> None:
        """Undo every change since `begin` (nothing if no transaction is open)."""
        journal, self.journal = self.journal, None
        if journal is not None:
            journal.undo(self)


class Journal:
    """The pre-images of what one transaction changed: each group and zone count as it was before its first
    change (None: it did not exist). The engine calls `keep`/`keep_zone` before it lets an evaluator change
    a group; an evaluator changes only the group of the event's dedup key in its own rule."""

    __slots__ = ("crowd", "groups", "keys", "rules", "zones")

    def __init__(self) -> None:
        self.crowd: dict[str, Any] = {}
        self.groups: dict[tuple[int, str], Any] = {}
        self.rules: dict[int, dict[str, Any] | None] = {}
        self.keys: dict[int, frozenset[str]] = {}  # the group keys each rule had before the transaction
        self.zones: dict[str, ZoneCount | None] = {}

    def keep_rule(self, state: EngineState, index: int) -> None:
        """Remember which groups rule `index` has (its dict, even empty, which a tick may drop)."""
        if index not in self.rules:
            groups = state.groups.get(index)
            self.rules[index] = groups
            self.keys[index] = frozenset(groups) if groups is not None else frozenset()

    def keep(self, state: EngineState, index: int, key: str) -> None:
        """Remember group `key` of rule `index` unless already remembered in this transaction."""
        mark = (index, key)
        if mark in self.groups:
            return
        self.keep_rule(state, index)
        groups = state.groups.get(index)
        old = groups.get(key) if groups is not None else None
        self.groups[mark] = None if old is None else old.copy()

    def keep_zone(self, state: EngineState, zone: str) -> None:
        """Remember the count of `zone` unless already remembered in this transaction."""
        if zone not in self.zones:
            old = state.zones.get(zone)
            self.zones[zone] = None if old is None else copy_zone(old)

    def keep_crowd(self, state: EngineState, key: str) -> None:
        """Remember the crowd measure under `key` (a line counter, a zone's trend) unless already remembered."""
        if key not in self.crowd:
            old = state.crowd.get(key)
            self.crowd[key] = None if old is None else old.copy()

    def undo(self, state: EngineState) -> None:
        """Put every remembered group and zone count back as it was."""
        for index, groups in self.rules.items():
            if groups is None:
                state.groups.pop(index, None)  # every group in it was created in this transaction
            else:
                state.groups[index] = groups  # a tick may have dropped it once it was empty
                # a group created in this transaction by a change to another group (a track moving) goes too
                for key in [k for k in groups if k not in self.keys[index]]:
                    del groups[key]
        for (index, key), old in self.groups.items():
            groups = self.rules[index]
            if groups is None:
                continue
            if old is None:
                groups.pop(key, None)
            else:
                groups[key] = old
        for zone, count in self.zones.items():
            if count is None:
                state.zones.pop(zone, None)
            else:
                state.zones[zone] = count
        for key, measure in self.crowd.items():
            if measure is None:
                state.crowd.pop(key, None)
            else:
                state.crowd[key] = measure


def copy_zone(count: ZoneCount) -> ZoneCount:
    """An independent copy of a zone count."""
    return ZoneCount(count.base, count.base_time, count.latest, count.moves.copy(), count.pending)


@dataclass(slots=True)
class FiringGroup:
    """What every rule that can be cleared by a `clear` condition remembers."""

    values: tuple[str, ...] = ()  # group_by values, in group_by order
    firing: bool = False  # raised and not yet cleared
    latest: float = -math.inf  # newest sample time seen; older samples are ignored
    clear_since: float | None = None  # `now` when the clear condition started holding
    clear_event: Event | None = None  # the newest sample that satisfied the clear condition

    def copy(self) -> FiringGroup:
        """An independent copy (events are immutable and shared)."""
        return FiringGroup(self.values, self.firing, self.latest, self.clear_since, self.clear_event)


@dataclass(slots=True)
class HeldGroup(FiringGroup):
    """A `for` rule's group: when its condition started holding (by `now`), and the newest true sample."""

    since: float | None = None
    event: Event | None = None

    def copy(self) -> HeldGroup:
        """An independent copy."""
        return HeldGroup(
            self.values, self.firing, self.latest, self.clear_since, self.clear_event, self.since, self.event
        )


@dataclass(slots=True)
class CorroborationGroup(FiringGroup):
    """An `all`/`any` rule's group: per (part index, source) the newest matching event in the window."""

    seen: dict[tuple[int, str], Event] = field(default_factory=dict)

    def copy(self) -> CorroborationGroup:
        """An independent copy."""
        return CorroborationGroup(
            self.values, self.firing, self.latest, self.clear_since, self.clear_event, self.seen.copy()
        )


@dataclass(slots=True)
class Track:
    """One source's newest position in a region rule; `since` is `now` when a dwell began."""

    time: float
    inside: bool
    event: Event
    since: float | None = None
    dwelling: bool = False  # dwelt for `for`: raised for this source

    def copy(self) -> Track:
        """An independent copy."""
        return Track(self.time, self.inside, self.event, self.since, self.dwelling)


@dataclass(slots=True)
class TrackGroup(FiringGroup):
    """An `enter`/`exit`/`dwell` rule's group: the track of each source in it."""

    tracks: dict[str, Track] = field(default_factory=dict)

    def copy(self) -> TrackGroup:
        """An independent copy, tracks included."""
        tracks = {source: track.copy() for source, track in self.tracks.items()}
        return TrackGroup(self.values, self.firing, self.latest, self.clear_since, self.clear_event, tracks)


@dataclass(slots=True)
class RateGroup:
    """A `rate` rule's group: matching readings in the window, sorted by event time."""

    values: tuple[str, ...] = ()
    times: list[float] = field(default_factory=list)
    readings: list[float] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    fired: bool = False
    last: Event | None = None  # the newest reading; names zone/site after the window empties

    def copy(self) -> RateGroup:
        """An independent copy."""
        return RateGroup(
            self.values, self.times.copy(), self.readings.copy(), self.events.copy(), self.fired, self.last
        )


@dataclass(slots=True)
class CountGroup:
    """A `count` rule's group: matching events in the window, sorted by event time."""

    values: tuple[str, ...] = ()
    times: list[float] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    fired: bool = False
    last: Event | None = None  # the newest event counted; names zone/site after the window empties

    def copy(self) -> CountGroup:
        """An independent copy."""
        return CountGroup(self.values, self.times.copy(), self.events.copy(), self.fired, self.last)


@dataclass(slots=True)
class AbsentGroup:
    """An `absent` rule's group: the newest matching event (by event time) and whether absence was raised."""

    values: tuple[str, ...]
    last: Event
    fired: bool = False

    def copy(self) -> AbsentGroup:
        """An independent copy."""
        return AbsentGroup(self.values, self.last, self.fired)
