"""Operations timers from the site file's `operations:` section or an operations file (`--operations`): how often
on-duty units check in, how long a unit may hold a status, per unit kind if need be, and when a welfare case
escalates (docs/field.md#timers-that-raise-alarms). Read strictly, every problem as
`FILE:LINE: FIELD: message (got VALUE)`:

    operations:
      check_in: 15m              # every on-duty unit checks in this often (0: off)
      status:                    # how long a unit may hold a status before technical.unit_status_overdue
        dispatched: 4m           # ... without en_route
        en_route: 15m            # ... without on_scene
      kinds:                     # per unit kind, over the values above
        medic: {check_in: 10m, status: {dispatched: 2m}}
      welfare:
        escalation: 20m          # an open welfare case escalates after this (a vulnerable person's at once)

What the files leave out comes from the settings (`field_check_in_minutes`, `field_dispatched_minutes`,
`welfare_escalation_minutes`); an operations file's values win over the site file's section, key by key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

from fairwatch.field.model import UnitKind, UnitStatus
from fairwatch.field.timers import Timers
from fairwatch.yamlfile import LineDict, Reader, join, load_yaml, read_text

SECTION = "operations"
_KEYS = ("check_in", "status", "kinds", "welfare")
_KIND_KEYS = ("check_in", "status")
_WELFARE_KEYS = ("escalation",)
# Statuses a unit can be left in too long (available and off duty are not waiting for anything).
TIMED_STATUSES = (UnitStatus.DISPATCHED, UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE, UnitStatus.CLEAR)
MAX_TIMER = 24 * 3600.0
MAX_ESCALATION = 240 * 60.0  # as the setting welfare_escalation_minutes
_PART = re.compile(r"(\d+(?:\.\d+)?)([hms])")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0}
_FORMAT = "expected a duration such as 90s, 4m, 1h or 1h30m (0 turns it off)"


@dataclass(frozen=True, slots=True)
class Limits:
    """Check-in interval and status limits in seconds; None (or a missing status) says nothing."""

    check_in: float | None = None
    status: dict[UnitStatus, float] = field(default_factory=dict)

    def over(self, base: Limits) -> Limits:
        """These limits where they say something, `base` elsewhere."""
        check_in = self.check_in if self.check_in is not None else base.check_in
        return Limits(check_in, {**base.status, **self.status})


@dataclass(frozen=True, slots=True)
class Operations:
    """What an `operations:` section says (seconds); None and missing keys leave the settings' values."""

    units: Limits = field(default_factory=Limits)
    kinds: dict[UnitKind, Limits] = field(default_factory=dict)
    welfare_escalation: float | None = None

    def over(self, base: Operations) -> Operations:
        """These values where they say something, `base` elsewhere (an operations file over the site's)."""
        kinds = dict(base.kinds)
        for kind, limits in self.kinds.items():
            kinds[kind] = limits.over(kinds.get(kind, Limits()))
        escalation = (
            self.welfare_escalation if self.welfare_escalation is not None else base.welfare_escalation
        )
        return Operations(self.units.over(base.units), kinds, escalation)

    def timers(self, check_in_minutes: float, dispatched_minutes: float) -> Timers:
        """The units' timers: kind over section over the settings' minutes."""
        defaults = Limits(check_in_minutes * 60.0, {UnitStatus.DISPATCHED: dispatched_minutes * 60.0})
        units = self.units.over(defaults)
        check_in = units.check_in if units.check_in is not None else 0.0
        kinds = {}
        for kind, limits in self.kinds.items():
            own = limits.over(units)
            kinds[kind.value] = Timers(own.check_in if own.check_in is not None else 0.0, own.status)
        return Timers(check_in, units.status, kinds)

    def escalation_seconds(self, setting_minutes: float) -> float:
        """When an open welfare case escalates: the section's value, else the setting's."""
        return self.welfare_escalation if self.welfare_escalation is not None else setting_minutes * 60.0


