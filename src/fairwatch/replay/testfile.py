"""Rule test files (like `promtool test rules`): strict YAML -> checked test cases with validated events.

rule_files: [riverside.yaml]          # relative to the test file
tests:
  - name: crush risk after a minute
    start: 2026-07-04T18:00:00Z        # optional
    events: [{at: 0s, source: cam-1, type: crowd.density, zone: main-stage, value: 4.5}, ...]
    expect: [{at: 61s, alarms: [{rule: crowd-crush-risk, group: {zone: main-stage}, active: true}]}]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fairwatch import config
from fairwatch.errors import ConfigError, InvalidInput
from fairwatch.events import validate_events
from fairwatch.events.validate import parse_time
from fairwatch.model import Event
from fairwatch.replay.strict import Node, Reader, compose, foreign_tags
from fairwatch.rules import RuleSet, load_rules
from fairwatch.schemas import builtin
from fairwatch.site import Site
from fairwatch.yamlfile import line_of, read_text

Known = dict[str, tuple[str, ...]]  # rule id -> its group_by keys
DEFAULT_START = 1_767_225_600.0  # 2026-01-01T00:00:00Z
FILE_KEYS = ("rule_files", "site", "tests")
FILE_REQUIRED = ("rule_files", "tests")
TEST_KEYS = ("name", "start", "events", "expect")
EXPECT_KEYS = ("at", "alarms")
ALARM_KEYS = ("rule", "group", "active", "count")


@dataclass(frozen=True, slots=True)
class ExpectedAlarm:
    """An alarm that must be open: its rule, group values, active flag and (if given) count."""

    rule: str
    group: dict[str, str]
    active: bool = True
    count: int | None = None


@dataclass(frozen=True, slots=True)
class Expectation:
    """The exact set of open alarms `at` seconds after the test's start (`at_text` as written)."""

    at: float
    at_text: str
    alarms: tuple[ExpectedAlarm, ...]


@dataclass(frozen=True, slots=True)
class RuleTest:
    """One test case: events at offsets from `start`, and expectations in time order."""

    name: str
    start: float
    events: tuple[tuple[float, Event], ...]
    expect: tuple[Expectation, ...]


@dataclass(frozen=True, slots=True)
class TestFile:
    """A checked test file: its rule sets (in file order) and its tests."""

    path: Path
    rulesets: tuple[RuleSet, ...]
    tests: tuple[RuleTest, ...]


def load_test_file(path: Path) -> TestFile:
    """Read and check a rule test file and the rule files it names; ConfigError lists every problem."""
    text = read_text(path, "test")
    reader = Reader(str(path))
    root = compose(text, str(path))
    for node in foreign_tags(root) if root is not None else ():
        reader.error(node, "", f"unsupported YAML tag {node.tag!r}")
    reader.raise_if_any()
    if root is None:
        raise ConfigError(
            [f"{path}:1: expected a mapping with keys 'rule_files' and 'tests' (got an empty document)"]
        )
    entries = reader.mapping(root, "", FILE_KEYS, FILE_REQUIRED)
    reader.raise_if_any()
    assert entries is not None
    site = _read_site(reader, path.parent, entries["site"][1]) if "site" in entries else None
    reader.raise_if_any()  # the rule files are compiled against the site and the schemas in force
    reader.schemas = builtin()
    if site is not None:
        reader.schemas = config.site_schemas(path.parent / str(reader.value(entries["site"][1])), builtin())
        reader.zones = site.zone_ids
    rulesets = _read_rule_files(reader, path.parent, entries["rule_files"][1], site)
    reader.raise_if_any()  # expectations name rules: check them only against readable rule files
    known = {rule.id: rule.group_by for ruleset in rulesets for rule in ruleset}
    tests = _read_tests(reader, entries["tests"][1], known)
    reader.raise_if_any()
    return TestFile(path, tuple(rulesets), tuple(tests))


def _read_site(reader: Reader, base: Path, node: Node) -> Site | None:
    name = reader.string(node, "site")
    if name is None:
        return None
    try:
        return config.load_site(base / name)  # the rights guard's checks, as `serve` runs them
    except ConfigError as exc:
        reader.found.extend((line_of(node), m) for m in exc.messages)
        return None


