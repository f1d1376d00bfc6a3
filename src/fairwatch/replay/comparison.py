"""Compare the alarms two rule sets raise over the same events, by dedup key (one alarm per key, as live)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from fairwatch.model import Alarm
from fairwatch.replay.core import ReplayResult


@dataclass(frozen=True, slots=True)
class Side:
    """One rule set's alarm for a key: how often it went active and when first."""

    raised: int
    first_raised_at: float


@dataclass(frozen=True, slots=True)
class DiffEntry:
    """A dedup key and what each rule set did with it (None: that set never raised it)."""

    key: str
    rule: str
    type: str
    group: dict[str, str]
    new: Side | None
    old: Side | None


@dataclass(frozen=True, slots=True)
class Diff:
    """Keys only the new rules raise, only the old rules raise, and both raise; each by first raise time."""

    only_new: tuple[DiffEntry, ...]
    only_old: tuple[DiffEntry, ...]
    both: tuple[DiffEntry, ...]


def diff(new: ReplayResult, old: ReplayResult) -> Diff:
    """The alarms of `new` against those of `old`."""
    counts = Counter(a.key for a in new.alarms), Counter(a.key for a in old.alarms)
    entries = [
        _entry(key, _side(new.open.get(key), counts[0]), _side(old.open.get(key), counts[1]), new, old)
        for key in new.open.keys() | old.open.keys()
    ]
    entries.sort(key=_order)
    return Diff(
        tuple(e for e in entries if e.old is None),
        tuple(e for e in entries if e.new is None),
        tuple(e for e in entries if e.new is not None and e.old is not None),
    )


def _entry(key: str, new: Side | None, old: Side | None, a: ReplayResult, b: ReplayResult) -> DiffEntry:
    some = a.open.get(key) or b.open[key]
    return DiffEntry(key, some.rule, some.type, some.group, new, old)


def _side(alarm: Alarm | None, activations: Counter[str]) -> Side | None:
    return None if alarm is None else Side(activations[alarm.key], alarm.first_seen)


def _order(e: DiffEntry) -> tuple[float, str]:
    sides = [s.first_raised_at for s in (e.new, e.old) if s is not None]
    return min(sides), e.key