def load_operations(path: str | PathLike[str]) -> Operations:
    """An operations file: a mapping with the one key `operations` (the site file's section on its own)."""
    name = str(path)
    doc = load_yaml(read_text(path, "operations"), name)
    r = Reader(name)
    found = None
    if r.line_mapping(doc, 1, "", (SECTION,), (SECTION,)) and SECTION in doc:
        found = read_section(r, doc[SECTION], doc.lines[SECTION])
    r.raise_if_any()
    return found or Operations()


def read_section(r: Reader, value: Any, line: int, path: str = SECTION) -> Operations | None:
    """The `operations:` mapping at `line`; problems are reported on `r` (None when there were any)."""
    before = r.count
    if value is None:  # `operations:` with nothing under it says nothing
        return Operations()
    if not r.line_mapping(value, line, path, _KEYS):
        return None
    units = _limits(r, value, path)
    kinds: dict[UnitKind, Limits] = {}
    if "kinds" in value:
        kinds_path = join(path, "kinds")
        d = value["kinds"]
        if r.line_mapping(d, value.lines["kinds"], kinds_path, [k.value for k in UnitKind]):
            for name in d:
                if name not in {k.value for k in UnitKind}:
                    continue  # reported by line_mapping
                kind_path = join(kinds_path, name)
                if r.line_mapping(d[name], d.lines[name], kind_path, _KIND_KEYS):
                    kinds[UnitKind(name)] = _limits(r, d[name], kind_path)
    escalation = None
    if "welfare" in value:
        welfare_path = join(path, "welfare")
        d = value["welfare"]
        if r.line_mapping(d, value.lines["welfare"], welfare_path, _WELFARE_KEYS) and "escalation" in d:
            escalation = duration(r, d, "escalation", welfare_path, MAX_ESCALATION)
    if r.count > before:
        return None
    return Operations(units, kinds, escalation)


def _limits(r: Reader, d: LineDict, path: str) -> Limits:
    check_in = duration(r, d, "check_in", path, MAX_TIMER) if "check_in" in d else None
    status: dict[UnitStatus, float] = {}
    if "status" in d:
        status_path = join(path, "status")
        names = [s.value for s in TIMED_STATUSES]
        s = d["status"]
        if r.line_mapping(s, d.lines["status"], status_path, names):
            for name in s:
                if name in names:
                    seconds = duration(r, s, name, status_path, MAX_TIMER)
                    if seconds is not None:
                        status[UnitStatus(name)] = seconds
    return Limits(check_in, status)


def duration(r: Reader, d: LineDict, key: str, path: str, limit: float) -> float | None:
    """`d[key]` as seconds: `90s`, `4m`, `1h`, `1h30m` or 0; negative, unitless and too long values are reported."""
    value, line, where = d[key], d.lines[key], join(path, key)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        r.error(line, where, _FORMAT, got=value)
        return None
    if isinstance(value, int | float):
        if value < 0:
            r.error(line, where, "must not be negative", got=value)
        elif value != 0:
            r.error(line, where, "needs a unit: " + _FORMAT, got=value)
        else:
            return 0.0
        return None
    text = value.strip()
    if text.startswith("-"):
        r.error(line, where, "must not be negative", got=value)
        return None
    parts = _PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text.replace(" ", ""):
        r.error(line, where, _FORMAT, got=value)
        return None
    units = [u for _, u in parts]
    if len(set(units)) != len(units) or units != sorted(units, key="hms".index):
        r.error(line, where, "give hours, minutes and seconds once each, in that order", got=value)
        return None
    seconds = sum(float(n) * _UNIT[u] for n, u in parts)
    if seconds > limit:
        r.error(line, where, f"must be at most {_text(limit)}", got=value)
        return None
    return seconds


def _text(seconds: float) -> str:
    return f"{seconds / 3600:g}h" if seconds >= 3600 else f"{seconds / 60:g}m"
