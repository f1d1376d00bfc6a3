"""Rule conditions as written: plain config objects read by `conditions.py`, compiled by `model.py`."""

from __future__ import annotations

from dataclasses import dataclass

from fairwatch.rules.duration import Duration

Scalar = str | int | float | bool
Operand = Scalar | tuple[Scalar, ...]
Point = tuple[float, float]

# Readings the engine derives from counter events per zone (see `occupancy.py`). They are event types a
# device cannot send: real types start with a letter (events.validate.TYPE_RE).
OCCUPANCY = "@occupancy"
DENSITY = "@density"
DERIVED_TYPES = frozenset({OCCUPANCY, DENSITY})
OF_CAPACITY = "data.of_capacity"
# Readings the engine derives for the crowd conditions (see `rules/crowd.py`): a link's flow from a line
# counter (`counter.line`), and a zone's projected time to capacity from its occupancy.
FLOW = "@flow"
CAPACITY = "@capacity"
CROWD_TYPES = frozenset(
    {FLOW, CAPACITY}
)  # the derived reading's occupancy as a fraction of the zone's capacity


@dataclass(frozen=True, slots=True)
class RegionConfig:
    """A geofence: a site zone by id, or a polygon of plan points (metres)."""

    zone: str | None = None
    points: tuple[Point, ...] = ()


@dataclass(frozen=True, slots=True)
class MatcherConfig:
    """One field test: every (operator, operand) pair must hold. A bare scalar is `eq`.

    `inside`/`outside` test the event's location against a region (field `location`).
    """

    field: str  # "value", "zone", "data.kind", "location", ...
    ops: tuple[tuple[str, Operand | RegionConfig], ...]


@dataclass(frozen=True, slots=True)
class ConditionConfig:
    """An event type plus field matchers; `trusted` marks a part whose events are trusted human reports."""

    type: str
    matchers: tuple[MatcherConfig, ...] = ()
    trusted: bool = False


@dataclass(frozen=True, slots=True)
class CountConfig:
    """`count: {gte: 3, within: 10m}`."""

    op: str
    threshold: int
    within: Duration


@dataclass(frozen=True, slots=True)
class RateConfig:
    """`rate: {per: 1m, gt: 0.5, window: 2m}`: the value's least-squares slope over the window."""

    op: str
    threshold: float
    per: Duration
    window: Duration


@dataclass(frozen=True, slots=True)
class TrackConfig:
    """`enter: R`, `exit: R` or `dwell: {zone: R, for: D}`: per-source positions against a region."""

    mode: str  # "enter" | "exit" | "dwell"
    region: RegionConfig
    for_: Duration | None = None  # dwell only


@dataclass(frozen=True, slots=True)
class SimpleWhen:
    """A single condition, optionally held `for` a duration, counted, rated or tracked."""

    condition: ConditionConfig
    for_: Duration | None = None
    count: CountConfig | None = None
    rate: RateConfig | None = None
    track: TrackConfig | None = None
    derived: str = ""  # "occupancy" or "density" when written in that form


@dataclass(frozen=True, slots=True)
class AllWhen:
    """Every part seen within `within` of each other (optionally near each other, from enough sources)."""

    parts: tuple[ConditionConfig, ...]
    within: Duration
    radius: float | None = None
    min_sources: int = 1


@dataclass(frozen=True, slots=True)
class AnyWhen:
    """Any part seen, confirmed by at least `min_sources` independent sources within `within`."""

    parts: tuple[ConditionConfig, ...]
    within: Duration
    radius: float | None = None
    min_sources: int = 1


@dataclass(frozen=True, slots=True)
class AbsentWhen:
    """No matching event for `for_`."""

    condition: ConditionConfig
    for_: Duration


When = SimpleWhen | AllWhen | AnyWhen | AbsentWhen


@dataclass(frozen=True, slots=True)
class ClearConfig:
    """The condition that ends a firing alarm; its `type` is already defaulted to the when-type."""

    condition: ConditionConfig
    for_: Duration | None = None
