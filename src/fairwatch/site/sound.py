"""Which alarms the console sounds for at a site, and how long an operator's mute lasts (docs/sites.md#sound).

    sound:
      severities: [critical, high]   # default
      types: [fire.suspected]        # these sound whatever their severity
      mute_minutes: 5                # default

A staff panic alarm always sounds, whatever the file says: a pressed panic button that stays silent is the one
failure a control room must never have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fairwatch.model import Severity
from fairwatch.yamlfile import LineDict, LineList, Reader

PANIC_TYPES = ("violence.panic_alarm",)  # the built-in taxonomy's staff panic alarm
DEFAULT_SEVERITIES = (Severity.CRITICAL.value, Severity.HIGH.value)
DEFAULT_MUTE_MINUTES = 5
MAX_MUTE_MINUTES = 60
TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
_KEYS = ("severities", "types", "mute_minutes")


@dataclass(frozen=True, slots=True)
class SoundPolicy:
    """Severities and extra types that sound until acknowledged; `mute_minutes` is how long a mute lasts."""

    severities: tuple[str, ...] = DEFAULT_SEVERITIES
    types: tuple[str, ...] = ()
    mute_minutes: int = DEFAULT_MUTE_MINUTES

    @property
    def sounding_types(self) -> tuple[str, ...]:
        """The extra types, with the panic alarm always among them."""
        return tuple(dict.fromkeys((*PANIC_TYPES, *self.types)))

    def sounds(self, severity: str, alarm_type: str) -> bool:
        """True when an unacknowledged alarm of this severity and type sounds."""
        return severity in self.severities or alarm_type in self.sounding_types

    def as_json(self) -> dict[str, Any]:
        """What the console's sound script reads."""
        return {
            "severities": list(self.severities),
            "types": list(self.sounding_types),
            "mute_minutes": self.mute_minutes,
        }


def read_sound(r: Reader, top: LineDict) -> tuple[bool, SoundPolicy]:
    """(ok, policy) from the optional top-level `sound` mapping of a site file; problems are reported on `r`."""
    r.item = ""
    if "sound" not in top:
        return True, SoundPolicy()
    d = top["sound"]
    if not r.line_mapping(d, top.lines["sound"], "sound", _KEYS):
        return False, SoundPolicy()
    severities = _severities(r, d) if "severities" in d else DEFAULT_SEVERITIES
    types = _types(r, d) if "types" in d else ()
    minutes = _minutes(r, d) if "mute_minutes" in d else DEFAULT_MUTE_MINUTES
    if severities is None or types is None or minutes is None:
        return False, SoundPolicy()
    return True, SoundPolicy(severities, types, minutes)


def _severities(r: Reader, d: LineDict) -> tuple[str, ...] | None:
    value, line = d["severities"], d.lines["severities"]
    known = [s.value for s in Severity]
    if not isinstance(value, LineList):
        r.error(line, "sound.severities", f"expected a list of severities ({', '.join(known)})", got=value)
        return None
    bad = [(i, v) for i, v in enumerate(value) if v not in known]
    for i, v in bad:
        r.error(
            value.lines[i],
            f"sound.severities[{i}]",
            f"unknown severity (expected one of {', '.join(known)})",
            got=v,
        )
    return None if bad else tuple(dict.fromkeys(value))


def _types(r: Reader, d: LineDict) -> tuple[str, ...] | None:
    value, line = d["types"], d.lines["types"]
    if not isinstance(value, LineList):
        r.error(line, "sound.types", "expected a list of alarm type ids", got=value)
        return None
    bad = [(i, v) for i, v in enumerate(value) if not isinstance(v, str) or not TYPE_RE.match(v)]
    for i, v in bad:
        r.error(
            value.lines[i], f"sound.types[{i}]", "expected an alarm type id such as fire.suspected", got=v
        )
    return None if bad else tuple(dict.fromkeys(value))


def _minutes(r: Reader, d: LineDict) -> int | None:
    value = d["mute_minutes"]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MUTE_MINUTES:
        message = f"expected a whole number of minutes from 1 to {MAX_MUTE_MINUTES}"
        r.error(d.lines["mute_minutes"], "sound.mute_minutes", message, got=value)
        return None
    return value
