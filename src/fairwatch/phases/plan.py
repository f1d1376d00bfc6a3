"""The run of show as the service uses it: phases in file order, each with its compiled rules, and the pure
schedule decisions (which phase to start with, which switch is due, which comes next)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fairwatch.rules import RuleSet


@dataclass(frozen=True, slots=True)
class Phase:
    """One phase: its rules (compiled) and, for a scheduled phase, when it starts (Unix seconds)."""

    id: str
    rules_file: str  # as written in the phases file
    path: Path  # resolved against the phases file's directory
    ruleset: RuleSet
    sha256: str  # of the rules file, for the audit log
    starts: float | None = None  # None: switched to by hand only
    starts_text: str | None = None  # as written, offset included


@dataclass(frozen=True, slots=True)
class RunOfShow:
    """Every phase of one event, in file order; scheduled ones start in increasing time order."""

    phases: tuple[Phase, ...]
    source: str = ""  # the phases file

    def get(self, phase_id: str) -> Phase | None:
        """The phase with this id, or None."""
        return next((p for p in self.phases if p.id == phase_id), None)

    @property
    def ids(self) -> tuple[str, ...]:
        """Phase ids in file order."""
        return tuple(p.id for p in self.phases)

    @property
    def scheduled(self) -> tuple[Phase, ...]:
        """The phases with a start time, earliest first."""
        return tuple(p for p in self.phases if p.starts is not None)


def initial_phase(plan: RunOfShow, now: float) -> tuple[Phase, bool]:
    """The phase a fresh deployment starts in and whether the schedule chose it: the last scheduled phase
    that has started by `now`, else the first phase of the file."""
    started = [p for p in plan.scheduled if _starts(p) <= now]
    return (started[-1], True) if started else (plan.phases[0], False)


def due_phase(plan: RunOfShow, since: float, now: float) -> Phase | None:
    """The scheduled phase whose start passed since the last switch at `since`: the latest with
    `since < starts <= now`, or None. A switch by hand after a start overrides that start."""
    crossed = [p for p in plan.scheduled if since < _starts(p) <= now]
    return crossed[-1] if crossed else None


def next_phase(plan: RunOfShow, current: str, now: float) -> Phase | None:
    """The next scheduled switch after `now` that would change the phase (starts of `current` are no-ops)."""
    return next((p for p in plan.scheduled if _starts(p) > now and p.id != current), None)


def _starts(phase: Phase) -> float:
    assert phase.starts is not None
    return phase.starts
