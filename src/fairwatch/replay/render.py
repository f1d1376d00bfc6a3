"""How `fairwatch replay` shows its results: readable text, or one JSON object (times in RFC 3339)."""

from __future__ import annotations

from typing import Any

from fairwatch.events.validate import rfc3339
from fairwatch.replay.book import Activation
from fairwatch.replay.comparison import Diff, DiffEntry, Side
from fairwatch.replay.core import ReplayResult
from fairwatch.replay.load import AckStats, Chatter, Interval, LoadReport, Standing
from fairwatch.replay.testfile import format_group


def _time(ts: float | None) -> str | None:
    return None if ts is None else rfc3339(ts)


def _round(x: float | None, digits: int = 3) -> float | None:
    return None if x is None else round(x, digits)


# -- JSON --------------------------------------------------------------------------------------------------
def as_json(result: ReplayResult, load: LoadReport, diff: Diff | None, against: str | None) -> dict[str, Any]:
    """`{"alarms": [...], "load": {...}, "diff": {...} | null}`."""
    return {
        "alarms": [_alarm_json(a) for a in result.alarms],
        "load": _load_json(result, load),
        "diff": None if diff is None else _diff_json(diff, against),
    }


def _alarm_json(a: Activation) -> dict[str, Any]:
    return {
        "rule": a.rule,
        "type": a.type,
        "group": a.group,
        "raised_at": rfc3339(a.raised_at),
        "cleared_at": _time(a.cleared_at),
    }


def _load_json(result: ReplayResult, load: LoadReport) -> dict[str, Any]:
    return {
        "events": result.events,
        "start": _time(load.start),
        "end": _time(load.end),
        "hours": _round(_hours(load)),
        "alarms": load.alarms,
        "per_hour": _round(load.per_hour),
        "busiest_hour": _interval_json(load.busiest_hour),
        "peak_10min": _interval_json(load.peak_10min),
        "floods": [_interval_json(i) for i in load.floods],
        "flood_share": _round(load.flood_share, 4),
        "chattering": [_chatter_json(c) for c in load.chattering],
        "standing": [_standing_json(s) for s in load.standing],
        "time_to_acknowledge": _ack_json(load.ack),
        "by_rule": load.by_rule,
    }


def _hours(load: LoadReport) -> float | None:
    return None if load.start is None or load.end is None else (load.end - load.start) / 3600


def _interval_json(i: Interval | None) -> dict[str, Any] | None:
    return None if i is None else {"start": rfc3339(i.start), "end": rfc3339(i.end), "alarms": i.alarms}


def _chatter_json(c: Chatter) -> dict[str, Any]:
    return {
        "rule": c.rule,
        "group": c.group,
        "raises": c.raises,
        "most_in_10min": c.most,
        "first_at": rfc3339(c.first_at),
    }


def _standing_json(s: Standing) -> dict[str, Any]:
    return {
        "rule": s.rule,
        "group": s.group,
        "raised_at": rfc3339(s.raised_at),
        "cleared_at": _time(s.cleared_at),
        "hours": round(s.seconds / 3600, 3),
        "still_active": s.cleared_at is None,
    }


def _ack_json(a: AckStats | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "alarms": a.alarms,
        "acknowledged": a.acknowledged,
        "median_s": _round(a.median_s),
        "p90_s": _round(a.p90_s),
        "max_s": _round(a.max_s),
    }


def _diff_json(diff: Diff, against: str | None) -> dict[str, Any]:
    return {
        "against": against,
        "only_new": [_entry_json(e) for e in diff.only_new],
        "only_old": [_entry_json(e) for e in diff.only_old],
        "both": [_entry_json(e) for e in diff.both],
    }


def _entry_json(e: DiffEntry) -> dict[str, Any]:
    return {
        "rule": e.rule,
        "type": e.type,
        "group": e.group,
        "new": _side_json(e.new),
        "old": _side_json(e.old),
    }


def _side_json(s: Side | None) -> dict[str, Any] | None:
    return None if s is None else {"raised": s.raised, "first_raised_at": rfc3339(s.first_raised_at)}


# -- text --------------------------------------------------------------------------------------------------
def as_text(result: ReplayResult, load: LoadReport, diff: Diff | None, against: str | None) -> list[str]:
    """The report as lines: the span, the alarms, the diff (if any) and the alarm load."""
    lines = [_span_line(result), "", f"Alarms ({len(result.alarms)}):"]
    lines += [_alarm_line(a) for a in result.alarms] or ["  none"]
    if diff is not None:
        lines += ["", *_diff_lines(diff, against)]
    return [*lines, "", *_load_lines(load)]


