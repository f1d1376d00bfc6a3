"""What goes wrong at the Riverside Festival, and when: the fixed opening incidents and seeded later ones.

An incident either shapes a measurement stream while it lasts (surge, heat, fire, gust, gate, outage) or
causes point events of its own (smoke, medical reports, panic presses, lightning strikes), or both.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from fairwatch.sim.streams import SimEvent, device_event, event, plateau
from fairwatch.site import DeviceKind, Site

HOUR = 3600.0
SLOT = 1200.0  # later incidents: one per 20-minute slot, 2-15 minutes into it
FIRST_LATER = 120.0
STRIKES_KM = (14.2, 9.1, 6.3)  # lightning distances as a storm approaches
MEDICAL_CATEGORIES = ("fainting", "crush_injury", "dehydration")
SMOKE_OBSCURATION = 4.5  # %/m, a typical optical detector's alarm reading


@dataclass(frozen=True, slots=True)
class Incident:
    """Something that happens at `at` seconds after start and lasts `length` seconds.

    kind (target): surge, heat, fire, medical, fill (a zone); panic, gate, gust, lightning, outage,
    egress, counterflow (a device).
    medical sends 3 reports over `length` (1 if it is 0); panic is reset after `length`.
    """

    kind: str
    target: str
    at: float
    length: float = 0.0

    def covers(self, t: float) -> bool:
        """True while the incident lasts."""
        return self.at <= t < self.at + self.length

    def level(self, t: float, rise: float, fall: float) -> float:
        """0..1: how strong the incident is at `t`, with smooth onset and decay."""
        return plateau(t, self.at, self.at + self.length, rise, fall)


# Timed so that every rule in examples/rules/riverside.yaml fires early (docs/simulator.md has the table).
SHOWCASE = (
    Incident("outage", "camping-temp-2", -270.0, 1170.0),  # heartbeats stopped 4.5 min before start
    Incident("heat", "camping", -600.0, 1500.0),  # >= 35 °C from before start until ~15 min
    Incident("surge", "main-stage", 0.0, 200.0),  # > 4.0 from ~15 s to ~165 s
    Incident("panic", "main-stage-panic", 45.0, 150.0),
    Incident("gust", "weather-mast", 50.0, 130.0),  # > 20 m/s from ~55 s to ~170 s
    Incident("fire", "food-court", 60.0, 200.0),  # smoke at 60 s, > 55 °C from ~85 s
    Incident("lightning", "weather-mast", 70.0, 60.0),  # strikes at 70, 100 and 130 s
    Incident("medical", "main-stage", 75.0, 64.0),  # reports at 75, 107 and 139 s
    Incident("gate", "river-walk-exit", 90.0, 120.0),
    # crowd flow (docs/crowd.md): the headliner's crowd leaves by the river exit; people walk back in
    # against the stream on the stage walk; the Second Stage fills before its next act
    Incident("egress", "river-exit-counter", 0.0, 240.0),  # > 82 p/m/min from ~50 s
    Incident("counterflow", "stage-walk-counter", 20.0, 200.0),
    Incident("fill", "second-stage", 0.0, 720.0),  # would be full in 10 min; levels off at 95 %
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


@lru_cache(maxsize=64)
def incidents(seed: int, hour: int) -> tuple[Incident, ...]:
    """Incidents starting in `hour` after start (hour 0 opens with the showcase), ordered by start."""
    if hour < 0:
        return ()
    rng = random.Random(f"riverside:{seed}:{hour}")
    slots = range(1, 3) if hour == 0 else range(3)  # hour 0's first slot belongs to the showcase
    picks = rng.sample(LATER, len(slots))
    later = [
        Incident(kind, target, hour * HOUR + slot * SLOT + rng.uniform(FIRST_LATER, 900.0), length)
        for slot, (kind, target, length) in zip(slots, picks, strict=True)
    ]
    return tuple(sorted([*(SHOWCASE if hour == 0 else ()), *later], key=lambda i: i.at))


def active(seed: int, kind: str, target: str, t: float) -> list[Incident]:
    """Incidents of `kind` on `target` in progress at `t` seconds after start."""
    hour = int(t // HOUR)
    hours = sorted({0, hour - 1, hour})  # hour 0 also holds the showcase's incidents from before start
    return [
        i for h in hours for i in incidents(seed, h) if i.kind == kind and i.target == target and i.covers(t)
    ]


def caused(site: Site, start: float, inc: Incident) -> list[SimEvent]:
    """The point events of one incident, unsorted."""
    maker = _MAKERS.get(inc.kind)
    return [] if maker is None else maker(site, start, inc)


def _fire(site: Site, start: float, inc: Incident) -> list[SimEvent]:
    detectors = [d for d in site.devices if d.kind is DeviceKind.SMOKE_DETECTOR and d.zone == inc.target]
    end = start + inc.at + inc.length
    out: list[SimEvent] = []
    for n, detector in enumerate(detectors):
        seen = start + inc.at + 15.0 * n  # smoke reaches the next detector a little later
        out.append((seen, device_event(site.id, detector, "smoke.detected", seen, SMOKE_OBSCURATION)))
        out.append((end, device_event(site.id, detector, "smoke.cleared", end)))
    return out


def _medical(site: Site, start: float, inc: Incident) -> list[SimEvent]:
    zone = site.zone(inc.target)
    spot = zone.shape.representative_point()
    where = {"x": round(spot.x, 1), "y": round(spot.y, 1)}
    out: list[SimEvent] = []
    for n in range(1 if inc.length == 0 else 3):
        t = start + inc.at + n * inc.length / 2
        steward = f"steward-{(int(inc.at) + 7 * n) % 40 + 1}"
        data = {"category": MEDICAL_CATEGORIES[(int(inc.at) + n) % 3]}
        out.append((t, event(site.id, steward, "report.medical", t, zone=zone.id, location=where, data=data)))
    return out


def _panic(site: Site, start: float, inc: Incident) -> list[SimEvent]:
    button = site.device(inc.target)
    pressed, reset = start + inc.at, start + inc.at + inc.length
    return [
        (pressed, device_event(site.id, button, "panic.pressed", pressed)),
        (reset, device_event(site.id, button, "panic.reset", reset)),
    ]


def _lightning(site: Site, start: float, inc: Incident) -> list[SimEvent]:
    station = site.device(inc.target)
    step = inc.length / (len(STRIKES_KM) - 1)
    out: list[SimEvent] = []
    for n, km in enumerate(STRIKES_KM):
        t = start + inc.at + n * step
        out.append((t, device_event(site.id, station, "weather.lightning", t, km)))
    return out


_MAKERS = {"fire": _fire, "medical": _medical, "panic": _panic, "lightning": _lightning}
