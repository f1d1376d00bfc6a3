"""The schemas in force reach every path that reads rules: `fairwatch rules check` (with `--schemas`) and a run
of show's phase rules (RS-11)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fairwatch import config
from fairwatch.cli import cli
from fairwatch.errors import ConfigRejected
from fairwatch.settings import Settings

runner = CliRunner()
RULES = """rules:
  - id: pump
    alarm: technical.sensor_fault
    severity: low
    when: {type: pump.pressure, data.running: false}
"""
SCHEMAS = "schemas:\n  pump.pressure:\n    value: bar\n    data:\n      running: boolean\n"


def test_rules_check_explains_an_undeclared_type_and_accepts_it_once_declared(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    refused = runner.invoke(cli, ["rules", "check", str(rules)])
    assert refused.exit_code == 2
    message = f"{rules}:5: rule 1 ('pump'): when.type: unknown event type 'pump.pressure': no event schema declares it"
    assert message in refused.stderr
    schemas = tmp_path / "schemas.yaml"
    schemas.write_text(SCHEMAS)
    accepted = runner.invoke(cli, ["rules", "check", str(rules), "--schemas", str(schemas)])
    assert accepted.exit_code == 0, accepted.stderr
    assert f"{rules}: 1 rules OK" in accepted.stdout


def test_phase_rules_see_declared_measurements_only(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(
        RULES.replace("pump.pressure, data.running: false", "gate.status, data.flag: 1")
    )
    phases = tmp_path / "phases.yaml"
    phases.write_text("phases:\n  - {id: doors-open, rules: r.yaml}\n")
    with pytest.raises(ConfigRejected) as caught:
        config.load(Settings(data=tmp_path / "d", phases=phases))
    assert caught.value.messages == [
        f"{tmp_path}/r.yaml:5: rule 1 ('pump'): when.data.flag: 'flag' is not a declared field of event type"
        " 'gate.status' (declared: state)"
    ]


def test_rule_test_files_check_rules_and_events_against_the_schemas(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(RULES.replace("pump.pressure, data.running: false", "crowd.count"))
    test = tmp_path / "r.test.yaml"
    test.write_text(
        "rule_files: [r.yaml]\ntests:\n  - name: code book\n    events:\n"
        "      - {at: 0s, source: c1, type: crowd.count, value: 3, data: {hw: 3}}\n    expect: []\n"
    )
    result = runner.invoke(cli, ["rules", "test", str(test)])
    assert result.exit_code == 2
    assert (
        "data.hw: 'hw' is not a declared field of event type 'crowd.count' (declared: capacity)"
        in result.stderr
    )
