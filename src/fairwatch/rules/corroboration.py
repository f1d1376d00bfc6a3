"""`all` and `any`: conditions confirmed by several events, sources and types within a window (and radius).

Each decision names the independent sources (distinct `source` ids) that confirm it and maps them to a CAP
certainty: Observed (three or more, or a trusted human report), Likely (two), Possible (one).
"""

from __future__ import annotations

import math

from fairwatch.model import Event, Reason
from fairwatch.rules import explain
from fairwatch.rules.evaluator import MAX_IDS, RAISE, Clearable, Out
from fairwatch.rules.geofence import point_of
from fairwatch.rules.model import Kind, Rule
from fairwatch.rules.state import CorroborationGroup, EngineState

OBSERVED, LIKELY, POSSIBLE = "Observed", "Likely", "Possible"
Entry = tuple[int, Event]  # (part index, event)


def certainty(sources: int, trusted: bool) -> str:
    """The CAP certainty that `sources` independent sources (or a trusted human report) support."""
    if trusted or sources >= 3:
        return OBSERVED
    return LIKELY if sources == 2 else POSSIBLE


class Corroborated(Clearable):
    """`all`: every part seen; `any`: some part seen. Both within `within`, confirmed by `min_sources`."""

    __slots__ = ("every", "parts_by_type")

    def __init__(self, rule: Rule) -> None:
        super().__init__(rule)
        self.every = rule.kind is Kind.ALL
        by_type: dict[str, list[int]] = {}
        for i, part in enumerate(rule.when):
            by_type.setdefault(part.type, []).append(i)
        self.parts_by_type = {t: tuple(ids) for t, ids in by_type.items()}

    def on_event(self, state: EngineState, event: Event, now: float, out: Out) -> None:
        """Record a part match and raise if the rule is now confirmed; else maybe a clear sample."""
        rule = self.rule
        hits = [i for i in self.parts_by_type.get(event.type, ()) if rule.when[i].matches(event)]
        if hits and (rule.radius is None or point_of(event) is not None):
            self._part(state, event, now, hits, out)
        elif rule.clear is not None and event.type == rule.clear.type:
            self.clear_event(state, event, now, out)

    def _part(self, state: EngineState, event: Event, now: float, hits: list[int], out: Out) -> None:
        if event.time < now - self.rule.within_s:
            return  # older than the window: it cannot take part
        key, values = self.group(event)
        groups = self.groups(state)
        group = self.touch(groups, key, now, out)
        if group is None:
            group = groups[key] = CorroborationGroup(values)
        newer = False
        for i in hits:
            old = group.seen.get((i, event.source))
            if old is None or event.time >= old.time:  # a part's newest event never moves back
                group.seen[(i, event.source)] = event
                newer = True
        if newer:
            self._judge(group, key, event, now, out)

    def _judge(self, group: CorroborationGroup, key: str, event: Event, now: float, out: Out) -> None:
        entries = self._near(group, event)
        chosen = self._newest_per_part(entries, now) if self.every else [event]
        if chosen is None:
            return
        sources = tuple(sorted({e.source for _, e in entries}))
        if len(sources) < self.rule.min_sources:
            return
        trusted = any(self.rule.when[i].trusted for i, _ in entries)
        self._raise(group, key, event, now, chosen, entries, sources, trusted, out)

    def _near(self, group: CorroborationGroup, event: Event) -> list[Entry]:
        """The group's entries within the radius of `event` (all without a radius), by time then id."""
        entries = [(i, e) for (i, _), e in group.seen.items()]
        radius = self.rule.radius
        if radius is not None:
            here = point_of(event)
            assert here is not None  # events without a location do not take part in radius rules
            entries = [(i, e) for i, e in entries if _distance(here, e) <= radius]
        entries.sort(key=lambda entry: (entry[1].time, entry[1].id, entry[0]))
        return entries

    def _newest_per_part(self, entries: list[Entry], now: float) -> list[Event] | None:
        """For `all`: each part's newest event, if every part has one and they lie within `within`."""
        newest: dict[int, Event] = {}
        for i, e in entries:  # sorted by time: later entries are newer
            newest[i] = e
        if len(newest) < len(self.rule.when):
            return None
        parts = [newest[i] for i in range(len(self.rule.when))]
        times = [p.time for p in parts]
        within = self.rule.within_s
        if min(times) < now - within or max(times) - min(times) > within:
            return None
        return parts

    def _raise(
        self,
        group: CorroborationGroup,
        key: str,
        event: Event,
        now: float,
        chosen: list[Event],
        entries: list[Entry],
        sources: tuple[str, ...],
        trusted: bool,
        out: Out,
    ) -> None:
        group.firing = True
        if event.time >= group.latest:
            group.latest, group.clear_since, group.clear_event = event.time, None, None
        level = certainty(len(sources), trusted)
        suffix = explain.confirmed(sources, trusted, level)
        if self.every:
            text = explain.correlated(self.rule, chosen, group.values, suffix)
            ordered = [e.id for e in chosen] + [e.id for _, e in reversed(entries)]
        else:
            part = next(self.rule.when[i] for i, e in entries if e is event)
            text = explain.any_of(self.rule, part, event, group.values, suffix)
            ordered = [event.id] + [e.id for _, e in reversed(entries)]
        ids = tuple(dict.fromkeys(ordered))[:MAX_IDS]
        decision = self.decide(
            RAISE, Reason.CORRELATED, key, group.values, now, event, ids, text, event.value, sources, level
        )
        out.append(decision)

    def due(self, group: CorroborationGroup, key: str, now: float, out: Out) -> bool:
        """Forget part events that left the window; run the clear timer."""
        cutoff = now - self.rule.within_s
        if any(e.time < cutoff for e in group.seen.values()):
            group.seen = {k: e for k, e in group.seen.items() if e.time >= cutoff}
        self.clear_due(group, key, now, out)
        return not group.firing and not group.seen


def _distance(here: tuple[float, float], event: Event) -> float:
    there = point_of(event)
    return math.inf if there is None else math.hypot(there[0] - here[0], there[1] - here[1])