def _span_line(result: ReplayResult) -> str:
    if result.start is None or result.end is None:
        return "Replayed 0 events."
    hours = (result.end - result.start) / 3600
    return (
        f"Replayed {result.events:,} events, {rfc3339(result.start)} to {rfc3339(result.end)} "
        f"({hours:.1f} h of simulated time)."
    )


def _alarm_line(a: Activation) -> str:
    ended = f"cleared {rfc3339(a.cleared_at)}" if a.cleared_at is not None else "still active"
    return f"  {rfc3339(a.raised_at)}  {a.rule} {format_group(a.group)}  {a.type}  {ended}"


def _diff_lines(diff: Diff, against: str | None) -> list[str]:
    head = f"Diff against {against}: " if against else "Diff: "
    lines = [
        head + f"{len(diff.only_new)} only in new, {len(diff.only_old)} only in old, {len(diff.both)} in both"
    ]
    for label, entries in (
        ("only in new", diff.only_new),
        ("only in old", diff.only_old),
        ("in both", diff.both),
    ):
        lines += [f"  {label:<11}  {e.rule} {format_group(e.group)}  {_sides(e)}" for e in entries]
    return lines


def _sides(e: DiffEntry) -> str:
    if e.new is not None and e.new == e.old:
        return f"same: {_side(e.new)}"
    parts = [f"{name} {_side(s)}" for name, s in (("new", e.new), ("old", e.old)) if s is not None]
    return "; ".join(parts)


def _side(s: Side) -> str:
    return f"raised {s.raised}x, first {rfc3339(s.first_raised_at)}"


def _load_lines(load: LoadReport) -> list[str]:
    return [
        "Alarm load:",
        f"  alarms per hour: {_per_hour(load)}",
        f"  peak per 10 minutes: {_peak(load.peak_10min)}",
        f"  floods (more than 10 alarms in 10 minutes): {_floods(load)}",
        *_listed("chattering (raised 3 or more times in 10 minutes)", [_chatter(c) for c in load.chattering]),
        *_listed(
            "standing (active over 24 h or still active at the end)", [_standing(s) for s in load.standing]
        ),
        f"  time to acknowledge: {_ack(load.ack)}",
        "  alarms by rule: " + (", ".join(f"{r} {n}" for r, n in load.by_rule.items()) or "none"),
    ]


def _per_hour(load: LoadReport) -> str:
    hours = _hours(load) or 0.0
    if load.per_hour is None:
        return f"n/a ({load.alarms} alarms in no time)"
    busiest = load.busiest_hour
    extra = f"; busiest hour from {rfc3339(busiest.start)} with {busiest.alarms}" if busiest else ""
    return f"{load.per_hour:.1f} ({load.alarms} alarms in {hours:.1f} h{extra})"


def _peak(peak: Interval | None) -> str:
    return "none" if peak is None else f"{peak.alarms} (from {rfc3339(peak.start)})"


def _floods(load: LoadReport) -> str:
    if not load.floods:
        return "none"
    share = f" ({load.flood_share:.1%} of the 10-minute intervals)" if load.flood_share is not None else ""
    starts = ", ".join(f"{rfc3339(i.start)} ({i.alarms})" for i in load.floods)
    return f"{len(load.floods)}{share}: {starts}"


def _listed(title: str, items: list[str]) -> list[str]:
    if not items:
        return [f"  {title}: none"]
    return [f"  {title}: {len(items)}", *(f"    {item}" for item in items)]


def _chatter(c: Chatter) -> str:
    return f"{c.rule} {format_group(c.group)}: {c.most} times in 10 minutes from {rfc3339(c.first_at)} ({c.raises} in all)"


def _standing(s: Standing) -> str:
    state = "still active" if s.cleared_at is None else f"cleared {rfc3339(s.cleared_at)}"
    return (
        f"{s.rule} {format_group(s.group)}: raised {rfc3339(s.raised_at)}, {state} ({_duration(s.seconds)})"
    )


def _ack(a: AckStats | None) -> str:
    if a is None:
        return "n/a (no handling records: replayed from a file)"
    if a.median_s is None or a.p90_s is None or a.max_s is None:
        return f"none of {a.alarms} alarms acknowledged"
    return (
        f"median {_duration(a.median_s)}, p90 {_duration(a.p90_s)}, max {_duration(a.max_s)} "
        f"({a.acknowledged} of {a.alarms} alarms acknowledged)"
    )


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
