"""A short, bounded history of one measure: the newest value in each `STEP_S` bucket. Pure."""

from __future__ import annotations

import math
from collections import deque

HISTORY_S = 900.0  # sparklines show the last 15 minutes
STEP_S = 30.0  # one point per 30 seconds
POINTS = int(HISTORY_S / STEP_S)


class History:
    """(bucket start, value) pairs, oldest first; a value in the newest bucket replaces that bucket's value."""

    __slots__ = ("points",)

    def __init__(self) -> None:
        self.points: deque[tuple[float, float]] = deque(maxlen=POINTS)

    def add(self, time: float, value: float) -> None:
        """Record `value` as of `time`; a value older than the newest bucket is ignored (already superseded)."""
        bucket = math.floor(time / STEP_S) * STEP_S
        if self.points and bucket < self.points[-1][0]:
            return
        if self.points and bucket == self.points[-1][0]:
            self.points[-1] = (bucket, value)
        else:
            self.points.append((bucket, value))

    def since(self, start: float) -> list[tuple[float, float]]:
        """The points in buckets that end after `start`."""
        return [(t, v) for t, v in self.points if t + STEP_S > start]