def _read_rule_files(reader: Reader, base: Path, node: Node, site: Site | None) -> list[RuleSet]:
    rulesets: list[RuleSet] = []
    first: dict[str, str] = {}
    for i, item in enumerate(reader.sequence(node, "rule_files", "rule file paths") or []):
        name = reader.string(item, f"rule_files[{i}]")
        if name is None:
            continue
        try:
            ruleset = load_rules(base / name, site=site, schemas=reader.schemas)
        except ConfigError as exc:
            reader.found.extend((line_of(item), m) for m in exc.messages)
            continue
        for rule in ruleset:
            if rule.id in first:
                reader.error(
                    item, f"rule_files[{i}]", f"rule id {rule.id!r} is also defined in {first[rule.id]}"
                )
            first.setdefault(rule.id, name)
        rulesets.append(ruleset)
    if not rulesets and reader.count == 0:
        reader.error(node, "rule_files", "name at least one rule file")
    return rulesets


def _read_tests(reader: Reader, node: Node, known: Known) -> list[RuleTest]:
    tests: list[RuleTest] = []
    names: dict[str, int] = {}
    for number, item in enumerate(reader.sequence(node, "tests", "tests") or [], start=1):
        reader.item = f"test {number}"
        test = _read_test(reader, item, number, known, names)
        if test is not None:
            tests.append(test)
    reader.item = ""
    return tests


def _read_test(
    reader: Reader, node: Node, number: int, known: Known, names: dict[str, int]
) -> RuleTest | None:
    before = reader.count
    entries = reader.mapping(node, "", TEST_KEYS, ("name", "expect"))
    if entries is None:
        return None
    name = reader.string(entries["name"][1], "name") if "name" in entries else None
    if name is not None:
        reader.item = f"test {number} ({name!r})"
        if name in names:
            reader.error(
                entries["name"][1], "name", f"duplicate test name {name!r} (first at line {names[name]})"
            )
        names.setdefault(name, line_of(entries["name"][1]))
    start = _read_start(reader, entries["start"][1]) if "start" in entries else DEFAULT_START
    events = _read_events(reader, entries["events"][1], start, number) if "events" in entries else []
    expect = _read_expect(reader, entries["expect"][1], known) if "expect" in entries else []
    if reader.count > before or name is None or start is None:
        return None
    return RuleTest(name, start, tuple(events), tuple(expect))


def _read_start(reader: Reader, node: Node) -> float | None:
    start = parse_time(node.value) if isinstance(node, yaml.ScalarNode) else None
    if start is None:
        reader.error(
            node,
            "start",
            "expected an RFC 3339 time with a time zone like 2026-07-04T18:00:00Z",
            got=node,
        )
    return start


def _read_events(reader: Reader, node: Node, start: float | None, number: int) -> list[tuple[float, Event]]:
    events: list[tuple[float, Event]] = []
    last: tuple[float, str] = (0.0, "0s")
    for i, item in enumerate(reader.sequence(node, "events", "events") or []):
        path = f"events[{i}]"
        entries = reader.mapping(item, path, None, ("at",))  # other keys are the event contract's to check
        offset = reader.offset(entries["at"][1], f"{path}.at") if entries and "at" in entries else None
        if entries is None or offset is None or start is None:
            continue
        if offset[0] < last[0]:
            message = f"{offset[1]} is before the previous event's {last[1]}; list events in time order"
            reader.error(entries["at"][1], f"{path}.at", message)
        else:
            last = offset
        raw: dict[str, Any] = {k: reader.value(v) for k, (_, v) in entries.items() if k != "at"}
        raw.setdefault("id", f"test{number}-event{i}")  # deterministic ids instead of random ones
        event = _validate(reader, item, path, raw, start + offset[0])
        if event is not None:
            events.append((offset[0], event))
    return events


def _validate(reader: Reader, node: Node, path: str, raw: dict[str, Any], now: float) -> Event | None:
    """The event contract's own checks and messages (fairwatch.events), positioned in the test file."""
    try:
        [event] = validate_events([raw], now, schemas=reader.schemas, zones=reader.zones)
    except InvalidInput as exc:
        for p in exc.problems:
            reader.error(node, f"{path}.{p.field}" if p.field else path, f"{p.message} (got {p.value!r})")
        return None
    return event


