"""Time to capacity: when a zone's occupancy, projected from its recent readings, reaches the capacity.

Two projections over the readings in a window: `linear` (least-squares slope) and `smoothed` (Holt's
double exponential smoothing, trend per second). Both are pure; the caller keeps the readings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

METHODS = ("linear", "smoothed")
ALPHA, BETA = 0.5, 0.3  # Holt's smoothing factors for level and trend


@dataclass(frozen=True, slots=True)
class Projection:
    """Occupancy level now and its trend (persons per second); `seconds` to capacity (inf: never)."""

    level: float
    trend: float
    seconds: float


def _linear(times: Sequence[float], values: Sequence[float]) -> tuple[float, float] | None:
    n = len(times)
    t0 = times[0]
    xs = [t - t0 for t in times]
    mx, my = sum(xs) / n, sum(values) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, values, strict=True)) / sxx
    return values[-1], slope  # project from the newest reading, not the fitted line


def _smoothed(times: Sequence[float], values: Sequence[float]) -> tuple[float, float] | None:
    level, trend = values[0], 0.0
    seen = False
    for i in range(1, len(times)):
        dt = times[i] - times[i - 1]
        if dt <= 0:
            continue
        previous = level
        level = ALPHA * values[i] + (1 - ALPHA) * (level + trend * dt)
        step = (level - previous) / dt
        trend = step if not seen else BETA * step + (1 - BETA) * trend
        seen = True
    return (level, trend) if seen else None


def time_to_capacity(
    times: Sequence[float], values: Sequence[float], capacity: float, method: str = "linear"
) -> Projection | None:
    """The projection from readings (sorted by time); None with fewer than two distinct times."""
    if len(times) < 2:
        return None
    fit = _linear(times, values) if method == "linear" else _smoothed(times, values)
    if fit is None:
        return None
    level, trend = fit
    if values[-1] >= capacity or level >= capacity:
        return Projection(level, trend, 0.0)  # full now
    seconds = (capacity - level) / trend if trend > 0 else math.inf
    return Projection(level, trend, seconds)
