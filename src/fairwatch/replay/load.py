"""The alarm-load report (ISA-18.2 / EEMUA 191 style) over the activations of a replay.

Rates count activations (annunciations). Intervals are fixed and aligned to the clock (hours on the hour,
10-minute intervals at :00, :10, ...), so a report does not depend on where the replay happened to start.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from fairwatch.replay.book import Activation

TEN_MINUTES = 600.0
HOUR = 3600.0
FLOOD_OVER = 10  # ISA-18.2: more than 10 alarms in 10 minutes is a flood
CHATTER_AT = 3  # raised 3 or more times within 10 minutes
STANDING_AFTER = 86_400.0  # active longer than 24 h


@dataclass(frozen=True, slots=True)
class Interval:
    """A fixed interval [start, end) and the activations that fell in it."""

    start: float
    end: float
    alarms: int


@dataclass(frozen=True, slots=True)
class Chatter:
    """A key that went active `most` times within 10 minutes (first at `first_at`), `raises` times in all."""

    key: str
    rule: str
    group: dict[str, str]
    raises: int
    most: int
    first_at: float


@dataclass(frozen=True, slots=True)
class Standing:
    """An activation active longer than 24 h, or still active when the replay ended."""

    key: str
    rule: str
    group: dict[str, str]
    raised_at: float
    cleared_at: float | None
    seconds: float


@dataclass(frozen=True, slots=True)
class AckStats:
    """Time from alarm-raised to the first alarm-acknowledged, over alarms raised in the replayed span."""

    alarms: int
    acknowledged: int
    median_s: float | None
    p90_s: float | None
    max_s: float | None


@dataclass(frozen=True, slots=True)
class LoadReport:
    """Alarm load over [start, end]; `ack` is None when no handling records exist (replay from a file)."""

    start: float | None
    end: float | None
    alarms: int
    per_hour: float | None
    busiest_hour: Interval | None
    peak_10min: Interval | None
    floods: tuple[Interval, ...]
    flood_share: float | None  # share of the 10-minute intervals in the span that were floods
    chattering: tuple[Chatter, ...]
    standing: tuple[Standing, ...]
    by_rule: dict[str, int]
    ack: AckStats | None


def load_report(
    alarms: Sequence[Activation],
    start: float | None,
    end: float | None,
    acks: Sequence[tuple[float, float | None]] | None = None,
) -> LoadReport:
    """The load report for `alarms` replayed over [start, end]; `acks` are (raised_at, acknowledged_at)."""
    span = (end - start) if start is not None and end is not None else 0.0
    tens = _buckets(alarms, TEN_MINUTES)
    floods = tuple(i for i in tens if i.alarms > FLOOD_OVER)
    return LoadReport(
        start=start,
        end=end,
        alarms=len(alarms),
        per_hour=len(alarms) / (span / HOUR) if span > 0 else None,
        busiest_hour=_peak(_buckets(alarms, HOUR)),
        peak_10min=_peak(tens),
        floods=floods,
        flood_share=len(floods) / _intervals(start, end, TEN_MINUTES) if start is not None else None,
        chattering=_chattering(alarms),
        standing=_standing(alarms, end),
        by_rule=dict(sorted(Counter(a.rule for a in alarms).items(), key=lambda kv: (-kv[1], kv[0]))),
        ack=ack_stats(acks) if acks is not None else None,
    )


def _buckets(alarms: Sequence[Activation], size: float) -> list[Interval]:
    counts = Counter(math.floor(a.raised_at / size) for a in alarms)
    return [Interval(k * size, (k + 1) * size, n) for k, n in sorted(counts.items())]


def _peak(intervals: list[Interval]) -> Interval | None:
    """The interval with most alarms; the earliest of equals."""
    return max(intervals, key=lambda i: (i.alarms, -i.start), default=None)


def _intervals(start: float, end: float | None, size: float) -> int:
    """How many fixed intervals of `size` the span [start, end] touches (at least one)."""
    last = end if end is not None else start
    return math.floor(last / size) - math.floor(start / size) + 1


def _chattering(alarms: Sequence[Activation]) -> tuple[Chatter, ...]:
    by_key: dict[str, list[Activation]] = defaultdict(list)
    for a in alarms:
        by_key[a.key].append(a)
    found: list[Chatter] = []
    for key, acts in by_key.items():
        times = sorted(a.raised_at for a in acts)
        most, first = _densest(times)
        if most >= CHATTER_AT:
            found.append(Chatter(key, acts[0].rule, acts[0].group, len(times), most, first))
    return tuple(sorted(found, key=lambda c: (c.first_at, c.key)))


def _densest(times: list[float]) -> tuple[int, float]:
    """Most raises within any 10 minutes (last - first < 600 s), and the start of the first window with
    CHATTER_AT or more (the first raise when there is none)."""
    most, first, lo = 0, None, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= TEN_MINUTES:
            lo += 1
        most = max(most, hi - lo + 1)
        if first is None and hi - lo + 1 >= CHATTER_AT:
            first = times[lo]
    return most, times[0] if first is None else first


def _standing(alarms: Sequence[Activation], end: float | None) -> tuple[Standing, ...]:
    found: list[Standing] = []
    for a in alarms:
        still = a.cleared_at is None
        until = a.cleared_at if a.cleared_at is not None else (end if end is not None else a.raised_at)
        seconds = until - a.raised_at
        if still or seconds > STANDING_AFTER:
            found.append(Standing(a.key, a.rule, a.group, a.raised_at, a.cleared_at, seconds))
    return tuple(found)


def ack_stats(acks: Sequence[tuple[float, float | None]]) -> AckStats:
    """Median, 90th percentile and maximum time to acknowledge (seconds); unacknowledged alarms excluded."""
    delays = sorted(acked - raised for raised, acked in acks if acked is not None)
    if not delays:
        return AckStats(len(acks), 0, None, None, None)
    return AckStats(len(acks), len(delays), statistics.median(delays), _p90(delays), delays[-1])


def _p90(ordered: list[float]) -> float:
    """Nearest-rank 90th percentile: a value that actually occurred."""
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
