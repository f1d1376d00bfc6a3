"""The board: live crowd measures of every zone and link of a site, updated with each committed event.

Per event it does what the rule engine does for the zones and links its rules read, with the same pure
functions: `rules.occupancy.apply` for counter events, `rules.crowd.apply_line` for line counters (specific
flow and walkway level of service), a `rules.crowd.Trend` of counted occupancy for the time-to-capacity
projection (as the rules project it). A zone without counters but with density readings has an estimated
occupancy (density x area). Memory is bounded by the site: zones, links and devices it does not know are
ignored. No database read per event; `warm` reads the recent events once, at start.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from fairwatch.crowd import STANDING, Bands, band, time_to_capacity
from fairwatch.measures.history import HISTORY_S, STEP_S, History
from fairwatch.model import Event
from fairwatch.rules import crowd, occupancy
from fairwatch.rules.crowd import Trend
from fairwatch.site import Site

DENSITY = "crowd.density"
STALE_S = 300.0  # a projection whose newest reading is older than this is not shown


@dataclass(frozen=True, slots=True)
class ZoneMeasure:
    """One zone now. `source` says where occupancy comes from: `count` (counters), `density` (an estimate:
    density x area) or None (no reading yet). `full_in_s`: projected seconds until capacity from counted
    occupancy, as the `time_to_capacity` condition projects it (None: not rising, not counted or too old)."""

    id: str
    capacity: int
    area_m2: float
    occupancy: float | None
    density: float | None
    los: str | None
    full_in_s: float | None
    trend_per_min: float | None
    source: str | None
    as_of: float | None
    occupancy_history: list[tuple[float, float]]
    flow_history: list[tuple[float, float]]  # net persons per minute into the zone through its counted links


@dataclass(frozen=True, slots=True)
class LinkMeasure:
    """One link now: specific flow each way in persons per metre per minute over the last minute."""

    id: str
    width_m: float
    forward: float | None
    backward: float | None
    total: float | None
    counterflow: float | None
    los: str | None
    as_of: float | None
    history: list[tuple[float, float, float]]  # (time, forward, backward)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every zone and link of the site, and when each device was last heard from (None: not yet)."""

    time: float
    zones: list[ZoneMeasure]
    links: list[LinkMeasure]
    last_seen: dict[str, float | None]


@dataclass(slots=True)
class _Zone:
    density: tuple[float, float] | None = None  # (time, persons/m²) of the newest density reading
    trend: Trend = field(default_factory=Trend)
    occupancy: History = field(default_factory=History)


@dataclass(slots=True)
class _Link:
    latest: Event | None = None  # the newest `@flow` reading
    forward: History = field(default_factory=History)
    backward: History = field(default_factory=History)


