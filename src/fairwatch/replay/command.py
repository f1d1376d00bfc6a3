"""What `fairwatch replay` and `fairwatch rules test` do, so that cli.py only parses arguments."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import orjson

from fairwatch import config
from fairwatch.errors import ConfigError
from fairwatch.events.validate import parse_time
from fairwatch.replay.render import as_json, as_text
from fairwatch.replay.report import ReplayReport, replay_report
from fairwatch.replay.sources import acknowledgements, open_store, read_jsonl
from fairwatch.replay.testfile import load_test_file
from fairwatch.replay.testrun import run_file
from fairwatch.rules import RuleSet
from fairwatch.settings import Settings


@dataclass(frozen=True, slots=True)
class Output:
    """Lines for stdout and stderr, and the exit code."""

    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    code: int = 0


def rules_test(paths: Iterable[Path]) -> Output:
    """Run rule test files: PASS/FAIL per test; exit 0 all pass, 1 any fail, 2 a file is malformed."""
    out: list[str] = []
    err: list[str] = []
    passed = failed = 0
    malformed = False
    for path in paths:
        try:
            test_file = load_test_file(path)
        except ConfigError as exc:
            err += exc.messages
            malformed = True
            continue
        for outcome in run_file(test_file):
            out += outcome.lines()
            passed, failed = passed + outcome.passed, failed + (not outcome.passed)
    if passed + failed or not malformed:
        out.append(f"{passed} passed, {failed} failed")
    return Output(out, err, 2 if malformed else 1 if failed else 0)


def replay_command(
    settings: Settings,
    *,
    events: Path | None,
    since: str | None,
    until: str | None,
    against: Path | None,
    json: bool,
) -> Output:
    """Replay a file or the store through the rules `settings` name (and `against`, checked the same way:
    `config.load`); usage and file errors raise ConfigError."""
    loaded = config.load(settings)
    new = loaded.rules
    old = config.load(replace(settings, rules=against)).rules if against is not None else None
    began = time.perf_counter()
    if events is not None:
        if since is not None or until is not None:
            raise ConfigError(["--since/--until select stored events; use them without --events"])
        zones = loaded.site.zone_ids if loaded.site is not None else None
        report = replay_report(new, read_jsonl(events, loaded.schemas, zones), old)
    else:
        report = _from_store(new, old, settings, since, until)
    seconds = time.perf_counter() - began
    rendered = (
        [orjson.dumps(as_json(report.result, report.load, report.diff, _name(against))).decode()]
        if json
        else as_text(report.result, report.load, report.diff, _name(against))
    )
    rate = report.result.events / seconds if seconds > 0 else 0.0
    note = f"replayed {report.result.events:,} events in {seconds:.2f} s ({rate:,.0f} events/s)"
    return Output(rendered, [note])


def _from_store(
    new: RuleSet, old: RuleSet | None, settings: Settings, since: str | None, until: str | None
) -> ReplayReport:
    if since is None:
        raise ConfigError(["give --events FILE, or --since TIME to replay stored events"])
    start, end = _time("--since", since), _time("--until", until) if until is not None else None
    store = open_store(settings.data, settings.database_url)
    try:
        acks = acknowledgements(store, start, end)
        return replay_report(new, store.iter_events(start, end), old, end, acks)
    finally:
        store.close()


def _time(option: str, text: str) -> float:
    when = parse_time(text)
    if when is None:
        raise ConfigError(
            [f"{option}: expected an RFC 3339 time with a time zone like 2026-07-04T18:00:00Z (got {text!r})"]
        )
    return when


def _name(path: Path | None) -> str | None:
    return None if path is None else str(path)
