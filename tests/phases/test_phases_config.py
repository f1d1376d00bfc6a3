"""Run-of-show files: exact errors with file, line, phase and field; a good file compiles every phase."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairwatch.errors import ConfigError
from fairwatch.events.validate import parse_time
from fairwatch.phases import load_phases, parse_phases
from fairwatch.taxonomy import Taxonomy

RULES_A = """rules:
  - id: hot
    alarm: fire.high_temperature
    severity: high
    when: {type: temperature, value: {gt: 55}}
"""
RULES_B = """rules:
  - id: hot
    alarm: fire.high_temperature
    severity: medium
    when: {type: temperature, value: {gt: 45}}
  - id: dense
    alarm: crowd_safety.high_density
    severity: high
    when: {type: crowd.density, value: {gt: 4}}
"""
RULES_BAD = """rules:
  - id: hot
    alarm: fire.nope
    severity: high
    when: {type: temperature, value: {gt: 55}}
"""
ID_HELP = "lowercase letters, digits, '-' and '_', starting with a letter or digit"
TIME_HELP = "an RFC 3339 time with a UTC offset, like 2026-07-04T12:00:00+01:00"


@pytest.fixture
def base(tmp_path: Path) -> Path:
    (tmp_path / "a.yaml").write_text(RULES_A)
    (tmp_path / "b.yaml").write_text(RULES_B)
    (tmp_path / "bad.yaml").write_text(RULES_BAD)
    return tmp_path


def errors(text: str, base: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_phases(text, "phases.yaml", base, Taxonomy.builtin().is_active)
    return [m.replace(str(base), "<dir>") for m in info.value.messages]


# (id, file text, exact messages; <dir> is the phases file's directory)
CASES: list[tuple[str, str, list[str]]] = [
    ("empty-file", "", ["phases.yaml:1: expected a mapping with the key 'phases'"]),
    ("top-is-a-list", "- a\n", ["phases.yaml:1: expected a mapping with the key 'phases'"]),
    (
        "invalid-yaml",
        "phases:\n  - {id: a\n",
        ["phases.yaml:3: invalid YAML: did not find expected ',' or '}'"],
    ),
    (
        "unknown-top-key",
        "phases:\n  - {id: a, rules: a.yaml}\nphase: 1\n",
        ["phases.yaml:3: unknown key 'phase' (expected phases)"],
    ),
    (
        "missing-phases",
        "other: 1\n",
        [
            "phases.yaml:1: unknown key 'other' (expected phases)",
            "phases.yaml:1: missing required key 'phases'",
        ],
    ),
    (
        "empty-list",
        "phases: []\n",
        ["phases.yaml:1: phases: expected a non-empty list of phases (got an empty list)"],
    ),
    ("not-a-list", "phases: a\n", ["phases.yaml:1: phases: expected a non-empty list of phases (got 'a')"]),
    (
        "phase-not-a-mapping",
        "phases:\n  - a\n",
        ["phases.yaml:2: phase 1: expected a mapping with id, rules and optionally starts (got 'a')"],
    ),
    (
        "unknown-phase-key",
        "phases:\n  - {id: a, rules: a.yaml, start: 2026-07-04T12:00:00+01:00}\n",
        ["phases.yaml:2: phase 1 ('a'): unknown key 'start' (expected one of id, rules, starts)"],
    ),
    (
        "missing-rules",
        "phases:\n  - {id: a}\n",
        ["phases.yaml:2: phase 1 ('a'): missing required key 'rules'"],
    ),
    ("missing-id", "phases:\n  - {rules: a.yaml}\n", ["phases.yaml:2: phase 1: missing required key 'id'"]),
    (
        "invalid-id",
        "phases:\n  - {id: Show Time, rules: a.yaml}\n",
        [f"phases.yaml:2: phase 1 ('Show Time'): id: invalid phase id 'Show Time' ({ID_HELP})"],
    ),
    (
        "id-number",
        "phases:\n  - {id: 12, rules: a.yaml}\n",
        ["phases.yaml:2: phase 1: id: expected a string (got 12)"],
    ),
    (
        "duplicate-id",
        "phases:\n  - {id: a, rules: a.yaml}\n  - {id: a, rules: b.yaml}\n",
        ["phases.yaml:3: phase 2 ('a'): id: duplicate phase id 'a' (first at line 2)"],
    ),
    (
        "duplicate-key",
        "phases:\n  - id: a\n    id: b\n    rules: a.yaml\n",
        ["phases.yaml:3: phase 1 ('a'): duplicate key 'id' (first at line 2)"],
    ),
    (
        "starts-without-time",
        "phases:\n  - {id: a, rules: a.yaml, starts: 2026-07-04}\n",
        [f"phases.yaml:2: phase 1 ('a'): starts: expected {TIME_HELP} (got '2026-07-04')"],
    ),
    (
        "starts-without-offset",
        "phases:\n  - {id: a, rules: a.yaml, starts: '2026-07-04T12:00:00'}\n",
        [f"phases.yaml:2: phase 1 ('a'): starts: expected {TIME_HELP} (got '2026-07-04T12:00:00')"],
    ),
    (
        "starts-out-of-order",
        "phases:\n"
        "  - {id: a, rules: a.yaml, starts: 2026-07-04T12:00:00+01:00}\n"
        "  - {id: m, rules: a.yaml}\n"
        "  - {id: b, rules: b.yaml, starts: 2026-07-04T11:00:00Z}\n",
        [
            "phases.yaml:4: phase 3 ('b'): starts: must be later than phase 1 ('a'),"
            " which starts 2026-07-04T12:00:00+01:00"
        ],
    ),
    (
        "rules-not-a-name",
        "phases:\n  - {id: a, rules: 3}\n",
        ["phases.yaml:2: phase 1 ('a'): rules: expected the name of a rules file (got 3)"],
    ),
    (
        "rules-file-missing",
        "phases:\n  - {id: a, rules: nope.yaml}\n",
        ["phases.yaml:2: phase 1 ('a'): rules: no such file 'nope.yaml' (looked for <dir>/nope.yaml)"],
    ),
    (
        "rules-file-invalid-reported-once",
        "phases:\n  - {id: a, rules: bad.yaml}\n  - {id: b, rules: bad.yaml}\n",
        ["<dir>/bad.yaml:3: rule 1 ('hot'): alarm: unknown alarm type 'fire.nope'"],
    ),
    (
        "every-problem-at-once",
        "phases:\n  - {id: A, rules: a.yaml}\n  - {id: b, rules: x.yaml, when: 1}\n",
        [
            f"phases.yaml:2: phase 1 ('A'): id: invalid phase id 'A' ({ID_HELP})",
            "phases.yaml:3: phase 2 ('b'): unknown key 'when' (expected one of id, rules, starts)",
            "phases.yaml:3: phase 2 ('b'): rules: no such file 'x.yaml' (looked for <dir>/x.yaml)",
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_config_errors_are_exact(base: Path, text: str, expected: list[str]) -> None:
    assert errors(text, base) == expected


SHOW = """phases:
  - {id: build-up, rules: a.yaml}
  - {id: show, rules: b.yaml, starts: 2026-07-04T15:00:00+01:00}
  - {id: teardown, rules: a.yaml, starts: "2026-07-05T01:00:00Z"}
