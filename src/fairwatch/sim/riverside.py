"""The Riverside Festival scenario (docs/simulator.md): streams shaped by a show cycle and by incidents.

Crowd density follows a 60-minute show cycle (ingress, show peak, egress) at every counter every 5 s;
temperature, wind and gate status come every 10 s and heartbeats from every device every 30 s. At start
the last 8 minutes of heartbeats are sent at once (the warm start) so absence rules know every device.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

from fairwatch.sim.incidents import FIRST_LATER, HOUR, active, caused, incidents
from fairwatch.sim.streams import (
    SimEvent,
    Stream,
    Wobble,
    device_event,
    heartbeats,
    merge,
    plateau,
    sampled,
    stagger,
    ticks,
)
from fairwatch.site import Device, DeviceKind, Site

HEARTBEAT_EVERY = 30.0
WARM_START = 480.0  # seconds of heartbeat history sent at start
SHOW_PHASE0 = 1500.0  # the scenario opens 25 minutes into a show cycle: the headliner is on
SURGE_PEAK = 4.6  # persons/m² at the front during a surge
HEAT_PEAK = 36.5  # °C in a heat wave
FIRE_PEAK = 68.0  # °C at a sensor near a fire
GUST_PEAK = 23.0  # m/s

# Per zone: base density (persons/m²) and bumps (amplitude, start, end, ramp) in minutes of the show cycle.
PROFILES: dict[str, tuple[float, tuple[tuple[float, float, float, float], ...]]] = {
    "main-stage": (0.4, ((2.6, 10, 47, 8),)),
    "second-stage": (0.3, ((1.6, 5, 40, 6),)),
    "food-court": (0.6, ((1.2, 0, 16, 5), (0.9, 40, 56, 5))),
    "north-gate": (0.2, ((2.2, 0, 15, 4),)),
    "camping": (0.15, ((0.3, 44, 60, 6),)),
    "medical-tent": (0.3, ((0.3, 20, 50, 10),)),
    "river-walk": (0.2, ((2.4, 44, 60, 4),)),
    "car-park": (0.1, ((0.9, 46, 60, 5), (0.5, 0, 12, 3))),
}
AMBIENT = {"food-court": 24.0, "medical-tent": 21.0}  # °C near grills and indoors; elsewhere 17 °C


def density_base(zone: str, t: float) -> float:
    """Crowd density (persons/m²) at `t` seconds after start, without incidents or noise."""
    base, bumps = PROFILES.get(zone, (0.3, ()))
    minute = ((SHOW_PHASE0 + t) % HOUR) / 60.0
    return base + sum(amp * plateau(minute, s, e, ramp, ramp) for amp, s, e, ramp in bumps)


@dataclass(frozen=True, slots=True)
class Series:
    """How one kind of device reports a number: event type, period, noise (step, limit) and rounding."""

    type: str
    every: float
    noise: tuple[float, float]
    digits: int
    floor: float


SERIES = {
    DeviceKind.CROWD_COUNTER: Series("crowd.density", 5.0, (0.03, 0.08), 2, 0.02),
    DeviceKind.TEMPERATURE_SENSOR: Series("temperature", 10.0, (0.1, 0.3), 1, -40.0),
    DeviceKind.WEATHER_STATION: Series("weather.wind", 10.0, (0.4, 1.0), 1, 0.0),
}
GATE_EVERY = 10.0
LINE_EVERY = 10.0  # line counters report their cumulative totals
COUNT_EVERY = 30.0  # the Second Stage counter also reports people in the zone (crowd.count)
FILL_ZONE = "second-stage"
EGRESS_PEAK = 600.0  # persons/min more through the river exit while the headliner's crowd leaves
COUNTERFLOW_PEAK = 110.0  # persons/min walking back in against the stream


class Riverside:
    """One run of the scenario (site, start, seed); `events()` merges all of its streams in send order."""

    def __init__(self, site: Site, start: float, seed: int) -> None:
        self.site = site
        self.start = start
        self.seed = seed
        self._n = len(site.devices)
        self._truth: dict[DeviceKind, Callable[[Device, float], float]] = {
            DeviceKind.CROWD_COUNTER: lambda d, t: self.density(d.zone or "", t),
            DeviceKind.TEMPERATURE_SENSOR: lambda d, t: self.temperature(d.zone or "", t),
            DeviceKind.WEATHER_STATION: lambda d, t: self.wind(d.id, t),
        }

    def events(self) -> Stream:
        """Every stream of the scenario merged in send order (ids not yet assigned)."""
        streams = [
            self.warm_start(),
            self.incident_events(),
            heartbeats(self.site, self.start, HEARTBEAT_EVERY, self.silent),
        ]
        for i, device in enumerate(self.site.devices):
            if device.kind in SERIES:
                streams.append(self.series(i, device, SERIES[device.kind]))
            elif device.kind is DeviceKind.GATE:
                streams.append(self.gate_status(i, device))
            elif device.kind is DeviceKind.LINE_COUNTER:
                streams.append(self.line_counts(i, device))
            if device.kind is DeviceKind.CROWD_COUNTER and device.zone == FILL_ZONE:
                streams.append(self.zone_counts(i, device))
        return merge(streams)

    # -- the true state of the site at `t` seconds after start --

    def silent(self, device: str, t: float) -> bool:
        """True while `device` is in an outage."""
        return bool(active(self.seed, "outage", device, t))

    def density(self, zone: str, t: float) -> float:
        """Persons/m², surges included."""
        surge = max((i.level(t, 20.0, 40.0) for i in active(self.seed, "surge", zone, t)), default=0.0)
        return max(density_base(zone, t), SURGE_PEAK * surge)

    def temperature(self, zone: str, t: float) -> float:
        """Air temperature (°C), heat waves and fires included."""
        ambient = AMBIENT.get(zone, 17.0)
        wave = max((i.level(t, 300.0, 300.0) for i in active(self.seed, "heat", zone, t)), default=0.0)
        air = ambient + (HEAT_PEAK - ambient) * wave
        fire = max((i.level(t, 40.0, 90.0) for i in active(self.seed, "fire", zone, t)), default=0.0)
        return air + (FIRE_PEAK - air) * fire

    def flow(self, counter: str, t: float) -> tuple[float, float]:
        """(forward, backward) persons per minute through a line counter's link."""
        if counter == "river-exit-counter":
            egress = max(
                (i.level(t, 20.0, 40.0) for i in active(self.seed, "egress", counter, t)), default=0.0
            )
            return 150.0 * density_base("river-walk", t) + EGRESS_PEAK * egress, 10.0
        against = max(
            (i.level(t, 10.0, 20.0) for i in active(self.seed, "counterflow", counter, t)), default=0.0
        )
        return 160.0 + 40.0 * density_base("river-walk", t), 8.0 + COUNTERFLOW_PEAK * against

    def occupancy(self, zone: str, t: float) -> float:
        """People in `zone`: its density times its area, or a steady fill while a fill incident lasts."""
        capacity = self.site.zone(zone).capacity
        for inc in active(self.seed, "fill", zone, t):
            start = 0.8 * capacity
            per_s = (capacity - start) / 600.0  # full in 10 minutes from the incident's start
            return min(0.95 * capacity, start + per_s * (t - inc.at))
        return density_base(zone, t) * self.site.zone(zone).area_m2

    def wind(self, station: str, t: float) -> float:
        """Mean wind speed (m/s), gusts included."""
        breeze = 6.0 + 1.5 * math.sin(2 * math.pi * t / 1800.0)
        gust = max((i.level(t, 10.0, 20.0) for i in active(self.seed, "gust", station, t)), default=0.0)
        return max(breeze, GUST_PEAK * gust)

    # -- streams --

    def warm_start(self) -> Stream:
        """The last 8 minutes of heartbeats, all sent at start, with their real (past) event times."""
        history: list[tuple[float, Device]] = []
        for i, device in enumerate(self.site.devices):
            first = stagger(i, self._n, HEARTBEAT_EVERY) - WARM_START
            for k in range(int(WARM_START / HEARTBEAT_EVERY)):
                rel = first + k * HEARTBEAT_EVERY
                if not self.silent(device.id, rel):
                    history.append((rel, device))
        # Newest first: a rule engine ticking between these events then never sees a device's old heartbeat
        # as its latest one, so only the device that really went quiet is absent.
        history.sort(key=lambda item: -item[0])
        sid, start = self.site.id, self.start
        return iter([(start, device_event(sid, d, "heartbeat", start + rel)) for rel, d in history])

    def series(self, index: int, device: Device, series: Series) -> Stream:
        """A device's numeric readings: the true value plus smooth sensor noise."""
        truth = self._truth[device.kind]
        noise = Wobble(f"{series.type}:{self.seed}:{device.id}", *series.noise)

        def make(rel: float) -> SimEvent | None:
            value = round(max(series.floor, truth(device, rel) + noise.next()), series.digits)
            if self.silent(device.id, rel):
                return None  # noise was still drawn, so an outage does not shift later readings
            t = self.start + rel
            return t, device_event(self.site.id, device, series.type, t, value)

        return sampled(ticks(stagger(index, self._n, series.every), series.every), make)

    def gate_status(self, index: int, device: Device) -> Stream:
        """gate.status every 10 s: data.state is 'blocked' during a gate incident, else 'open'."""

        def make(rel: float) -> SimEvent | None:
            if self.silent(device.id, rel):
                return None
            state = "blocked" if active(self.seed, "gate", device.id, rel) else "open"
            t = self.start + rel
            return t, device_event(self.site.id, device, "gate.status", t, data={"state": state})

        return sampled(ticks(stagger(index, self._n, GATE_EVERY), GATE_EVERY), make)

    def line_counts(self, index: int, device: Device) -> Stream:
        """counter.line every 10 s: the totals each way since start (as if the counter started then)."""
        totals = [0.0, 0.0]
        last = [0.0]

        def make(rel: float) -> SimEvent | None:
            forward, backward = self.flow(device.id, rel)
            step = (rel - last[0]) / 60.0
            totals[0] += forward * step
            totals[1] += backward * step
            last[0] = rel
            if self.silent(device.id, rel):
                return None
            t = self.start + rel
            data = {"forward": int(totals[0]), "backward": int(totals[1])}
            return t, device_event(self.site.id, device, "counter.line", t, data=data)

        first = stagger(index, self._n, LINE_EVERY)
        last[0] = first
        return sampled(ticks(first, LINE_EVERY), make)

    def zone_counts(self, index: int, device: Device) -> Stream:
        """crowd.count every 30 s: people in the counter's zone."""
        zone = device.zone or ""

        def make(rel: float) -> SimEvent | None:
            if self.silent(device.id, rel):
                return None
            t = self.start + rel
            return t, device_event(
                self.site.id, device, "crowd.count", t, float(round(self.occupancy(zone, rel)))
            )

        return sampled(ticks(stagger(index, self._n, COUNT_EVERY), COUNT_EVERY), make)

    def incident_events(self) -> Stream:
        """The point events incidents cause, hour by hour, in time order."""
        carried: list[SimEvent] = []
        for hour in itertools.count():
            due = [
                *carried,
                *(e for i in incidents(self.seed, hour) for e in caused(self.site, self.start, i)),
            ]
            due.sort(key=lambda item: item[0])
            # The next hour's incidents start no earlier than this; later events wait to merge with them.
            horizon = self.start + (hour + 1) * HOUR + FIRST_LATER
            carried = [item for item in due if item[0] >= horizon]
            yield from (item for item in due if item[0] < horizon)
