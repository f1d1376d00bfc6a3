"""Run rule tests with simulated time and say exactly where the open alarms differ from the expectation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fairwatch.model import Alarm
from fairwatch.replay.core import Replayer
from fairwatch.replay.testfile import Expectation, ExpectedAlarm, RuleTest, TestFile, format_group
from fairwatch.rules import RuleSet


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """A test's name and one line per expectation that did not hold (none: it passed)."""

    name: str
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return not self.failures

    def lines(self) -> list[str]:
        """`PASS name`, or one `FAIL name: at ...` line per failed expectation."""
        return [f"PASS {self.name}"] if self.passed else [f"FAIL {self.name}: {f}" for f in self.failures]


def run_file(test_file: TestFile) -> list[TestOutcome]:
    """Run every test of a checked test file, in file order."""
    return [run_test(test_file.rulesets, test) for test in test_file.tests]


def run_test(rulesets: Sequence[RuleSet], test: RuleTest) -> TestOutcome:
    """Feed the events (ticking every simulated second and at each event) and check each expectation."""
    replayer = Replayer(rulesets, tick_at_events=True)
    events = list(test.events)
    failures: list[str] = []
    for expectation in test.expect:
        due = [event for offset, event in events if offset <= expectation.at]
        del events[: len(due)]
        replayer.feed(due)
        replayer.advance(test.start + expectation.at)
        problems = compare(expectation.alarms, replayer.book.alarms)
        if problems:
            failures.append(_failure(expectation, problems, replayer.book.alarms))
    return TestOutcome(test.name, tuple(failures))


def compare(expected: Sequence[ExpectedAlarm], got: dict[str, Alarm]) -> list[str]:
    """What differs between the expected and the open alarms: missing, wrong flag or count, unexpected."""
    open_by = {(a.rule, frozenset(a.group.items())): a for a in got.values()}
    problems: list[str] = []
    for want in expected:
        alarm = open_by.pop((want.rule, frozenset(want.group.items())), None)
        name = f"{want.rule} {format_group(want.group)}"
        if alarm is None:
            problems.append(f"missing alarm {name} ({_flag(want.active)})")
            continue
        if alarm.active != want.active:
            problems.append(f"alarm {name} is {_flag(alarm.active)}, expected {_flag(want.active)}")
        if want.count is not None and alarm.count != want.count:
            problems.append(f"alarm {name} has count {alarm.count}, expected {want.count}")
    problems += [f"unexpected alarm {describe(a)}" for a in open_by.values()]
    return problems


def describe(alarm: Alarm) -> str:
    """`rule {group} (active)` as the output shows an open alarm."""
    return f"{alarm.rule} {format_group(alarm.group)} ({_flag(alarm.active)})"


def _failure(expectation: Expectation, problems: list[str], got: dict[str, Alarm]) -> str:
    shown = ", ".join(describe(a) for a in got.values()) or "none"
    return f"at {expectation.at_text}: {'; '.join(problems)}; got: {shown}"


def _flag(active: bool) -> str:
    return "active" if active else "inactive"
