"""Level of service: bands A-F for a flow on a walkway or a density in a standing area. Pure.

A band's upper bound belongs to it: with the walkway bands a flow of exactly 82 p/m/min is E and anything
above it F. Sources of the defaults: docs/crowd.md.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

LETTERS = ("A", "B", "C", "D", "E", "F")


@dataclass(frozen=True, slots=True)
class Bands:
    """The upper bounds of bands A to E, ascending (five numbers); above the last is F."""

    bounds: tuple[float, float, float, float, float]
    unit: str

    def __post_init__(self) -> None:
        if len(self.bounds) != 5 or any(b >= c for b, c in zip(self.bounds, self.bounds[1:], strict=False)):
            raise ValueError("expected five ascending upper bounds (bands A to E)")


# Fruin (1971), "Designing for Pedestrians"; HCM 2010 ch. 23 walkway LoS: persons per metre per minute.
WALKWAY = Bands((23.0, 33.0, 49.0, 66.0, 82.0), "p/m/min")
# Still (2014) "Introduction to Crowd Science" density landmarks; Green Guide (SGSA 2018) standing.
STANDING = Bands((2.0, 3.5, 4.0, 5.0, 7.0), "p/m²")


def band(value: float, bands: Bands = WALKWAY) -> str:
    """The letter of the band `value` falls in."""
    return LETTERS[bisect.bisect_left(bands.bounds, value)]


def rank(letter: str) -> int:
    """0 for A up to 5 for F; ValueError for anything else."""
    return LETTERS.index(letter)
