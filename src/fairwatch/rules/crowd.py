"""The engine's crowd readings: `@flow` per link from line counters, `@capacity` per zone. Pure.

A `counter.line` event from a line counter on a site link (`data.forward`, `data.backward`: totals
cumulative since the counter's last restart) updates that counter's `LineCount` and is followed by an
`@flow` reading of the link as of the event's time: specific flows in persons per metre of width per
minute over the last minute (`data.forward`, `data.backward`, `data.total`), the minority direction's
share (`data.counterflow`), and the walkway level of service of the total (`data.los`, `data.los_rank`).

A counter event that changed a zone's occupancy adds the occupancy to the zone's recent readings and is
followed by an `@capacity` reading: seconds until the projected occupancy reaches the capacity (`value`,
linear; `data.smoothed`, Holt), absent when occupancy is not rising. See docs/crowd.md.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from dataclasses import dataclass, field

from fairwatch.crowd import capacity, flow, los
from fairwatch.model import Event
from fairwatch.rules.spec import CAPACITY, FLOW
from fairwatch.site import OUTSIDE, Site

LINE = "counter.line"
TREND_S = 300.0  # occupancy readings this recent make the time-to-capacity projection
DECIMALS = 6


@dataclass(slots=True)
class Trend:
    """A zone's recent occupancy readings, sorted by time."""

    times: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)

    def copy(self) -> Trend:
        """An independent copy."""
        return Trend(self.times.copy(), self.values.copy())

    def add(self, time: float, value: float) -> None:
        """Add (or replace) the reading at `time`; forget readings older than TREND_S before the newest."""
        at = bisect_left(self.times, time)
        if at < len(self.times) and self.times[at] == time:
            self.values[at] = value
        else:
            self.times.insert(at, time)
            self.values.insert(at, value)
        gone = bisect_left(self.times, self.times[-1] - TREND_S)
        if gone:
            del self.times[:gone]
            del self.values[:gone]


def walkway(site: Site) -> los.Bands:
    """The site's walkway bands, or the defaults (docs/crowd.md)."""
    bounds = site.walkway_los
    if bounds is None:
        return los.WALKWAY
    a, b, c, d, e = bounds
    return los.Bands((a, b, c, d, e), los.WALKWAY.unit)


def line_key(source: str) -> str:
    """The state key of a line counter."""
    return f"line:{source}"


def trend_key(zone: str) -> str:
    """The state key of a zone's occupancy trend."""
    return f"trend:{zone}"


def reading(event: Event) -> flow.Reading | None:
    """The counter's totals, or None when `forward`/`backward` are not whole numbers >= 0."""
    forward = flow.totals(event.data.get("forward"))
    backward = flow.totals(event.data.get("backward"))
    if forward is None or backward is None:
        return None
    return flow.Reading(event.time, forward, backward)


def apply_line(state: dict[str, object], site: Site | None, event: Event) -> Event | None:
    """Apply a `counter.line` event; the link's `@flow` reading if it took effect, else None."""
    found = site.counter_link(event.source) if site is not None else None
    totals = reading(event)
    if site is None or found is None or totals is None:
        return None
    link, reverse = found
    if reverse:
        totals = flow.Reading(totals.time, totals.backward, totals.forward)
    key = line_key(event.source)
    count = state.get(key)
    if not isinstance(count, flow.LineCount):
        count = flow.LineCount()
    if not count.add(totals):
        return None
    state[key] = count
    rates = flow.flows(count, event.time)
    if rates is None:
        return None
    forward, backward = (r / link.width_m for r in rates)
    total = forward + backward
    band = los.band(total, walkway(site))
    data: dict[str, object] = {
        "link": link.id,
        "forward": round(forward, DECIMALS),
        "backward": round(backward, DECIMALS),
        "total": round(total, DECIMALS),
        "counterflow": round(flow.counterflow(forward, backward), DECIMALS),
        "los": band,
        "los_rank": los.rank(band),
        "width_m": link.width_m,
        "restarts": count.restarts,
        "unchanged_s": round(event.time - count.still_since(), 3),
        "neighbours_counting": _counting(state, site, event.source, count.still_since()),
    }
    zone = link.from_zone if link.from_zone != OUTSIDE else link.to_zone
    return Event(
        event.id,
        event.source,
        FLOW,
        event.time,
        event.received,
        event.site,
        zone,
        round(total, DECIMALS),
        None,
        data,
    )


def _counting(state: dict[str, object], site: Site, source: str, since: float) -> int:
    """How many neighbouring line counters' totals changed after `since` (a first reading is no change)."""
    n = 0
    for other in site.neighbour_counters(source):
        count = state.get(line_key(other))
        if isinstance(count, flow.LineCount) and count.changed > since:
            n += 1
    return n


def apply_trend(state: dict[str, object], event: Event, occupancy: float, cap: int) -> Event:
    """Add the zone's occupancy as of `event`; the zone's `@capacity` reading."""
    zone = event.zone or ""
    key = trend_key(zone)
    trend = state.get(key)
    if not isinstance(trend, Trend):
        trend = state[key] = Trend()
    trend.add(event.time, occupancy)
    data: dict[str, object] = {"occupancy": occupancy, "capacity": cap}
    value: float | None = None
    for method in capacity.METHODS:
        projection = capacity.time_to_capacity(trend.times, trend.values, cap, method)
        if projection is None or math.isinf(projection.seconds):
            continue
        seconds = round(projection.seconds, 3)
        data["linear" if method == "linear" else "smoothed"] = seconds
        if method == "linear":
            value = seconds
            data["trend_per_min"] = round(projection.trend * 60.0, DECIMALS)
    return Event(
        event.id, event.source, CAPACITY, event.time, event.received, event.site, zone, value, None, data
    )