class Board:
    """Live measures of one site; `add` committed events, read a `snapshot`."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.standing = _standing(site)
        self._counts: dict[str, occupancy.ZoneCount] = {}
        self._lines: dict[str, object] = {}  # line counters' totals, as the engine keeps them
        self._zones = {z.id: _Zone() for z in site.zones}
        self._links = {link.id: _Link() for link in site.links}
        self._seen: dict[str, float | None] = {d.id: None for d in site.devices}

    def add(self, events: Sequence[Event], now: float) -> None:
        """Apply events committed at `now`."""
        for event in events:
            self._add(event, now)

    def warm(self, events: Iterable[Event]) -> int:
        """Apply stored events (in arrival order), each as of when it was received; returns how many."""
        n = 0
        for event in events:
            self._add(event, event.received)
            n += 1
        return n

    def _add(self, event: Event, now: float) -> None:
        if event.source in self._seen:
            seen = self._seen[event.source]
            self._seen[event.source] = event.time if seen is None else max(seen, event.time)
        if event.type in occupancy.COUNTER_TYPES:
            self._count(event, now)
        elif event.type == DENSITY:
            self._density(event)
        elif event.type == crowd.LINE:
            self._line(event)

    def _count(self, event: Event, now: float) -> None:
        zone = self._zones.get(event.zone or "")
        if zone is None:
            return
        count = occupancy.apply(self._counts, event, now)
        if count is not None:
            self._reading(zone, count.latest, count.occupancy())

    def _density(self, event: Event) -> None:
        zone = self._zones.get(event.zone or "")
        value = event.value
        if zone is None or value is None or not math.isfinite(value) or value < 0:
            return
        if zone.density is not None and event.time < zone.density[0]:
            return
        zone.density = (event.time, value)
        if (event.zone or "") not in self._counts:
            zone.occupancy.add(event.time, value * self.site.zone(event.zone or "").area_m2)

    @staticmethod
    def _reading(zone: _Zone, time: float, occupancy: float) -> None:
        """A counted occupancy: history and the time-to-capacity trend (counted only, as the rules project)."""
        zone.trend.add(time, occupancy)
        zone.occupancy.add(time, occupancy)

    def _line(self, event: Event) -> None:
        reading = crowd.apply_line(self._lines, self.site, event)
        if reading is None:
            return
        link = self._links.get(str(reading.data["link"]))
        if link is None:
            return
        if link.latest is None or reading.time >= link.latest.time:
            link.latest = reading
        link.forward.add(reading.time, float(reading.data["forward"]))
        link.backward.add(reading.time, float(reading.data["backward"]))

    def snapshot(self, now: float) -> Snapshot:
        """Every zone and link as of `now`, histories from `HISTORY_S` before it."""
        start = now - HISTORY_S
        links = [self._link_measure(link.id, link.width_m, start) for link in self.site.links]
        zones = [self._zone_measure(z.id, now, start, links) for z in self.site.zones]
        return Snapshot(now, zones, links, dict(self._seen))

    def _link_measure(self, link_id: str, width: float, start: float) -> LinkMeasure:
        link = self._links[link_id]
        history = [
            (t, f, b)
            for (t, f), (_, b) in zip(link.forward.since(start), link.backward.since(start), strict=False)
        ]
        latest = link.latest
        if latest is None:
            return LinkMeasure(link_id, width, None, None, None, None, None, None, history)
        d = latest.data
        return LinkMeasure(
            link_id, width, float(d["forward"]), float(d["backward"]), float(d["total"]),
            float(d["counterflow"]), str(d["los"]), latest.time, history,
        )  # fmt: skip

    def _zone_measure(self, zone_id: str, now: float, start: float, links: list[LinkMeasure]) -> ZoneMeasure:
        spec = self.site.zone(zone_id)
        zone = self._zones[zone_id]
        count = self._counts.get(zone_id)
        occupancy: float | None = None
        source: str | None = None
        as_of: float | None = None
        if count is not None:
            occupancy, source, as_of = count.occupancy(), "count", count.latest
        elif zone.density is not None:
            occupancy, source, as_of = zone.density[1] * spec.area_m2, "density", zone.density[0]
        density = zone.density[1] if zone.density is not None else None
        if density is None and occupancy is not None:
            density = occupancy / spec.area_m2
        full_in, per_min = _projection(zone.trend, spec.capacity, now)
        return ZoneMeasure(
            zone_id, spec.capacity, spec.area_m2, occupancy, density,
            None if density is None else band(density, self.standing), full_in, per_min, source, as_of,
            zone.occupancy.since(start), self._net_flow(zone_id, links),
        )  # fmt: skip

    def _net_flow(self, zone_id: str, links: list[LinkMeasure]) -> list[tuple[float, float]]:
        """Per bucket: persons per minute into the zone minus out of it, through its counted links."""
        net: dict[float, float] = {}
        for measure in links:
            link = self.site.link(measure.id)
            sign = 1.0 if link.to_zone == zone_id else -1.0 if link.from_zone == zone_id else 0.0
            if sign == 0.0:
                continue
            for t, forward, backward in measure.history:
                net[t] = net.get(t, 0.0) + sign * (forward - backward) * link.width_m
        return sorted(net.items())


def _projection(trend: Trend, capacity: int, now: float) -> tuple[float | None, float | None]:
    """(seconds from `now` until the projected occupancy reaches capacity, trend per minute), or Nones."""
    if not trend.times or now - trend.times[-1] > STALE_S:
        return None, None
    projection = time_to_capacity(trend.times, trend.values, capacity)
    if projection is None:
        return None, None
    per_min = round(projection.trend * 60.0, 3)
    if math.isinf(projection.seconds):
        return None, per_min
    return max(0.0, projection.seconds - max(0.0, now - trend.times[-1])), per_min


def _standing(site: Site) -> Bands:
    bounds = site.standing_los
    if bounds is None:
        return STANDING
    a, b, c, d, e = bounds
    return Bands((a, b, c, d, e), STANDING.unit)


__all__ = ["HISTORY_S", "STEP_S", "Board", "LinkMeasure", "Snapshot", "ZoneMeasure"]
