"""The one strict YAML reader: every kind of configuration file reports a bad value in the one format
`FILE:LINE: ITEM: FIELD: message (got VALUE)`, and the reader's own rules (keys, values, order)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from fairwatch.errors import ConfigError
from fairwatch.notify.config import load_notify, parse_notify
from fairwatch.phases.config import load_phases, parse_phases
from fairwatch.replay.testfile import load_test_file
from fairwatch.rules import load_rules, parse_rules
from fairwatch.site import load_site, parse_site
from fairwatch.taxonomy.check import read_file
from fairwatch.taxonomy.parse import read_entries
from fairwatch.yamlfile import Reader, compose, load_yaml, show

FORMAT = re.compile(
    r"^(?P<file>[^:]+):(?P<line>\d+): (?P<item>[^:]+): (?P<field>[\w.\[\]]+): (?P<message>.+) \(got (?P<value>.+)\)$"
)


def errors(read: Callable[[], object]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        read()
    return info.value.messages


def _rules() -> object:
    text = "rules:\n  - id: r\n    alarm: fire.x\n    severity: high\n    when: {type: t, zone: 3}\n"
    return parse_rules(text, "rules.yaml")


def _notify() -> object:
    text = "receivers:\n  - name: hook\n    webhook: {url: 'ftp://x/'}\nroutes: []\n"
    return parse_notify(text, "notify.yaml", environ={})


def _phases() -> object:
    return parse_phases("phases:\n  - id: a\n    rules: 3\n", "phases.yaml", Path("."))


def _site() -> object:
    text = (
        "site: {id: s, name: S, timezone: UTC, plan: {width: 100, height: 50}}\n"
        "zones:\n  - {id: a, name: A, polygon: [[0, 0], [10, 0], [10, 10]], capacity: many}\n"
    )
    return parse_site(text, "t.site.yaml")


def _taxonomy() -> object:
    text = (
        "taxonomy:\n  - id: other_safety.x\n    names: {en: X}\n    description: d\n    severity: 3\n"
        "    hazard_class: other_safety\n    cap_category: Safety\n"
    )
    return read_entries(text, "taxonomy.yaml")


# (id, read a file with one bad value, file, line, item, field, value)
CASES: list[tuple[str, Callable[[], object], str, int, str, str, str]] = [
    ("rules", _rules, "rules.yaml", 5, "rule 1 ('r')", "when.zone", "3"),
    ("notify", _notify, "notify.yaml", 3, "receiver 1 ('hook')", "webhook.url", "'ftp://x/'"),
    ("phases", _phases, "phases.yaml", 3, "phase 1 ('a')", "rules", "3"),
    ("site", _site, "t.site.yaml", 3, "zone 1 ('a')", "capacity", "'many'"),
    ("taxonomy", _taxonomy, "taxonomy.yaml", 5, "type 1 ('other_safety.x')", "severity", "3"),
]


@pytest.mark.parametrize(
    ("read", "file", "line", "item", "field", "value"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_every_file_kind_names_file_line_item_field_and_value_alike(
    read: Callable[[], object], file: str, line: int, item: str, field: str, value: str
) -> None:
    [message] = errors(read)
    found = FORMAT.match(message)
    assert found is not None, message
    assert (found["file"], int(found["line"]), found["item"], found["field"], found["value"]) == (
        file,
        line,
        item,
        field,
        value,
    )


def test_rule_test_files_use_the_format_too(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text(
        "rules:\n  - {id: r, alarm: fire.x, severity: high, when: {type: smoke.detected}}\n"
    )
    path = tmp_path / "r.test.yaml"
    path.write_text("rule_files: [rules.yaml]\ntests:\n  - name: t\n    start: tomorrow\n    events: []\n")
    [message] = [m for m in errors(lambda: load_test_file(path)) if ": start: " in m]
    found = FORMAT.match(message)
    assert found is not None, message
    assert (int(found["line"]), found["item"], found["field"], found["value"]) == (
        4,
        "test 1 ('t')",
        "start",
        "'tomorrow'",
    )


# (id, YAML, allowed keys, required keys, the messages)
MAPPINGS: list[tuple[str, str, tuple[str, ...] | None, tuple[str, ...], list[str]]] = [
    ("not-a-mapping", "[a]", ("a",), (), ["f.yaml:1: item: expected a mapping (got a list)"]),
    ("unknown-key-one", "{b: 1}", ("a",), (), ["f.yaml:1: item: unknown key 'b' (expected a)"]),
    (
        "unknown-key-many",
        "{c: 1}",
        ("a", "b"),
        (),
        ["f.yaml:1: item: unknown key 'c' (expected one of a, b)"],
    ),
    ("any-key-when-none-listed", "{c: 1}", None, (), []),
    ("missing-required", "{a: 1}", ("a", "b"), ("b",), ["f.yaml:1: item: missing required key 'b'"]),
    ("duplicate", "a: 1\na: 2\n", ("a",), (), ["f.yaml:2: item: duplicate key 'a' (first at line 1)"]),
    ("key-not-a-string", "{1: x}", ("a",), (), ["f.yaml:1: item: keys must be strings (got 1)"]),
]


@pytest.mark.parametrize(
    ("text", "allowed", "required", "expected"), [c[1:] for c in MAPPINGS], ids=[c[0] for c in MAPPINGS]
)
def test_mapping(
    text: str, allowed: tuple[str, ...] | None, required: tuple[str, ...], expected: list[str]
) -> None:
    root, problem = compose(text, "f.yaml")
    assert problem is None and root is not None
    reader = Reader("f.yaml", item="item")
    reader.mapping(root, "", allowed, required)
    assert reader.errors == expected


# (id, YAML value, how it is shown)
SHOWN = [
    ("string", "'x'", "'x'"),
    ("number", "3", "3"),
    ("boolean", "yes", "True"),
    ("null", "~", "nothing"),
    ("timestamp-as-written", "2026-07-04", "'2026-07-04'"),
    ("list", "[1]", "a list"),
    ("empty-list", "[]", "an empty list"),
    ("mapping", "{a: 1}", "a mapping"),
    ("empty-mapping", "{}", "an empty mapping"),
]


@pytest.mark.parametrize(("text", "shown"), [c[1:] for c in SHOWN], ids=[c[0] for c in SHOWN])
def test_values_are_shown_alike_as_nodes_and_as_plain_values(text: str, shown: str) -> None:
    root, _ = compose(f"v: {text}\n", "f.yaml")
    assert root is not None
    node = root.value[0][1]
    assert Reader("f.yaml").describe(node) == shown
    if shown != "'2026-07-04'":  # plain values have no "as written"
        assert show(yaml.safe_load(text)) == shown


def test_errors_come_in_line_order_and_file_errors_have_no_item() -> None:
    reader = Reader("f.yaml", item="zone 2")
    reader.error(7, "capacity", "expected a positive integer", got=-5)
    reader.file_error(1, "missing required key 'zones'")
    assert reader.errors == [
        "f.yaml:1: missing required key 'zones'",
        "f.yaml:7: zone 2: capacity: expected a positive integer (got -5)",
    ]
    with pytest.raises(ConfigError) as info:
        reader.raise_if_any()
    assert info.value.messages == reader.errors


# (id, loader of a missing file, the kind of file its message names)
LOADERS: list[tuple[str, Callable[[Path], object], str]] = [
    ("rules", load_rules, "rule"),
    ("notify", load_notify, "notification"),
    ("rule-tests", load_test_file, "test"),
    ("phases", load_phases, "phases"),
    ("site", load_site, "site"),
    ("taxonomy", read_file, "taxonomy"),
]


@pytest.mark.parametrize(("load", "what"), [c[1:] for c in LOADERS], ids=[c[0] for c in LOADERS])
def test_an_unreadable_file_is_named_alike_by_every_loader(
    tmp_path: Path, load: Callable[[Path], object], what: str
) -> None:
    missing = tmp_path / "missing.yaml"
    assert errors(lambda: load(missing)) == [
        f"{missing}:1: cannot read {what} file: No such file or directory"
    ]


# (id, YAML, allowed keys, required keys, the messages): the same rules for line-tracking values (site, taxonomy)
LINE_MAPPINGS: list[tuple[str, str, tuple[str, ...], tuple[str, ...], list[str]]] = [
    ("not-a-mapping", "[a]", ("a",), (), ["f.yaml:1: item: expected a mapping (got a list)"]),
    (
        "unknown-key",
        "a: 1\nc: 1\n",
        ("a", "b"),
        (),
        ["f.yaml:2: item: unknown key 'c' (expected one of a, b)"],
    ),
    ("missing-required", "{a: 1}", ("a", "b"), ("b",), ["f.yaml:1: item: missing required key 'b'"]),
]


@pytest.mark.parametrize(
    ("text", "allowed", "required", "expected"),
    [c[1:] for c in LINE_MAPPINGS],
    ids=[c[0] for c in LINE_MAPPINGS],
)
def test_line_mapping(
    text: str, allowed: tuple[str, ...], required: tuple[str, ...], expected: list[str]
) -> None:
    reader = Reader("f.yaml", item="item")
    reader.line_mapping(load_yaml(text, "f.yaml"), 1, "", allowed, required)
    assert reader.errors == expected