"""


def test_a_good_file_compiles_every_phase(base: Path) -> None:
    (base / "show.yaml").write_text(SHOW)
    plan = load_phases(base / "show.yaml", Taxonomy.builtin().is_active)
    assert [(p.id, p.rules_file, p.path, p.starts, p.starts_text) for p in plan.phases] == [
        ("build-up", "a.yaml", base / "a.yaml", None, None),
        (
            "show",
            "b.yaml",
            base / "b.yaml",
            parse_time("2026-07-04T15:00:00+01:00"),
            "2026-07-04T15:00:00+01:00",
        ),
        ("teardown", "a.yaml", base / "a.yaml", parse_time("2026-07-05T01:00:00Z"), "2026-07-05T01:00:00Z"),
    ]
    assert [[r.id for r in p.ruleset] for p in plan.phases] == [["hot"], ["hot", "dense"], ["hot"]]
    assert plan.phases[0].ruleset is plan.phases[2].ruleset  # one file, read once
    assert plan.source == str(base / "show.yaml")


def test_rules_paths_are_relative_to_the_phases_file(base: Path) -> None:
    (base / "sub").mkdir()
    (base / "sub" / "show.yaml").write_text("phases:\n  - {id: only, rules: ../a.yaml}\n")
    plan = load_phases(base / "sub" / "show.yaml")
    assert plan.phases[0].path == base / "a.yaml"


def test_an_unreadable_phases_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_phases(tmp_path / "missing.yaml")
    assert info.value.messages == [
        f"{tmp_path}/missing.yaml:1: cannot read phases file: No such file or directory"
    ]
