"""Builders for the replay tests: events at a time, and rule sets from text."""

from __future__ import annotations

from typing import Any

from fairwatch.model import Event
from fairwatch.rules import RuleSet, parse_rules

T0 = 1_780_000_200.0  # on a 10-minute boundary, half past an hour


def ev(
    t: float,
    type: str,
    source: str = "s-1",
    value: float | None = None,
    zone: str | None = None,
    received: float | None = None,
    site: str | None = "riverside",
    data: dict[str, Any] | None = None,
    id: str | None = None,
) -> Event:
    """An event at `T0 + t` that arrives then (or at `T0 + received`)."""
    arrives = T0 + (t if received is None else received)
    return Event(
        id or f"{type}@{t:g}/{source}",
        source,
        type,
        T0 + t,
        arrives,
        site,
        zone,
        value,
        None,
        dict(data or {}),
    )


def rules(text: str) -> RuleSet:
    """A rule set from rule-file text."""
    return parse_rules(text, "rules.yaml")
