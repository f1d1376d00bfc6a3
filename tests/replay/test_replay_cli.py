"""`fairwatch replay` from a JSON-lines file: exact JSON and text output, and exact errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fairwatch.cli import cli

runner = CliRunner(env={"FAIRWATCH_RULES": None})

NEW = """\
rules:
  - id: crush
    alarm: crowd_safety.crush_risk
    severity: critical
    when: {type: crowd.density, value: {gt: 4.0}, for: 60s}
    group_by: [zone]
  - id: panic
    alarm: violence.panic_alarm
    severity: high
    when: {type: panic.pressed}
    group_by: [source]
    clear: {type: panic.reset}
"""
OLD = "rules:\n" + NEW[NEW.index("  - id: panic") :]  # the panic rule only

EVENTS = [
    {"id": "1", "source": "p-1", "type": "panic.pressed", "time": "2026-07-04T18:00:00Z"},
    {
        "id": "2",
        "source": "c-1",
        "type": "crowd.density",
        "zone": "main",
        "value": 4.5,
        "time": "2026-07-04T18:00:00Z",
    },
    {
        "id": "3",
        "source": "c-1",
        "type": "crowd.density",
        "zone": "main",
        "value": 4.6,
        "time": "2026-07-04T18:00:30Z",
    },
    {"id": "4", "source": "p-1", "type": "panic.reset", "time": "2026-07-04T18:01:00Z"},
    {
        "id": "5",
        "source": "c-1",
        "type": "crowd.density",
        "zone": "main",
        "value": 4.7,
    },  # arrives with the line before
    {
        "id": "6",
        "source": "c-1",
        "type": "crowd.density",
        "zone": "main",
        "value": 4.7,
        "time": "2026-07-04T18:01:10Z",
    },
]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    (tmp_path / "new.yaml").write_text(NEW)
    (tmp_path / "old.yaml").write_text(OLD)
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in EVENTS) + "\n")
    return tmp_path / "new.yaml", tmp_path / "old.yaml", tmp_path / "events.jsonl"


def test_json_is_one_object_with_alarms_load_and_diff(files: tuple[Path, Path, Path]) -> None:
    new, old, events = files
    result = runner.invoke(
        cli, ["replay", "--events", str(events), "--rules", str(new), "--against", str(old), "--json"]
    )
    assert result.exit_code == 0, result.output
    crush = {"rule": "crush", "type": "crowd_safety.crush_risk", "group": {"zone": "main"}}
    panic = {"rule": "panic", "type": "violence.panic_alarm", "group": {"source": "p-1"}}
    assert json.loads(result.stdout) == {
        "alarms": [
            panic | {"raised_at": "2026-07-04T18:00:00.000Z", "cleared_at": "2026-07-04T18:01:00.000Z"},
            crush | {"raised_at": "2026-07-04T18:01:00.000Z", "cleared_at": None},
        ],
        "load": {
            "events": 6,
            "start": "2026-07-04T18:00:00.000Z",
            "end": "2026-07-04T18:01:10.000Z",
            "hours": 0.019,
            "alarms": 2,
            "per_hour": 102.857,
            "busiest_hour": {
                "start": "2026-07-04T18:00:00.000Z",
                "end": "2026-07-04T19:00:00.000Z",
                "alarms": 2,
            },
            "peak_10min": {
                "start": "2026-07-04T18:00:00.000Z",
                "end": "2026-07-04T18:10:00.000Z",
                "alarms": 2,
            },
            "floods": [],
            "flood_share": 0.0,
            "chattering": [],
            "standing": [
                {
                    "rule": "crush",
                    "group": {"zone": "main"},
                    "raised_at": "2026-07-04T18:01:00.000Z",
                    "cleared_at": None,
                    "hours": 0.003,
                    "still_active": True,
                }
            ],
            "time_to_acknowledge": None,
            "by_rule": {"crush": 1, "panic": 1},
        },
        "diff": {
            "against": str(old),
            "only_new": [
                crush | {"new": {"raised": 1, "first_raised_at": "2026-07-04T18:01:00.000Z"}, "old": None}
            ],
            "only_old": [],
            "both": [
                panic
                | {
                    "new": {"raised": 1, "first_raised_at": "2026-07-04T18:00:00.000Z"},
                    "old": {"raised": 1, "first_raised_at": "2026-07-04T18:00:00.000Z"},
                }
            ],
        },
    }
    assert result.stdout.count("\n") == 1  # ONE object on one line
    assert result.stderr.startswith("replayed 6 events in ")


def test_against_defaults_to_fairwatch_rules_and_text_output(files: tuple[Path, Path, Path]) -> None:
    new, old, events = files
    result = runner.invoke(
        cli, ["replay", "--events", str(events), "--rules", str(new)], env={"FAIRWATCH_RULES": str(old)}
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Replayed 6 events, 2026-07-04T18:00:00.000Z to 2026-07-04T18:01:10.000Z (0.0 h of simulated time).",
        "",
        "Alarms (2):",
        "  2026-07-04T18:00:00.000Z  panic {source=p-1}  violence.panic_alarm  cleared 2026-07-04T18:01:00.000Z",
        "  2026-07-04T18:01:00.000Z  crush {zone=main}  crowd_safety.crush_risk  still active",
        "",
        f"Diff against {old}: 1 only in new, 0 only in old, 1 in both",
        "  only in new  crush {zone=main}  new raised 1x, first 2026-07-04T18:01:00.000Z",
        "  in both      panic {source=p-1}  same: raised 1x, first 2026-07-04T18:00:00.000Z",
        "",
        "Alarm load:",
        "  alarms per hour: 102.9 (2 alarms in 0.0 h; busiest hour from 2026-07-04T18:00:00.000Z with 2)",
        "  peak per 10 minutes: 2 (from 2026-07-04T18:00:00.000Z)",
        "  floods (more than 10 alarms in 10 minutes): none",
        "  chattering (raised 3 or more times in 10 minutes): none",
        "  standing (active over 24 h or still active at the end): 1",
        "    crush {zone=main}: raised 2026-07-04T18:01:00.000Z, still active (10 s)",
        "  time to acknowledge: n/a (no handling records: replayed from a file)",
        "  alarms by rule: crush 1, panic 1",
    ]


def test_without_against_there_is_no_diff(files: tuple[Path, Path, Path]) -> None:
    new, _, events = files
    result = runner.invoke(cli, ["replay", "--events", str(events), "--rules", str(new), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["diff"] is None


# (id, events file text (None: no file), extra arguments, exact stderr; {e} is the events file, {d} the dir)
ERRORS = [
    (
        "bad-json",
        '{"source": "a", "type": "temperature", "time": "2026-07-04T18:00:00Z"}\n{"source": \n',
        [],
        "{e}:2: invalid JSON: unexpected end of data",
    ),
    (
        "invalid-event",
        '{"source": "a", "type": "temperature", "time": "2026-07-04T18:00:00Z"}\n'
        '{"source": "a", "type": "temperature", "value": "hot"}\n',
        [],
        "{e}:2: value: must be a finite number (got 'hot')",
    ),
    (
        "undeclared-type",  # replay holds events to the schemas ingest uses (RS-10)
        '{"source": "a", "type": "x", "time": "2026-07-04T18:00:00Z"}\n',
        [],
        "{e}:1: type: unknown event type 'x': no event schema declares it (got 'x')",
    ),
    (
        "undeclared-data-key",
        '{"source": "a", "type": "temperature", "time": "2026-07-04T18:00:00Z", "data": {"hw": 3}}\n',
        [],
        "{e}:1: data.hw: 'hw' is not a declared field of event type 'temperature' (declared: none) (got 3)",
    ),
    (
        "person-data-refused",
        '{"source": "a", "type": "face_match", "time": "2026-07-04T18:00:00Z"}\n',
        [],
        None,
    ),
    (
        "first-event-without-time",
        '{"source": "a", "type": "x"}\n',
        [],
        "{e}:1: time: required on the first event (it starts the replay clock)",
    ),
    ("not-an-object", "[1]\n", [], "{e}:1: each event must be a JSON object (got [1])"),
    ("missing-file", None, [], "{e}:1: cannot read events file: No such file or directory"),
    (
        "since-with-events",
        "",
        ["--since", "2026-07-04T18:00:00Z"],
        "--since/--until select stored events; use them without --events",
    ),
]


@pytest.mark.parametrize(("text", "extra", "expected"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_file_errors_name_file_and_line_and_exit_2(
    files: tuple[Path, Path, Path], text: str | None, extra: list[str], expected: str | None
) -> None:
    new, _, events = files
    if text is None:
        events.unlink()
    else:
        events.write_text(text)
    result = runner.invoke(cli, ["replay", "--events", str(events), "--rules", str(new), *extra])
    assert (result.exit_code, result.stdout) == (2, "")
    if expected is None:  # the rights guard's own wording is tested with the guard
        assert result.stderr.startswith(f"{events}:1: type: ")
    else:
        assert result.stderr == expected.format(e=events) + "\n"


# (id, arguments after --rules NEW, exact stderr; {d} is the data directory)
USAGE = [
    ("no-source", [], "give --events FILE, or --since TIME to replay stored events"),
    (
        "missing-site",
        ["--site", "{d}.site.yaml"],
        "{d}.site.yaml:1: cannot read site file: No such file or directory",
    ),
    (
        "bad-since",
        ["--since", "yesterday"],
        "--since: expected an RFC 3339 time with a time zone like 2026-07-04T18:00:00Z (got 'yesterday')",
    ),
    (
        "no-store",
        ["--since", "2026-07-04T18:00:00Z"],
        "{d}: no Fairwatch store here (expected {d}/fairwatch.db)",
    ),
]


@pytest.mark.parametrize(("args", "expected"), [u[1:] for u in USAGE], ids=[u[0] for u in USAGE])
def test_usage_errors_exit_2(
    files: tuple[Path, Path, Path], tmp_path: Path, args: list[str], expected: str
) -> None:
    data = tmp_path / "empty-data"
    args = [a.format(d=data) for a in args]
    result = runner.invoke(cli, ["replay", "--rules", str(files[0]), "--data", str(data), *args])
    assert (result.exit_code, result.stderr) == (2, expected.format(d=data) + "\n")
    assert not data.exists()  # a replay never creates a store


def test_invalid_rules_exit_2_with_the_rule_file_messages(files: tuple[Path, Path, Path]) -> None:
    new, _, events = files
    new.write_text(NEW.replace("gt: 4.0", "gtt: 4.0"))
    result = runner.invoke(cli, ["replay", "--events", str(events), "--rules", str(new)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{new}:5: rule 1 ('crush'): when.value: unknown operator 'gtt'")
