"""One replay run as the CLI reports it: the new rules' alarms and load, and the diff against other rules."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fairwatch.model import Event
from fairwatch.replay.comparison import Diff, diff
from fairwatch.replay.core import Replayer, ReplayResult
from fairwatch.replay.load import LoadReport, load_report
from fairwatch.rules import RuleSet

CHUNK = 5_000  # events handed to both replayers at a time: one pass over the source, little memory


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """The new rules' result and load; the old rules' result and the diff when compared."""

    result: ReplayResult
    load: LoadReport
    old: ReplayResult | None = None
    diff: Diff | None = None


def replay_report(
    new: RuleSet,
    events: Iterable[Event],
    old: RuleSet | None = None,
    until: float | None = None,
    acks: Sequence[tuple[float, float | None]] | None = None,
) -> ReplayReport:
    """Replay `events` once through `new` (and `old`), up to `until` if given; `acks` feed the load report."""
    replayers = [Replayer(new)] + ([Replayer(old)] if old is not None else [])
    source = iter(events)
    while chunk := list(itertools.islice(source, CHUNK)):
        for replayer in replayers:
            replayer.feed(chunk)
    for replayer in replayers:
        if until is not None:
            replayer.advance(until)
    result = replayers[0].result()
    load = load_report(result.alarms, result.start, result.end, acks)
    if old is None:
        return ReplayReport(result, load)
    previous = replayers[1].result()
    return ReplayReport(result, load, previous, diff(result, previous))
