"""`fairwatch rules test`: exact output for passing and failing tests, exact messages for malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fairwatch.cli import cli

runner = CliRunner()
EXAMPLES = Path(__file__).parents[2] / "examples" / "rules"

RULES = """\
rules:
  - id: crowd-crush-risk
    alarm: crowd_safety.crush_risk
    severity: critical
    when: {type: crowd.density, value: {gt: 4.0}, for: 60s}
    group_by: [zone]
    clear: {value: {lt: 3.0}}
  - id: panic-button
    alarm: violence.panic_alarm
    severity: high
    when: {type: panic.pressed}
    group_by: [source]
    clear: {type: panic.reset}
"""

CRUSH_EVENTS = """\
    events:
      - {at: 0s,  source: cam-1, type: crowd.density, zone: main-stage, value: 4.5}
      - {at: 30s, source: cam-1, type: crowd.density, zone: main-stage, value: 4.6}
      - {at: 61s, source: cam-1, type: crowd.density, zone: main-stage, value: 4.7}
"""

PASSING = f"""\
rule_files: [rules.yaml]
tests:
  - name: crush risk after a minute
    start: 2026-07-04T18:00:00Z
{CRUSH_EVENTS}\
    expect:
      - at: 59s
        alarms: []
      - at: 61s
        alarms: [{{rule: crowd-crush-risk, group: {{zone: main-stage}}, active: true}}]
  - name: panic until reset
    events:
      - {{at: 5s, source: panic-1, type: panic.pressed}}
      - {{at: 6s, source: panic-1, type: panic.pressed}}
      - {{at: 1m, source: panic-1, type: panic.reset}}
    expect:
      - at: 10s
        alarms: [{{rule: panic-button, group: {{source: panic-1}}, count: 2}}]
      - at: 1m
        alarms: [{{rule: panic-button, group: {{source: panic-1}}, active: false}}]
"""

FAILING = f"""\
rule_files: [rules.yaml]
tests:
  - name: crush risk after a minute
{CRUSH_EVENTS}\
    expect:
      - at: 59s
        alarms: []
      - at: 61s
        alarms: [{{rule: crowd-crush-risk, group: {{zone: main-stage}}, active: true}}]
  - name: too early
{CRUSH_EVENTS}\
    expect:
      - at: 30s
        alarms: [{{rule: crowd-crush-risk, group: {{zone: main-stage}}}}]
      - at: 61s
        alarms: [{{rule: crowd-crush-risk, group: {{zone: main-stage}}, active: false, count: 1}}]
  - name: wrong group and an unexpected alarm
    events:
      - {{at: 0s, source: panic-1, type: panic.pressed}}
      - {{at: 1s, source: panic-2, type: panic.pressed}}
    expect:
      - at: 2s
        alarms: [{{rule: panic-button, group: {{source: panic-3}}}}, {{rule: panic-button, group: {{source: panic-2}}}}]
