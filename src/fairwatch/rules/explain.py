"""One-line explanations of decisions, e.g. `crowd.density value 4.6 > 4.0 held for 60s in zone=main`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fairwatch.model import Event
from fairwatch.rules.model import SYMBOLS, Condition, Matcher, Rule


def show(value: Any) -> str:
    """A value as an operator reads it."""
    if value is None:
        return "missing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def where(rule: Rule, values: Sequence[str]) -> str:
    """` in zone=main, source=cam-1`, or nothing for an ungrouped rule."""
    if not rule.group_by:
        return ""
    return " in " + ", ".join(f"{k}={v}" for k, v in zip(rule.group_by, values, strict=True))


def _matcher(matcher: Matcher, event: Event, negate: bool = False) -> str:
    no = "no longer " if negate else ""
    return f"{matcher.field} {show(matcher.get(event))} {no}{SYMBOLS[matcher.op]} {show(matcher.operand)}"


def matched(condition: Condition, event: Event) -> str:
    """`temperature value 61.0 > 55`: the condition's type and each matcher with the event's value."""
    if not condition.matchers:
        return condition.type
    return condition.type + " " + ", ".join(_matcher(m, event) for m in condition.matchers)


def failed(condition: Condition, event: Event) -> str:
    """`crowd.density value 3.9 no longer > 4.0`: the matchers `event` fails."""
    misses = [m for m in condition.matchers if not Condition(condition.type, (m,)).matches(event)]
    return condition.type + " " + ", ".join(_matcher(m, event, negate=True) for m in misses)


def threshold(rule: Rule, event: Event, values: Sequence[str]) -> str:
    """A plain match."""
    return matched(rule.when[0], event) + where(rule, values)


def held(rule: Rule, event: Event, values: Sequence[str]) -> str:
    """A condition held for `for`."""
    return f"{matched(rule.when[0], event)} held for {rule.for_text}{where(rule, values)}"


def count(rule: Rule, n: int, values: Sequence[str], reached: bool) -> str:
    """A window count that reached (or fell below) its threshold."""
    verb = "" if reached else "no longer "
    op = SYMBOLS[rule.count_op]
    base = f"{rule.when[0].type} count {n} {verb}{op} {rule.count_threshold} within {rule.within_text}"
    return base + where(rule, values)


def correlated(rule: Rule, parts: Sequence[Event], values: Sequence[str]) -> str:
    """Every part of an `all` seen within its window."""
    shown = ", ".join(matched(c, e) for c, e in zip(rule.when, parts, strict=True))
    return f"all of {shown} within {rule.within_text}{where(rule, values)}"


def absent(rule: Rule, values: Sequence[str]) -> str:
    """An expected event that stopped arriving."""
    return f"no {rule.when[0].type} for {rule.for_text}{where(rule, values)}"


def returned(rule: Rule, values: Sequence[str]) -> str:
    """An absent event that arrived again."""
    return f"{rule.when[0].type} seen again{where(rule, values)}"


def cleared(rule: Rule, event: Event, values: Sequence[str]) -> str:
    """The clear condition held (or, without one, the when-condition stopped holding)."""
    if rule.clear is None:
        return f"cleared: {failed(rule.when[0], event)}{where(rule, values)}"
    held_for = f" held for {rule.clear_for_text}" if rule.clear_for_text else ""
    return f"cleared: {matched(rule.clear, event)}{held_for}{where(rule, values)}"