def _read_expect(reader: Reader, node: Node, known: Known) -> list[Expectation]:
    found: list[Expectation] = []
    for i, item in enumerate(reader.sequence(node, "expect", "expectations") or []):
        path = f"expect[{i}]"
        entries = reader.mapping(item, path, EXPECT_KEYS, EXPECT_KEYS)
        if entries is None or len(entries) < 2:
            continue
        offset = reader.offset(entries["at"][1], f"{path}.at")
        alarms = _read_alarms(reader, entries["alarms"][1], f"{path}.alarms", known)
        if offset is not None and found and offset[0] < found[-1].at:
            reader.error(
                entries["at"][1],
                f"{path}.at",
                f"expectations must be in time order ({offset[1]} is before {found[-1].at_text})",
            )
        if offset is not None and alarms is not None:
            found.append(Expectation(offset[0], offset[1], alarms))
    return found


def _read_alarms(reader: Reader, node: Node, path: str, known: Known) -> tuple[ExpectedAlarm, ...] | None:
    items = reader.sequence(node, path, "expected alarms")
    if items is None:
        return None
    before = reader.count
    alarms: list[ExpectedAlarm] = []
    for i, item in enumerate(items):
        alarm = _read_alarm(reader, item, f"{path}[{i}]", known)
        if alarm is not None and any(a.rule == alarm.rule and a.group == alarm.group for a in alarms):
            reader.error(
                item, f"{path}[{i}]", f"alarm {alarm.rule} {format_group(alarm.group)} is listed twice"
            )
        elif alarm is not None:
            alarms.append(alarm)
    return tuple(alarms) if reader.count == before else None


def _read_alarm(reader: Reader, node: Node, path: str, known: Known) -> ExpectedAlarm | None:
    before = reader.count
    entries = reader.mapping(node, path, ALARM_KEYS, ("rule",))
    if entries is None or "rule" not in entries:
        return None
    rule = reader.string(entries["rule"][1], f"{path}.rule")
    if rule is not None and rule not in known:
        reader.error(
            entries["rule"][1],
            f"{path}.rule",
            f"unknown rule {rule!r} (the rule files define {', '.join(sorted(known))})",
        )
    errors = reader.count
    group = _read_group(reader, entries["group"][1], f"{path}.group") if "group" in entries else {}
    if rule is not None and rule in known and reader.count == errors and set(group) != set(known[rule]):
        keys = ", ".join(known[rule]) or "nothing"
        where = entries["group"][1] if "group" in entries else node
        reader.error(where, f"{path}.group", f"rule {rule!r} groups by {keys}; give exactly those keys")
    active = _read_typed(reader, entries.get("active"), f"{path}.active", bool, "true or false", True)
    count = _read_typed(
        reader, entries.get("count"), f"{path}.count", int, "a whole number of 1 or more", None
    )
    if count is not None and count < 1:
        reader.error(entries["count"][1], f"{path}.count", "expected a whole number of 1 or more", got=count)
    if reader.count > before or rule is None:
        return None
    return ExpectedAlarm(rule, group, bool(active), count)


def _read_group(reader: Reader, node: Node, path: str) -> dict[str, str]:
    entries = reader.mapping(node, path, None)  # any key: the rule's group_by decides which exist
    return {
        k: v for k, (_, n) in (entries or {}).items() if (v := reader.string(n, f"{path}.{k}")) is not None
    }


def _read_typed(
    reader: Reader, entry: tuple[Node, Node] | None, path: str, kind: type, what: str, default: Any
) -> Any:
    if entry is None:
        return default
    value = reader.value(entry[1])
    if type(value) is not kind:
        reader.error(entry[1], path, f"expected {what}", got=entry[1])
        return default
    return value


def format_group(group: dict[str, str]) -> str:
    """`{zone=main-stage, source=cam-1}` as output and messages show a group."""
    return "{" + ", ".join(f"{k}={v}" for k, v in group.items()) + "}"
