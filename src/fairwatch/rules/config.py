"""Rule files as written: strict YAML -> config objects (not yet compiled; see `rules.model`).

Unknown keys, wrong types and bad values are collected for the whole file and raised together as one
`ConfigError`; each message names file, line, rule index and id, field path and the bad value.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import yaml

from fairwatch.errors import ConfigError
from fairwatch.model import Severity
from fairwatch.rules._nodes import DATA_KEY, Node, Reader, foreign_tags, is_data_key
from fairwatch.rules.conditions import read_clear, read_when, zone_group_problem
from fairwatch.rules.declared import check_group_key
from fairwatch.rules.people import check_people
from fairwatch.rules.spec import (
    AbsentWhen,
    AllWhen,
    AnyWhen,
    ClearConfig,
    ConditionConfig,
    CountConfig,
    MatcherConfig,
    SimpleWhen,
    When,
)
from fairwatch.yamlfile import compose, line_of, one_of

if TYPE_CHECKING:
    from fairwatch.schemas import Catalogue
    from fairwatch.site import Site

__all__ = [
    "AbsentWhen",
    "AllWhen",
    "AnyWhen",
    "ClearConfig",
    "ConditionConfig",
    "CountConfig",
    "MatcherConfig",
    "RuleConfig",
    "SimpleWhen",
    "When",
    "read_rules",
]

KnownType = Callable[[str], bool]

GROUP_KEYS = ("zone", "source", "site", "type", DATA_KEY)
RULE_KEYS = ("id", "alarm", "severity", "description", "when", "group_by", "clear")
RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
ALARM_TYPE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")
SEVERITIES = tuple(s.value for s in Severity)


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """One rule as written; `index` is 1-based, `line` where it starts."""

    index: int
    line: int
    id: str
    alarm: str
    severity: Severity
    when: When
    description: str = ""
    group_by: tuple[str, ...] = ()
    clear: ClearConfig | None = None


def read_rules(
    text: str,
    filename: str = "rules.yaml",
    known_type: KnownType | None = None,
    site: Site | None = None,
    schemas: Catalogue | None = None,
) -> list[RuleConfig]:
    """Parse and check a rule file; raise ConfigError listing every problem found.

    With a `site`, zone ids the rules name must exist in it (and geofences, capacities and areas come
    from it); without one, rules that need a site are errors. With `schemas` (the deployment always passes the
    catalogue in force), rules may use declared event types and measurements only (RS-11).
    """
    reader = Reader(filename, site=site, schemas=schemas)
    root, syntax_error = compose(text, filename)
    if syntax_error is not None:
        raise ConfigError([syntax_error])
    for node in foreign_tags(root) if root is not None else ():
        reader.file_error(line_of(node), f"unsupported YAML tag {node.tag!r}")
    rules = _read_file(reader, root, known_type)
    if reader.errors:
        raise ConfigError(reader.errors)
    return rules


def _read_file(reader: Reader, root: Node | None, known_type: KnownType | None) -> list[RuleConfig]:
    if root is None:
        reader.file_error(1, "expected a mapping with key 'rules' (got an empty document)")
        return []
    entries = reader.mapping(root, "", ("rules",))
    if entries is None or not reader.require(root, "", entries, ("rules",)):
        return []
    items = reader.sequence(entries["rules"][1], "rules", "rules")
    if items is None:
        return []
    rules: list[RuleConfig] = []
    first_seen: dict[str, tuple[int, int]] = {}
    for index, node in enumerate(items, start=1):
        reader.rule, reader.rule_id = index, None
        rule = _read_rule(reader, node, index, known_type, first_seen)
        if rule is not None:
            rules.append(rule)
    reader.rule = reader.rule_id = None
    return rules


def _read_rule(
    reader: Reader,
    node: Node,
    index: int,
    known_type: KnownType | None,
    first_seen: dict[str, tuple[int, int]],
) -> RuleConfig | None:
    errors_before = reader.count
    reader.rule_id = _peek_id(reader, node)
    entries = reader.mapping(node, "", RULE_KEYS)
    if entries is None:
        return None
    rule_id = _read_id(reader, entries, index, first_seen)
    present = reader.require(node, "", entries, ("id", "alarm", "severity", "when"))
    alarm = _read_alarm(reader, entries, known_type)
    severity = _read_severity(reader, entries)
    description = _read_description(reader, entries)
    when = read_when(reader, entries["when"][1]) if "when" in entries else None
    group_by = _read_group_by(reader, entries["group_by"][1], when) if "group_by" in entries else ()
    when_node = entries["when"][1] if "when" in entries else None
    clear = read_clear(reader, entries["clear"], when_node, when) if "clear" in entries else None
    if when is not None and "when" in entries:
        check_people(reader, entries["when"][1], when)
    derived = zone_group_problem(when, group_by) if when is not None else None
    if derived is not None and when_node is not None:
        hint = "add group_by: [zone] so that each zone is judged on its own"
        reader.error(when_node, f"when.{derived}", f"no zone given: {hint}")
    if not present or reader.count > errors_before:
        return None
    assert rule_id and alarm and severity and when is not None
    return RuleConfig(index, line_of(node), rule_id, alarm, severity, when, description, group_by, clear)


def _peek_id(reader: Reader, node: Node) -> str | None:
    """The rule's id if it has a string one, so that every message about the rule can name it."""
    if not isinstance(node, yaml.MappingNode):
        return None
    ids = [reader.value(v) for k, v in node.value if reader.value(k) == "id"]
    return ids[0] if ids and isinstance(ids[0], str) and ids[0] else None


