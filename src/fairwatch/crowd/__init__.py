"""Crowd science measures: flow through links from line counters, level of service, time to capacity.

Pure functions and plain state; `now` is always passed in. See docs/crowd.md for the definitions and the
source of every default.
"""

from fairwatch.crowd.capacity import Projection, time_to_capacity
from fairwatch.crowd.flow import WINDOW_S, LineCount, Reading, flows
from fairwatch.crowd.los import STANDING, WALKWAY, Bands, band, rank

__all__ = [
    "STANDING",
    "WALKWAY",
    "WINDOW_S",
    "Bands",
    "LineCount",
    "Projection",
    "Reading",
    "band",
    "flows",
    "rank",
    "time_to_capacity",
]
