"""`enter`, `exit` and `dwell`: moving sources against a region, one track per source.

A position is an event of the when-type that passes the when's matchers and has plan coordinates. Each
source's newest position (by event time) is kept; an older one is ignored. A crossing is seen between two
positions of one source, so a source's first position (or its first after `TRACK_MEMORY_S` of silence,
when the track is forgotten) enters or leaves nothing. `dwell` is `for` per source: it starts at the first
position inside and holds until a position outside.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fairwatch.model import Event, Reason
from fairwatch.rules import explain
from fairwatch.rules.evaluator import CLEAR, RAISE, Clearable, Out
from fairwatch.rules.geofence import point_of
from fairwatch.rules.model import TRACK_MEMORY_S, Kind, Rule
from fairwatch.rules.state import EngineState, FiringGroup, Track, TrackGroup

Why = Callable[[Rule, Event, Sequence[str]], str]
_DWELL, _EXPIRE, _CLEAR = 0, 1, 2  # timers due at one instant fire in this order


class Tracked(Clearable):
    """One evaluator for the three region kinds; `kind` picks what a new position means."""

    __slots__ = ("kind", "region", "remembers")

    def __init__(self, rule: Rule) -> None:
        super().__init__(rule)
        assert rule.region is not None
        self.region = rule.region
        self.kind = rule.kind
        # Enter and exit raise like a plain match: only a `clear` makes their group something to end.
        self.remembers = rule.kind is Kind.DWELL or rule.clear is not None

    def on_event(self, state: EngineState, event: Event, now: float, out: Out) -> None:
        """A position updates its source's track; other events of the clear type may be clear samples."""
        when = self.rule.when[0]
        point = point_of(event)
        if event.type == when.type and point is not None and when.matches(event):
            self._position(state, event, self.region.covers(*point), now, out)
        elif self.rule.clear is not None and event.type == self.rule.clear.type:
            self.clear_event(state, event, now, out)

    def _position(self, state: EngineState, event: Event, inside: bool, now: float, out: Out) -> None:
        key, values = self.group(event)
        groups = self.groups(state)
        group = groups.get(key)
        if group is not None:
            track = group.tracks.get(event.source)
            fresh_inside = inside and (track is None or event.time >= track.time)
            # A due dwell of this source is left to the new position itself, as a held `for` does.
            if self._due(group, key, now, out, skip=event.source if fresh_inside else None):
                group = None  # what a tick would have forgotten
        if group is None:
            group = groups[key] = TrackGroup(values)
        track = group.tracks.get(event.source)  # _due may have forgotten it
        if track is None:
            track = group.tracks[event.source] = Track(event.time, inside, event)
            was = None
        elif event.time < track.time:
            return  # an older position says nothing about where the source is now
        else:
            was, track.time, track.inside, track.event = track.inside, event.time, inside, event
        if self.kind is Kind.DWELL:
            self._dwell(group, key, track, now, out)
        elif was is not None and was != inside and inside is (self.kind is Kind.ENTER):
            text = explain.moved(self.rule, event, group.values)
            self._raise(group, key, event, now, text, Reason.THRESHOLD, out)

    def _dwell(self, group: TrackGroup, key: str, track: Track, now: float, out: Out) -> None:
        if not track.inside:
            track.since = None
            if track.dwelling:
                track.dwelling = False
                self._maybe_over(group, key, track.event, now, out, explain.left)
            return
        if track.since is None:
            track.since = now
        if track.dwelling or now - track.since >= self.rule.for_s:
            track.dwelling = True
            text = explain.dwelt(self.rule, track.event, group.values)
            self._raise(group, key, track.event, now, text, Reason.HELD, out)

    def _raise(
        self, group: TrackGroup, key: str, event: Event, now: float, text: str, reason: Reason, out: Out
    ) -> None:
        if self.remembers:
            group.firing = True
            if event.time >= group.latest:
                group.latest, group.clear_since, group.clear_event = event.time, None, None
        out.append(self.decide(RAISE, reason, key, group.values, now, event, (event.id,), text, event.value))

    def _maybe_over(self, group: TrackGroup, key: str, event: Event, now: float, out: Out, why: Why) -> None:
        """Without `clear`, a dwell alarm ends when no source of the group dwells any more."""
        if self.rule.clear is not None or not group.firing:
            return
        if any(t.dwelling for t in group.tracks.values()):
            return
        group.firing, group.clear_since, group.clear_event = False, None, None
        text = why(self.rule, event, group.values)
        ids = (event.id,)
        out.append(self.decide(CLEAR, Reason.CLEARED, key, group.values, now, event, ids, text, event.value))

    def emit_clear(self, group: FiringGroup, key: str, event: Event, now: float, out: Out) -> None:
        """The clear condition ended it: every source must dwell for `for` again before the next raise."""
        assert isinstance(group, TrackGroup)
        for track in group.tracks.values():
            track.dwelling = False
            track.since = None
        super().emit_clear(group, key, event, now, out)

    def due(self, group: TrackGroup, key: str, now: float, out: Out) -> bool:
        """Raise dwells that reached `for`; forget silent tracks; run the clear timer."""
        return self._due(group, key, now, out)

    def _due(self, group: TrackGroup, key: str, now: float, out: Out, skip: str | None = None) -> bool:
        # Timers fire in the order they came due, as they would with a tick at every instant: a clear due
        # at 70 s must end the alarm before a dwell due at 120 s raises it again.
        for _, what, source in self._timers(group, now, skip):
            track = group.tracks.get(source)
            if what == _CLEAR:
                self.clear_due(group, key, now, out)
            elif track is None:
                continue
            elif what == _DWELL:
                if not track.dwelling and track.since is not None and now - track.since >= self.rule.for_s:
                    self._dwell(group, key, track, now, out)  # since is set only while inside
            elif now - track.time >= TRACK_MEMORY_S:
                del group.tracks[source]
                if track.dwelling:
                    track.dwelling = False
                    self._maybe_over(group, key, track.event, now, out, explain.lost)
        return not group.firing and not group.tracks

    def _timers(self, group: TrackGroup, now: float, skip: str | None) -> list[tuple[float, int, str]]:
        """(when it came due, what, source) for each timer due at `now`, in the order they came due."""
        timers: list[tuple[float, int, str]] = []
        for_s = self.rule.for_s
        for source, track in group.tracks.items():
            since = track.since
            dwells = self.kind is Kind.DWELL and not track.dwelling and source != skip
            if dwells and since is not None and now - since >= for_s:
                timers.append((since + for_s, _DWELL, source))
            if now - track.time >= TRACK_MEMORY_S:
                timers.append((track.time + TRACK_MEMORY_S, _EXPIRE, source))
        since = group.clear_since
        if group.firing and since is not None and now - since >= self.rule.clear_for_s:
            timers.append((since + self.rule.clear_for_s, _CLEAR, ""))
        timers.sort()
        return timers
