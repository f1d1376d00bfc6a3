"""`fairwatch rules check --site` checks that the links crowd conditions name exist."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from fairwatch.cli import cli
from tests.replay.test_crowd_replay import RULES, SITE

runner = CliRunner(env={"FAIRWATCH_RULES": None, "FAIRWATCH_SITE": None, "FAIRWATCH_TAXONOMY": None})


def check(tmp_path: Path, rules: str) -> tuple[int, str]:
    (tmp_path / "site.yaml").write_text(SITE)
    (tmp_path / "rules.yaml").write_text(rules)
    args = ["rules", "check", str(tmp_path / "rules.yaml"), "--site", str(tmp_path / "site.yaml")]
    result = runner.invoke(cli, args)
    return result.exit_code, result.output


def test_rules_on_existing_links_pass(tmp_path: Path) -> None:
    code, output = check(tmp_path, RULES)
    assert code == 0, output
    assert "3 rules OK" in output


def test_an_unknown_link_is_named_with_file_line_and_rule(tmp_path: Path) -> None:
    code, output = check(tmp_path, RULES.replace("link: gate-n, direction", "link: gate-z, direction"))
    assert code == 2
    assert "rules.yaml:" in output
    assert "rule 1 ('egress-surge')" in output
    assert "when.flow.link" in output and "unknown link 'gate-z' in site 'riverside'" in output
