"""Building blocks of scenarios: contract event dicts, periodic streams, smooth curves, merging."""

from __future__ import annotations

import heapq
import math
import random
import time
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from typing import Any

from fairwatch.site import Device, Site

SimEvent = tuple[float, dict[str, Any]]
"""(send_at in Unix seconds, event as the JSON dict posted to /api/v1/events)."""

Stream = Iterator[SimEvent]


def rfc3339(t: float) -> str:
    """RFC 3339 UTC with milliseconds and a Z, like 2026-05-28T20:26:40.125Z."""
    seconds, millis = divmod(round(t * 1000), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def event(
    site: str,
    source: str,
    type_: str,
    t: float,
    *,
    zone: str | None = None,
    location: dict[str, float] | None = None,
    value: float | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One event dict; `with_ids` fills the `id` placeholder in send order; absent fields are omitted."""
    out: dict[str, Any] = {"id": "", "source": source, "type": type_, "time": rfc3339(t), "site": site}
    if zone is not None:
        out["zone"] = zone
    if value is not None:
        out["value"] = value
    if location is not None:
        out["location"] = location
    if data:
        out["data"] = data
    return out


def device_event(
    site: str,
    device: Device,
    type_: str,
    t: float,
    value: float | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An event from a site device: source, zone and location come from the site file."""
    loc = device.location.as_dict() if device.location is not None else None
    return event(site, device.id, type_, t, zone=device.zone, location=loc, value=value, data=data)


def stagger(index: int, count: int, every: float) -> float:
    """Offset of device `index` of `count` within a period, so they do not all report at the same instant."""
    return round(index * every / count, 3)


def heartbeats(
    site: Site, start: float, every: float, silent: Callable[[str, float], bool] | None = None
) -> Stream:
    """A heartbeat from every device every `every` s, staggered; none while `silent(device, t - start)`."""

    def stream(i: int, device: Device) -> Stream:
        def make(t: float) -> SimEvent | None:
            if silent is not None and silent(device.id, t - start):
                return None
            return t, device_event(site.id, device, "heartbeat", t)

        return sampled(ticks(start + stagger(i, len(site.devices), every), every), make)

    return merge(stream(i, d) for i, d in enumerate(site.devices))


def ticks(first: float, every: float) -> Iterator[float]:
    """first, first + every, first + 2*every, ... (multiplied, not summed, so no drift)."""
    k = 0
    while True:
        yield first + k * every
        k += 1


def sampled(times: Iterable[float], make: Callable[[float], SimEvent | None]) -> Stream:
    """Call `make` at each time; it returns None to skip a moment (a silent device)."""
    for t in times:
        item = make(t)
        if item is not None:
            yield item


def merge(streams: Iterable[Stream]) -> Stream:
    """Merge time-ordered streams into one; ties keep the order of `streams`."""
    return heapq.merge(*streams, key=itemgetter(0))


def with_ids(stream: Stream, prefix: str) -> Stream:
    """Number events in send order: ids are unique and the same for the same scenario, start and seed."""
    for n, (at, ev) in enumerate(stream):
        ev["id"] = f"{prefix}-{n:07d}"
        yield at, ev


def plateau(x: float, start: float, end: float, rise: float, fall: float) -> float:
    """0 outside [start, end], 1 on the plateau, raised-cosine ramps of `rise` and `fall` seconds between."""
    if x <= start or x >= end:
        return 0.0
    if x < start + rise:
        return (1.0 - math.cos(math.pi * (x - start) / rise)) / 2.0
    if x > end - fall:
        return (1.0 - math.cos(math.pi * (end - x) / fall)) / 2.0
    return 1.0


class Wobble:
    """Smooth bounded noise (AR(1), clipped): readings drift like a real sensor instead of jumping."""

    def __init__(self, rng_seed: str, step: float, limit: float) -> None:
        self._rng = random.Random(rng_seed)
        self._step = step
        self._limit = limit
        self._value = 0.0

    def next(self) -> float:
        """The next noise value in [-limit, limit]."""
        raw = 0.8 * self._value + self._rng.gauss(0.0, self._step)
        self._value = max(-self._limit, min(self._limit, raw))
        return self._value
