"""Replay and rule tests: run rule sets over recorded or scripted events with simulated time (pure, no store
writes), report the alarms they would raise, the diff between two rule sets and the alarm load (ISA-18.2),
and check rule test files (`fairwatch rules test`, `fairwatch replay`). docs/replay.md is the reference."""

from fairwatch.replay.book import Activation, AlarmBook
from fairwatch.replay.comparison import Diff, DiffEntry, Side, diff
from fairwatch.replay.core import Replayer, ReplayResult, replay
from fairwatch.replay.load import AckStats, Chatter, Interval, LoadReport, Standing, load_report
from fairwatch.replay.render import as_json, as_text
from fairwatch.replay.report import ReplayReport, replay_report
from fairwatch.replay.sources import acknowledgements, open_store, read_jsonl
from fairwatch.replay.testfile import Expectation, ExpectedAlarm, RuleTest, TestFile, load_test_file
from fairwatch.replay.testrun import TestOutcome, run_file, run_test

__all__ = [
    "AckStats",
    "Activation",
    "AlarmBook",
    "Chatter",
    "Diff",
    "DiffEntry",
    "Expectation",
    "ExpectedAlarm",
    "Interval",
    "LoadReport",
    "ReplayReport",
    "ReplayResult",
    "Replayer",
    "RuleTest",
    "Side",
    "Standing",
    "TestFile",
    "TestOutcome",
    "acknowledgements",
    "as_json",
    "as_text",
    "diff",
    "load_report",
    "load_test_file",
    "open_store",
    "read_jsonl",
    "replay",
    "replay_report",
    "run_file",
    "run_test",
]
