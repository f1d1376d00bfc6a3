"""The closed set of units a schema may declare (RIGHTS.md RS-10).

A unit says what a number measures. Keeping the set closed means a site cannot relabel a count of people as
something else (`pax`, `heads`, `attendees`) to slip it past the crowd-safety floors on people counts
(`rules.people`): every count of people is in `persons` (or `objects` for camera object counts), every density
in `persons/m2`, and the rules judge them as such.
"""

from __future__ import annotations

PEOPLE_UNITS = frozenset({"persons", "objects"})
DENSITY_UNITS = frozenset({"persons/m2"})
OTHER_UNITS = frozenset(
    {
        # crowd movement
        "persons/min", "persons/m/min", "m/s",
        # time, length, area, shares
        "s", "min", "h", "m", "km", "m2", "ratio", "%",
        # fire, heat, air, noise
        "degC", "%/m", "ppm", "ppb", "ug/m3", "dB", "dBA", "lux", "hPa",
        # weather
        "mm/h", "km/h",
        # devices and power
        "V", "A", "W", "kW", "kWh", "Hz", "dBm", "state", "units",
        # water, loads
        "l", "l/min", "bar", "kg", "t",
    }
)  # fmt: skip
UNITS = PEOPLE_UNITS | DENSITY_UNITS | OTHER_UNITS


def unit_problem(unit: str) -> str | None:
    """None for a known unit, else why it is refused."""
    if unit in UNITS:
        return None
    return f"unknown unit {unit!r}: expected one of {', '.join(sorted(UNITS))}"