"""


def write(tmp_path: Path, test_yaml: str, rules: str = RULES) -> Path:
    (tmp_path / "rules.yaml").write_text(rules)
    path = tmp_path / "rules.test.yaml"
    path.write_text(test_yaml)
    return path


def test_passing_file_prints_pass_per_test_and_exits_0(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["rules", "test", str(write(tmp_path, PASSING))])
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "PASS crush risk after a minute\nPASS panic until reset\n2 passed, 0 failed\n",
        "",
    )


def test_failing_file_shows_expected_against_got_per_at_and_exits_1(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["rules", "test", str(write(tmp_path, FAILING))])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "PASS crush risk after a minute",
        "FAIL too early: at 30s: missing alarm crowd-crush-risk {zone=main-stage} (active); got: none",
        "FAIL too early: at 61s: alarm crowd-crush-risk {zone=main-stage} is active, expected inactive; "
        "alarm crowd-crush-risk {zone=main-stage} has count 2, expected 1; "
        "got: crowd-crush-risk {zone=main-stage} (active)",
        "FAIL wrong group and an unexpected alarm: at 2s: missing alarm panic-button {source=panic-3} (active); "
        "unexpected alarm panic-button {source=panic-1} (active); "
        "got: panic-button {source=panic-1} (active), panic-button {source=panic-2} (active)",
        "1 passed, 2 failed",
    ]


def test_the_example_tests_pass_and_cover_every_example_rule() -> None:
    path = EXAMPLES / "riverside.test.yaml"
    result = runner.invoke(cli, ["rules", "test", str(path)])
    assert result.exit_code == 0, result.stdout
    assert result.stdout.endswith(" passed, 0 failed\n") and "FAIL" not in result.stdout
    from fairwatch.replay import load_test_file
    from fairwatch.rules import load_rules

    tested = {a.rule for t in load_test_file(path).tests for e in t.expect for a in e.alarms}
    assert tested == {r.id for r in load_rules(EXAMPLES / "riverside.yaml")}


TEST_HEAD = "rule_files: [rules.yaml]\ntests:\n  - name: t\n"

# (id, test file text, exact stderr lines; {f} is the test file's path, {r} the rule file's)
MALFORMED = [
    ("yaml-syntax", "rule_files: [rules.yaml\n", ["{f}:2: invalid YAML: did not find expected ',' or ']'"]),
    ("empty", "", ["{f}:1: expected a mapping with keys 'rule_files' and 'tests' (got an empty document)"]),
    (
        "top-level-keys",
        "rule_file: [rules.yaml]\n",
        [
            "{f}:1: unknown key 'rule_file' (expected one of rule_files, site, tests)",
            "{f}:1: missing required key 'rule_files'",
            "{f}:1: missing required key 'tests'",
        ],
    ),
    (
        "missing-rule-file",
        "rule_files: [nope.yaml]\ntests: []\n",
        ["{d}/nope.yaml:1: cannot read rule file: No such file or directory"],
    ),
    (
        "missing-site",
        "rule_files: [rules.yaml]\nsite: nope.site.yaml\ntests: []\n",
        ["{d}/nope.site.yaml:1: cannot read site file: No such file or directory"],
    ),
    (
        "invalid-rule-file",
        "rule_files: [bad.yaml]\ntests: []\n",
        [
            "{d}/bad.yaml:5: rule 1 ('x'): when.value: unknown operator 'gtt' (expected one of gt, gte, lt, lte, eq, ne, in)"
        ],
    ),
    (
        "bad-at-and-unknown-key",
        TEST_HEAD + "    events:\n      - {at: 5x, source: s, type: heartbeat}\n"
        "    expect:\n      - {at: 1s, alarms: [], when: now}\n",
        [
            "{f}:5: test 1 ('t'): events[0].at: invalid duration '5x' "
            "(expected a duration like 0s, 61s, 1m30s or 2h (units ms, s, m, h, d))",
            "{f}:7: test 1 ('t'): expect[0]: unknown key 'when' (expected one of at, alarms)",
        ],
    ),
    (
        "invalid-event-same-messages-as-the-api",
        TEST_HEAD + "    events:\n      - {at: 0s, source: s, type: Crowd, value: high, religion: x}\n"
        "    expect: []\n",
        [
            "{f}:5: test 1 ('t'): events[0].religion: unknown field "
            "(allowed: id, source, type, time, site, zone, value, location, data) (got 'x')",
            "{f}:5: test 1 ('t'): events[0].type: must be lowercase dotted like 'crowd.density' "
            "(pattern ^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*$) (got 'Crowd')",
            "{f}:5: test 1 ('t'): events[0].value: must be a finite number (got 'high')",
        ],
    ),
    (
        "events-out-of-order",
        TEST_HEAD + "    events:\n      - {at: 1m, source: s, type: heartbeat}\n"
        "      - {at: 30s, source: s, type: heartbeat}\n    expect: []\n",
        [
            "{f}:6: test 1 ('t'): events[1].at: 30s is before the previous event's 1m; list events in time order"
        ],
    ),
    (
        "expectation-errors",
        TEST_HEAD + "    start: tomorrow\n    expect:\n      - at: 1s\n        alarms:\n"
        "          - {rule: nope}\n          - {rule: panic-button, active: yes please, count: 0}\n"
        "          - {rule: panic-button, group: {source: 7}}\n"
        "          - {rule: crowd-crush-risk, group: {zone: a, source: b}}\n",
        [
            "{f}:4: test 1 ('t'): start: expected an RFC 3339 time with a time zone like 2026-07-04T18:00:00Z "
            "(got 'tomorrow')",
            "{f}:8: test 1 ('t'): expect[0].alarms[0].rule: unknown rule 'nope' "
            "(the rule files define crowd-crush-risk, panic-button)",
            "{f}:9: test 1 ('t'): expect[0].alarms[1].group: rule 'panic-button' groups by source; "
            "give exactly those keys",
            "{f}:9: test 1 ('t'): expect[0].alarms[1].active: expected true or false (got 'yes please')",
            "{f}:9: test 1 ('t'): expect[0].alarms[1].count: expected a whole number of 1 or more (got 0)",
            "{f}:10: test 1 ('t'): expect[0].alarms[2].group.source: expected a string (got 7)",
            "{f}:11: test 1 ('t'): expect[0].alarms[3].group: rule 'crowd-crush-risk' groups by zone; "
            "give exactly those keys",
        ],
    ),
    (
        "duplicates",
        TEST_HEAD + "    expect:\n      - at: 1s\n        alarms: [{rule: panic-button, group: {source: a}}, "
        "{rule: panic-button, group: {source: a}}]\n"
        "  - name: t\n    expect: []\n",
        [
            "{f}:6: test 1 ('t'): expect[0].alarms[1]: alarm panic-button {{source=a}} is listed twice",
            "{f}:7: test 2 ('t'): name: duplicate test name 't' (first at line 3)",
        ],
    ),
    (
        "foreign-tag",
        "rule_files: !!python/name:os.system []\n",
        ["{f}:1: unsupported YAML tag 'tag:yaml.org,2002:python/name:os.system'"],
    ),
]

BAD_RULES = """\
rules:
  - id: x
    alarm: fire.suspected
    severity: high
    when: {type: smoke.detected, value: {gtt: 1}}
"""


@pytest.mark.parametrize(("text", "expected"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_files_name_file_line_and_field_and_exit_2(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    (tmp_path / "bad.yaml").write_text(BAD_RULES)
    path = write(tmp_path, text)
    result = runner.invoke(cli, ["rules", "test", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [e.format(f=path, d=tmp_path) for e in expected]


def test_a_malformed_file_does_not_stop_the_others_but_exits_2(tmp_path: Path) -> None:
    good = write(tmp_path, PASSING)
    bad = tmp_path / "bad.test.yaml"
    bad.write_text("tests: []\n")
    result = runner.invoke(cli, ["rules", "test", str(bad), str(good)])
    assert result.exit_code == 2
    assert result.stderr == f"{bad}:1: missing required key 'rule_files'\n"
    assert result.stdout.splitlines()[-1] == "2 passed, 0 failed"


def test_unreadable_test_file(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["rules", "test", str(tmp_path / "missing.yaml")])
    assert (result.exit_code, result.stderr) == (
        2,
        f"{tmp_path / 'missing.yaml'}:1: cannot read test file: No such file or directory\n",
    )