def _read_id(
    reader: Reader, entries: dict[str, tuple[Node, Node]], index: int, first_seen: dict[str, tuple[int, int]]
) -> str | None:
    if "id" not in entries:
        return None
    node = entries["id"][1]
    rule_id = reader.string(node, "id")
    if rule_id is None:
        return None
    reader.rule_id = rule_id
    if not RULE_ID.fullmatch(rule_id):
        reason = "expected lowercase letters, digits, '_', '.' or '-', starting with a letter or digit"
        reader.error(node, "id", f"invalid rule id {rule_id!r} ({reason})")
    if rule_id in first_seen:
        rule_no, line = first_seen[rule_id]
        reader.error(
            node, "id", f"duplicate rule id {rule_id!r} (first defined by rule {rule_no} at line {line})"
        )
    else:
        first_seen[rule_id] = (index, line_of(node))
    reader.guard(node, "id", rule_id)
    return rule_id


def _read_alarm(
    reader: Reader, entries: dict[str, tuple[Node, Node]], known_type: KnownType | None
) -> str | None:
    if "alarm" not in entries:
        return None
    node = entries["alarm"][1]
    alarm = reader.string(node, "alarm")
    if alarm is None:
        return None
    reader.guard(node, "alarm", alarm)
    if not ALARM_TYPE.fullmatch(alarm):
        reason = "expected class.name in lowercase letters, digits and '_', e.g. fire.suspected"
        reader.error(node, "alarm", f"invalid alarm type {alarm!r} ({reason})")
    elif known_type is not None and not known_type(alarm):
        reader.error(node, "alarm", f"unknown alarm type {alarm!r}")
    return alarm


def _read_severity(reader: Reader, entries: dict[str, tuple[Node, Node]]) -> Severity | None:
    if "severity" not in entries:
        return None
    node = entries["severity"][1]
    value = reader.value(node)
    if isinstance(value, str) and value in SEVERITIES:
        return Severity(value)
    reader.error(
        node, "severity", f"invalid severity {reader.describe(node)} (expected {one_of(SEVERITIES)})"
    )
    return None


def _read_description(reader: Reader, entries: dict[str, tuple[Node, Node]]) -> str:
    if "description" not in entries:
        return ""
    node = entries["description"][1]
    value = reader.value(node)
    if not isinstance(value, str):
        reader.error(node, "description", "expected a string", got=node)
        return ""
    reader.guard(node, "description", value)
    return value


def _read_group_by(reader: Reader, node: Node, when: When | None) -> tuple[str, ...]:
    items = reader.sequence(node, "group_by", "group keys")
    keys: list[str] = []
    for i, item in enumerate(items or ()):
        path = f"group_by[{i}]"
        key = reader.string(item, path)
        if key is None:
            continue
        if key in keys:
            reader.error(item, path, f"duplicate group key {key!r}")
        elif key in GROUP_KEYS or is_data_key(key):
            keys.append(key)
            if is_data_key(key):
                reader.guard(item, path, key[5:])
                check_group_key(reader, item, path, key[5:], when)
        else:
            reader.error(item, path, f"unknown group key {key!r} (expected {one_of(GROUP_KEYS)})")
    return tuple(keys)
