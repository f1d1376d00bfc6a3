"""What a phase switch changes: rules added, removed and changed (by id), in words an operator reads.

Pure: it compares the compiled rules of two phases field by field, through the rules' public fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fairwatch.rules import Rule, RuleSet

_SYMBOLS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "=", "ne": "!=", "in": "in"}
_SIMPLE = ("alarm", "severity", "kind", "condition", "group_by", "description")


def rule_summary(rule: Rule) -> dict[str, Any]:
    """A rule as the preview shows it: what it raises, on what condition, with which thresholds."""
    return {
        "id": rule.id,
        "alarm": rule.alarm_type,
        "severity": rule.severity.value,
        "kind": rule.kind.value,
        "condition": "; ".join(condition_text(c) for c in rule.when),
        "thresholds": thresholds(rule),
        "group_by": list(rule.group_by),
        "description": rule.description,
    }


def condition_text(condition: Any) -> str:
    """`temperature: value > 55, zone = stage`: the event type and each test of one condition."""
    tests = [f"{m.field} {_SYMBOLS.get(m.op, m.op)} {_operand(m.operand)}" for m in condition.matchers]
    return f"{condition.type}: {', '.join(tests)}" if tests else str(condition.type)


def thresholds(rule: Rule) -> dict[str, str]:
    """The rule's durations, counts and limits as written; only those it sets."""
    out: dict[str, str] = {}
    if rule.for_text:
        out["for"] = rule.for_text
    if rule.within_text:
        out["within"] = rule.within_text
    if rule.count_threshold:
        out["count"] = f"{_SYMBOLS[rule.count_op]} {rule.count_threshold}"
    if rule.rate_per_text:
        out["rate"] = f"{_SYMBOLS[rule.rate_op]} {_number(rule.rate_threshold)} per {rule.rate_per_text}"
    if rule.region is not None:
        out["region"] = _operand(rule.region)
    if rule.radius is not None:
        out["radius"] = f"{_number(rule.radius)} m"
    if rule.min_sources > 1:
        out["min_sources"] = str(rule.min_sources)
    if rule.clear is not None:
        out["clear"] = condition_text(rule.clear)
    if rule.clear_for_text:
        out["clear_for"] = rule.clear_for_text
    return out


def diff_rules(old: RuleSet, new: RuleSet) -> dict[str, Any]:
    """Rules of `new` that `old` lacks (added), the reverse (removed), and those whose summary differs
    (changed, with each differing field's old and new value); ids of identical rules are `unchanged`."""
    before = {r.id: rule_summary(r) for r in old}
    after = {r.id: rule_summary(r) for r in new}
    changed = []
    for rule_id in (i for i in after if i in before):
        changes = _changes(before[rule_id], after[rule_id])
        if changes:
            changed.append({"id": rule_id, "changes": changes})
    changed_ids = {c["id"] for c in changed}
    return {
        "added": [s for i, s in after.items() if i not in before],
        "removed": [s for i, s in before.items() if i not in after],
        "changed": changed,
        "unchanged": [i for i in after if i in before and i not in changed_ids],
    }


def _changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    out = [{"field": k, "old": old[k], "new": new[k]} for k in _SIMPLE if old[k] != new[k]]
    limits_old, limits_new = old["thresholds"], new["thresholds"]
    for key in _ordered(limits_old, limits_new):
        if limits_old.get(key) != limits_new.get(key):
            out.append({"field": f"thresholds.{key}", "old": limits_old.get(key), "new": limits_new.get(key)})
    return out


def _ordered(*dicts: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(k for d in dicts for k in d))


def _operand(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_operand(v) for v in value) + "]"
    if isinstance(value, float):
        return _number(value)
    name = getattr(value, "name", None)  # a geofence region: the zone id or the polygon as written
    return str(name) if isinstance(name, str) else str(value)


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) and abs(value) < 1e15 else str(value)
