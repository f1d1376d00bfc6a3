"""The scenario catalogue: riverside (the demo), quiet (nothing should fire) and burst (load)."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable, Iterator

from fairwatch.errors import NotFound
from fairwatch.sim.bundle import demo_site
from fairwatch.sim.riverside import HEARTBEAT_EVERY, Riverside
from fairwatch.sim.streams import (
    SimEvent,
    Stream,
    Wobble,
    device_event,
    heartbeats,
    merge,
    sampled,
    stagger,
    ticks,
    with_ids,
)
from fairwatch.site import DeviceKind, Site

QUIET_EVERY = 5.0
BURST_RATE = 5000.0  # events per second


def _riverside(site: Site, start: float, seed: int) -> Stream:
    return Riverside(site, start, seed).events()


def _quiet(site: Site, start: float, seed: int) -> Stream:
    """Heartbeats and low densities (0.1-0.6 persons/m²): an evening when nothing happens."""
    counters = [d for d in site.devices if d.kind is DeviceKind.CROWD_COUNTER]

    def stream(i: int) -> Stream:
        device = counters[i]
        noise = Wobble(f"quiet:{seed}:{device.id}", 0.05, 0.25)

        def make(t: float) -> SimEvent:
            value = round(0.35 + noise.next(), 2)
            return t, device_event(site.id, device, "crowd.density", t, value)

        return sampled(ticks(start + stagger(i, len(counters), QUIET_EVERY), QUIET_EVERY), make)

    return merge([heartbeats(site, start, HEARTBEAT_EVERY), *(stream(i) for i in range(len(counters)))])


def _burst(site: Site, start: float, seed: int) -> Stream:
    """Densities round-robin over the counters at BURST_RATE events/s, plus heartbeats: for load tests."""
    counters = [d for d in site.devices if d.kind is DeviceKind.CROWD_COUNTER]
    rng = random.Random(f"burst:{seed}")

    def make(k: int) -> SimEvent:
        t = start + k / BURST_RATE
        device = counters[k % len(counters)]
        return t, device_event(site.id, device, "crowd.density", t, round(rng.uniform(0.2, 2.5), 2))

    return merge([heartbeats(site, start, HEARTBEAT_EVERY), map(make, itertools.count())])


ScenarioFactory = Callable[[Site, float, int], Stream]
SCENARIOS: dict[str, ScenarioFactory] = {"riverside": _riverside, "quiet": _quiet, "burst": _burst}


def scenario(name: str, start: float, seed: int = 1) -> Iterator[SimEvent]:
    """(send_at, event dict) pairs of scenario `name` in send order, forever; same arguments, same events."""
    try:
        factory = SCENARIOS[name]
    except KeyError:
        known = ", ".join(SCENARIOS)
        raise NotFound(f"no scenario {name!r} (expected one of {known})") from None
    return with_ids(factory(demo_site(), start, seed), f"{name}-{seed}-{int(start)}")


def events_jsonl(name: str, start: float, duration: float, seed: int = 1) -> Iterator[str]:
    """The events sent in [start, start + duration) as JSON lines (no trailing newline)."""
    end = start + duration
    for _, ev in itertools.takewhile(lambda item: item[0] < end, scenario(name, start, seed)):
        yield json.dumps(ev, ensure_ascii=False, separators=(",", ":"))
