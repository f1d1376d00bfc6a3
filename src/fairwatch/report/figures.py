"""The report's figures, computed from `Facts` (pure): alarms per clock hour by hazard class, the time-to-acknowledge
and time-to-first-dispatch distributions, the ISA-18.2 load figures (`replay.load_report`, the same code as
`fairwatch replay`), and the top alarm types and zones."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fairwatch.replay import LoadReport, load_report
from fairwatch.replay.load import HOUR
from fairwatch.report.facts import Facts, IncidentFacts
from fairwatch.report.period import Period
from fairwatch.taxonomy import Taxonomy

TOP = 10  # alarm types and zones listed
NO_ZONE = "(no zone)"


@dataclass(frozen=True, slots=True)
class Distribution:
    """Delays in seconds (sorted) and their summary; `excluded` were left out (see where it is built)."""

    delays: tuple[float, ...]
    median_s: float | None
    p90_s: float | None
    max_s: float | None
    excluded: int = 0

    @classmethod
    def of(cls, delays: Sequence[float], excluded: int = 0) -> Distribution:
        ordered = tuple(sorted(delays))
        if not ordered:
            return cls((), None, None, None, excluded)
        p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]  # nearest rank, as replay's load report
        return cls(ordered, statistics.median(ordered), p90, ordered[-1], excluded)


@dataclass(frozen=True, slots=True)
class HourRow:
    """One clock hour of the period: activations by hazard class."""

    start: float
    by_class: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_class.values())


@dataclass(frozen=True, slots=True)
class EventReport:
    """Everything the report document shows."""

    period: Period
    classes: tuple[str, ...]  # hazard classes with any activation, in a fixed order
    hours: tuple[HourRow, ...]  # every clock hour the period touches, empty ones included
    load: LoadReport
    ack: Distribution  # alarms first raised in the period that were acknowledged (at any time)
    unacknowledged: int
    dispatch: Distribution  # incidents of the period with a first dispatch, from reported_at
    top_types: tuple[tuple[str, int], ...]
    top_zones: tuple[tuple[str, int], ...]
    incidents: tuple[IncidentFacts, ...]


def hazard_class(taxonomy: Taxonomy, type_id: str) -> str:
    """The type's hazard class in `taxonomy` (retired types included); a type it lacks by its id's first part."""
    known = taxonomy.get(type_id)
    return known.hazard_class if known is not None else type_id.partition(".")[0]


def build(facts: Facts, taxonomy: Taxonomy) -> EventReport:
    """The figures of `facts`; classes come from `taxonomy`."""
    period = facts.period
    acts = facts.activations
    classes = tuple(sorted({hazard_class(taxonomy, a.type) for a in acts}))
    acks = [(a.raised_at, a.acknowledged_at) for a in facts.alarms]
    load = load_report(acts, period.start, period.end, acks)
    delays = [t - a.raised_at for a in facts.alarms if (t := a.acknowledged_at) is not None]
    return EventReport(
        period=period,
        classes=classes,
        hours=_hours(facts, taxonomy),
        load=load,
        ack=Distribution.of(delays),
        unacknowledged=len(facts.alarms) - len(delays),
        dispatch=_dispatch(facts.incidents),
        top_types=_top(a.type for a in acts),
        top_zones=_top(facts.zones.get(a.key) or NO_ZONE for a in acts),
        incidents=facts.incidents,
    )


def _hours(facts: Facts, taxonomy: Taxonomy) -> tuple[HourRow, ...]:
    first = math.floor(facts.period.start / HOUR)
    last = math.ceil(facts.period.end / HOUR)  # exclusive
    rows = {k: Counter[str]() for k in range(first, last)}
    for a in facts.activations:
        rows[math.floor(a.raised_at / HOUR)][hazard_class(taxonomy, a.type)] += 1
    return tuple(HourRow(k * HOUR, dict(sorted(c.items()))) for k, c in sorted(rows.items()))


def _dispatch(incidents: Sequence[IncidentFacts]) -> Distribution:
    """First dispatch - reported_at; a dispatch recorded as earlier than the report is left out (`excluded`)."""
    delays: list[float] = []
    early = 0
    for f in incidents:
        i = f.incident
        if i.first_dispatch_at is None:
            continue
        if i.first_dispatch_at < i.reported_at:
            early += 1
        else:
            delays.append(i.first_dispatch_at - i.reported_at)
    return Distribution.of(delays, early)


def _top(items: Iterable[str]) -> tuple[tuple[str, int], ...]:
    counts = Counter(items)
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP])
