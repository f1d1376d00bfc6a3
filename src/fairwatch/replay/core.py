"""Run rule sets over recorded events with simulated time: pure, deterministic, much faster than real time.

Simulated time is each event's arrival (`Event.received`; never moving backwards). Before an event is
evaluated the engines tick at every whole second up to its arrival, as a server with `tick_seconds = 1`
does: at most once per simulated second, however dense the events (a tick visits every group the rules
remember, so ticking at each of 5,000 events a second would cost 5,000 times as much). The engine runs the
timers of the group an event touches before applying it, so that group's decisions are timely anyway. With
`tick_at_events` (rule tests) the engines also tick at each event's arrival and at each `advance`.
When the engines remember nothing (an empty state has no timers) the clock jumps straight to the next event.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fairwatch.model import Alarm, Event
from fairwatch.replay.book import Activation, AlarmBook
from fairwatch.rules import Engine, EngineState, RuleSet


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """What a replay produced: every activation in order, the open alarm per key, and the span replayed."""

    alarms: tuple[Activation, ...]
    open: dict[str, Alarm]  # the alarm of each dedup key as the alarm service would hold it
    events: int
    start: float | None  # the first simulated instant (None: no events)
    end: float | None  # the last simulated instant


class Replayer:
    """Feeds events (in any number of batches) and time to one or more rule sets and books the alarms."""

    def __init__(self, rulesets: RuleSet | Sequence[RuleSet], *, tick_at_events: bool = False) -> None:
        sets = [rulesets] if isinstance(rulesets, RuleSet) else list(rulesets)
        self.tick_at_events = tick_at_events
        self._engines = [Engine(r) for r in sets]
        self._states: list[EngineState] = [e.new_state() for e in self._engines]
        self.book = AlarmBook()
        self.now: float | None = None
        self.start: float | None = None
        self.events = 0

    def feed(self, events: Iterable[Event]) -> None:
        """Evaluate events in order, each at its arrival time after ticking up to it."""
        pairs = list(zip(self._engines, self._states, strict=True))
        apply = self.book.apply
        count = 0
        for event in events:
            count += 1
            if self.now is None or event.received > self.now:
                self.advance(event.received)
            now = self.now
            assert now is not None
            for engine, state in pairs:
                decisions = engine.evaluate(state, event, now)
                if decisions:
                    apply(decisions, now)
        self.events += count

    def advance(self, until: float) -> None:
        """Move simulated time forward to `until`, ticking every whole second on the way (and at `until`
        itself with `tick_at_events`)."""
        if self.now is None:
            self.start = self.now = until  # nothing remembered yet: no timers to fire
            return
        if until <= self.now:
            return
        second = math.floor(self.now) + 1
        while second <= until and self._remembers():
            self._tick(float(second))
            second += 1
        self.now = until
        if self.tick_at_events and until != math.floor(until):
            self._tick(until)

    def result(self) -> ReplayResult:
        """The alarms so far (the replayer may be fed more afterwards)."""
        return ReplayResult(
            tuple(self.book.activations), dict(self.book.alarms), self.events, self.start, self.now
        )

    def _remembers(self) -> bool:
        return any(state.groups for state in self._states)

    def _tick(self, now: float) -> None:
        for engine, state in zip(self._engines, self._states, strict=True):
            if state.groups:  # an empty state has no timers: nothing to tick
                decisions = engine.tick(state, now)
                if decisions:
                    self.book.apply(decisions, now)


def replay(ruleset: RuleSet, events: Iterable[Event], until: float | None = None) -> ReplayResult:
    """Run `ruleset` over `events` in order with simulated time, then (optionally) on to `until`."""
    replayer = Replayer(ruleset)
    replayer.feed(events)
    if until is not None:
        replayer.advance(until)
    return replayer.result()
