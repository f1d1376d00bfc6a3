"""The Riverside Festival scenario (docs/simulator.md): a show day with every kind of incident early on.

Crowd density follows a 60-minute show cycle (ingress, show peak, egress) at every counter every 5 s;
every device sends a heartbeat every 30 s. A fixed set of incidents in the first 3 minutes makes every
rule in examples/rules/riverside.yaml fire; afterwards a few seeded incidents happen every hour, forever.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from fairwatch.sim.streams import (
    SimEvent,
    Stream,
    Wobble,
    device_event,
    event,
    merge,
    plateau,
    sampled,
    ticks,
)
from fairwatch.site import Device, DeviceKind, Site

HEARTBEAT_EVERY = 30.0
DENSITY_EVERY = 5.0
READING_EVERY = 10.0  # temperature, wind and gate status
WARM_START = 480.0  # seconds of heartbeat history sent at start (the "warm start")
SHOW_CYCLE = 3600.0
SHOW_PHASE0 = 1500.0  # the scenario opens 25 minutes into a show cycle: the headliner is on
SURGE_PEAK = 4.6  # persons/m² at the front during a surge
FIRE_PEAK = 68.0  # °C at a sensor near a fire
HEAT_PEAK = 36.5  # °C in a heat wave
STRIKES_KM = (14.2, 9.1, 6.3)  # lightning distances as a storm approaches
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
_DEFAULT_PROFILE = (0.3, ())
AMBIENT = {"food-court": 24.0, "medical-tent": 21.0}  # °C; anywhere else 17 °C
MEDICAL_CATEGORIES = ("fainting", "crush_injury", "dehydration")


@dataclass(frozen=True, slots=True)
class Incident:
    """Something that happens at `at` seconds after start for `length` seconds.

    kind: surge (zone), fire (zone), heat (zone), medical (zone; 3 reports over `length`, 1 if length is 0),
    panic (button; reset after `length`), gate (gate; blocked for `length`), gust and lightning (weather
    station), outage (device falls silent).
    """

    kind: str
    target: str
    at: float
    length: float = 0.0

    def covers(self, t: float) -> bool:
        return self.at <= t < self.at + self.length


# Times the rules in examples/rules/riverside.yaml need to fire within 3 minutes (see docs/simulator.md).
SHOWCASE = (
    Incident("outage", "camping-temp-2", -270.0, 1170.0),  # heartbeats stop 4.5 min before start
    Incident("heat", "camping", -600.0, 1500.0),  # >= 35 °C from before start until ~10 min
    Incident("surge", "main-stage", 0.0, 200.0),  # > 4.0 from ~15 s to ~165 s
    Incident("panic", "main-stage-panic", 45.0, 150.0),
    Incident("gust", "weather-mast", 50.0, 130.0),  # > 20 m/s from ~55 s to ~170 s
    Incident("fire", "food-court", 60.0, 200.0),  # smoke at 60 s, > 55 °C from ~85 s
    Incident("lightning", "weather-mast", 70.0, 60.0),  # strikes at 14.2, 9.1 and 6.3 km
    Incident("medical", "main-stage", 75.0, 64.0),  # reports at 75, 107 and 139 s
    Incident("gate", "river-walk-exit", 90.0, 120.0),
)

# What may happen later: (kind, target, length).
LATER = (
    ("surge", "main-stage", 150.0),
    ("surge", "second-stage", 120.0),
    ("medical", "food-court", 0.0),
    ("medical", "main-stage", 300.0),
    ("panic", "second-stage-panic", 120.0),
    ("panic", "food-court-panic", 240.0),
    ("gate", "north-gate-turnstiles", 90.0),
    ("gate", "river-walk-exit", 60.0),
    ("gust", "weather-mast", 90.0),
    ("lightning", "weather-mast", 300.0),
    ("fire", "camping", 240.0),
    ("outage", "river-walk-counter", 420.0),
)
_SLOT = 1200.0  # later incidents: one per 20-minute slot, 2-15 minutes into it
_FIRST_LATER = 120.0


@lru_cache(maxsize=64)
def incidents(seed: int, cycle: int) -> tuple[Incident, ...]:
    """Incidents starting in hour `cycle` after start (cycle 0 adds the showcase), ordered by start."""
    if cycle < 0:
        return ()
    rng = random.Random(f"riverside:{seed}:{cycle}")
    slots = range(1, 3) if cycle == 0 else range(3)  # cycle 0's first slot is the showcase's
    picks = rng.sample(LATER, len(slots))
    later = [
        Incident(kind, target, cycle * SHOW_CYCLE + slot * _SLOT + rng.uniform(_FIRST_LATER, 900.0), length)
        for slot, (kind, target, length) in zip(slots, picks, strict=True)
    ]
    return tuple(sorted([*(SHOWCASE if cycle == 0 else ()), *later], key=lambda i: i.at))


def density_base(zone: str, t: float) -> float:
    """Crowd density (persons/m²) at `t` seconds after start without incidents or noise."""
    base, bumps = PROFILES.get(zone, _DEFAULT_PROFILE)
    minute = ((SHOW_PHASE0 + t) % SHOW_CYCLE) / 60.0
    return base + sum(amp * plateau(minute, s, e, ramp, ramp) for amp, s, e, ramp in bumps)


class Riverside:
    """One run of the scenario: site, start time and seed; its streams are merged by `events`."""

    def __init__(self, site: Site, start: float, seed: int) -> None:
        self.site = site
        self.start = start
        self.seed = seed
        self._n = len(site.devices)

    def events(self) -> Stream:
        """Every stream of the scenario merged in send order (ids not yet assigned)."""
        devices = self.site.devices
        streams: list[Stream] = [self.warm_start(), self.incident_events()]
        streams += [self.heartbeats(i, d) for i, d in enumerate(devices)]
        streams += [self.densities(i, d) for i, d in enumerate(devices) if d.kind is DeviceKind.CROWD_COUNTER]
        streams += [
            self.temperatures(i, d) for i, d in enumerate(devices) if d.kind is DeviceKind.TEMPERATURE_SENSOR
        ]
        streams += [self.winds(i, d) for i, d in enumerate(devices) if d.kind is DeviceKind.WEATHER_STATION]
        return merge(streams)

    # -- what is happening at time t (seconds after start) --

    def active(self, kind: str, target: str, t: float) -> list[Incident]:
        """Incidents of `kind` on `target` in progress at `t`."""
        cycle = math.floor(t / SHOW_CYCLE)
        cycles = sorted({0, cycle - 1, cycle})
        return [
            i
            for c in cycles
            for i in incidents(self.seed, c)
            if i.kind == kind and i.target == target and i.covers(t)
        ]

    def silent(self, device: str, t: float) -> bool:
        """True while `device` is in an outage."""
        return bool(self.active("outage", device, t))

    def density(self, zone: str, t: float) -> float:
        """Density including surges (persons/m²), before noise."""
        level = max(
            (
                SURGE_PEAK * plateau(t, i.at, i.at + i.length, 20.0, 40.0)
                for i in self.active("surge", zone, t)
            ),
            default=0.0,
        )
        return max(density_base(zone, t), level)

    def temperature(self, zone: str, t: float) -> float:
        """Air temperature (°C) at a sensor in `zone`, heat waves and fires included, before noise."""
        ambient = AMBIENT.get(zone, 17.0)
        wave = max((_level(i, t, 300.0, 300.0) for i in self.active("heat", zone, t)), default=0.0)
        air = ambient + (HEAT_PEAK - ambient) * wave
        fire = max((_level(i, t, 40.0, 90.0) for i in self.active("fire", zone, t)), default=0.0)
        return air + (FIRE_PEAK - air) * fire

    def gate_state(self, gate: str, t: float) -> str:
        """'blocked' during a gate incident, else 'open'."""
        return "blocked" if self.active("gate", gate, t) else "open"

    def wind(self, station: str, t: float) -> float:
        """Mean wind speed (m/s), gusts included, before noise."""
        breeze = 6.0 + 1.5 * math.sin(2 * math.pi * t / 1800.0)
        gust = max(
            (
                GUST_PEAK * plateau(t, i.at, i.at + i.length, 10.0, 20.0)
                for i in self.active("gust", station, t)
            ),
            default=0.0,
        )
        return max(breeze, gust)

    # -- streams --

    def _phase(self, index: int, every: float) -> float:
        """Stagger devices evenly so they do not all report at the same instant."""
        return round(index * every / self._n, 3)

    def warm_start(self) -> Stream:
        """The last 8 minutes of heartbeats, all sent at start, so absence rules know every device at once."""
        history: list[SimEvent] = []
        for i, device in enumerate(self.site.devices):
            first = self._phase(i, HEARTBEAT_EVERY) - WARM_START
            for k in range(int(WARM_START / HEARTBEAT_EVERY)):
                rel = first + k * HEARTBEAT_EVERY
                if not self.silent(device.id, rel):
                    history.append((rel, device_event(self.site.id, device, "heartbeat", self.start + rel)))
        history.sort(key=lambda item: item[0])
        return iter([(self.start, ev) for _, ev in history])

    def _ticks(self, index: int, every: float) -> Iterator[float]:
        return ticks(self._phase(index, every), every)

    def heartbeats(self, index: int, device: Device) -> Stream:
        """A heartbeat every 30 s unless the device is silent."""

        def make(rel: float) -> SimEvent | None:
            if self.silent(device.id, rel):
                return None
            return self.start + rel, device_event(self.site.id, device, "heartbeat", self.start + rel)

        return sampled(self._ticks(index, HEARTBEAT_EVERY), make)

    def densities(self, index: int, device: Device) -> Stream:
        """crowd.density every 5 s at a crowd counter."""
        zone = device.zone or ""
        noise = Wobble(f"density:{self.seed}:{device.id}", 0.03, 0.08)

        def make(rel: float) -> SimEvent | None:
            value = round(max(0.02, self.density(zone, rel) + noise.next()), 2)
            if self.silent(device.id, rel):
                return None
            return self.start + rel, device_event(
                self.site.id, device, "crowd.density", self.start + rel, value
            )

        return sampled(self._ticks(index, DENSITY_EVERY), make)

    def temperatures(self, index: int, device: Device) -> Stream:
        """temperature every 10 s at a temperature sensor."""
        zone = device.zone or ""
        noise = Wobble(f"temperature:{self.seed}:{device.id}", 0.1, 0.3)

        def make(rel: float) -> SimEvent | None:
            value = round(self.temperature(zone, rel) + noise.next(), 1)
            if self.silent(device.id, rel):
                return None
            return self.start + rel, device_event(
                self.site.id, device, "temperature", self.start + rel, value
            )

        return sampled(self._ticks(index, READING_EVERY), make)

    def winds(self, index: int, device: Device) -> Stream:
        """weather.wind every 10 s at a weather station."""
        noise = Wobble(f"wind:{self.seed}:{device.id}", 0.4, 1.0)

        def make(rel: float) -> SimEvent | None:
            value = round(max(0.0, self.wind(device.id, rel) + noise.next()), 1)
            if self.silent(device.id, rel):
                return None
            return self.start + rel, device_event(
                self.site.id, device, "weather.wind", self.start + rel, value
            )

        return sampled(self._ticks(index, READING_EVERY), make)

    def incident_events(self) -> Stream:
        """The events incidents cause (reports, presses, detections), hour by hour, in time order."""
        carried: list[SimEvent] = []
        for cycle in itertools.count():
            now = [*carried, *(ev for inc in incidents(self.seed, cycle) for ev in self.caused(inc))]
            now.sort(key=lambda item: item[0])
            # The next hour's incidents start no earlier than this; later events wait to be merged with them.
            horizon = self.start + (cycle + 1) * SHOW_CYCLE + _FIRST_LATER
            carried = [item for item in now if item[0] >= horizon]
            yield from (item for item in now if item[0] < horizon)

    def caused(self, inc: Incident) -> list[SimEvent]:
        """Point events of one incident (surges, gusts and outages only change streams)."""
        maker = {"fire": self._fire, "medical": self._medical, "panic": self._panic, "gate": self._gate}.get(
            inc.kind
        )
        return maker(inc) if maker is not None else []

    def _fire(self, inc: Incident) -> list[SimEvent]:
        sid = self.site.id
        detectors = [
            d for d in self.site.devices if d.kind is DeviceKind.SMOKE_DETECTOR and d.zone == inc.target
        ]
        out: list[SimEvent] = []
        for n, det in enumerate(detectors):
            seen = inc.at + 15.0 * n  # smoke reaches the next detector a little later
            out.append((self.start + seen, device_event(sid, det, "smoke.detected", self.start + seen, 4.5)))
            end = self.start + inc.at + inc.length
            out.append((end, device_event(sid, det, "smoke.cleared", end)))
        return out

    def _medical(self, inc: Incident) -> list[SimEvent]:
        zone = self.site.zone(inc.target)
        spot = zone.shape.representative_point()
        loc = {"x": round(spot.x, 1), "y": round(spot.y, 1)}
        count = 1 if inc.length == 0 else 3
        out: list[SimEvent] = []
        for n in range(count):
            rel = inc.at + n * inc.length / 2
            source = f"steward-{(int(inc.at) + 7 * n) % 40 + 1}"
            data = {"category": MEDICAL_CATEGORIES[(int(inc.at) + n) % 3]}
            ev = event(
                self.site.id,
                source,
                "report.medical",
                self.start + rel,
                zone=zone.id,
                location=loc,
                data=data,
            )
            out.append((self.start + rel, ev))
        return out

    def _panic(self, inc: Incident) -> list[SimEvent]:
        t = self.start + inc.at
        return [(t, device_event(self.site.id, self.site.device(inc.target), "panic.pressed", t))]

    def _gate(self, inc: Incident) -> list[SimEvent]:
        gate = self.site.device(inc.target)
        blocked, cleared = self.start + inc.at, self.start + inc.at + inc.length
        return [
            (blocked, device_event(self.site.id, gate, "gate.blocked", blocked, 1.0, {"lane": 3})),
            (cleared, device_event(self.site.id, gate, "gate.cleared", cleared, 0.0, {"lane": 3})),
        ]
