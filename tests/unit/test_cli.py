"""The command line: exit codes and exact output."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from fairwatch.cli import cli

runner = CliRunner()
BAD_RULES = """rules:
  - id: crush
    alarm: crowd_safety.crush_risk
    severity: critical
    when: {type: crowd.density, value: {gtt: 4.0}}
"""


def test_rules_check_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(BAD_RULES)
    result = runner.invoke(cli, ["rules", "check", str(path)])
    assert result.exit_code == 2
    assert f"{path}:5: rule 1 ('crush'): when.value: unknown operator 'gtt'" in result.stderr


def test_serve_refuses_invalid_rules_and_audits_it(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(BAD_RULES)
    result = runner.invoke(cli, ["serve", "--rules", str(path), "--data", str(tmp_path / "d"), "--port", "1"])
    assert result.exit_code == 2
    assert "unknown operator 'gtt'" in result.stderr
    with sqlite3.connect(tmp_path / "d" / "fairwatch.db") as conn:
        assert [r[0] for r in conn.execute("SELECT action FROM audit")] == ["rules-rejected"]


def test_token_create_prints_only_the_token_and_stores_its_hash(tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["token", "create", "--role", "device", "--name", "gate-3", "--data", str(tmp_path)]
    )
    assert result.exit_code == 0
    token = result.stdout.strip()
    assert result.stdout == token + "\n" and token.startswith("fw_")
    with sqlite3.connect(tmp_path / "fairwatch.db") as conn:
        stored = list(conn.execute("SELECT name, role, hash FROM tokens"))
    assert stored == [("gate-3", "device", hashlib.sha256(token.encode()).hexdigest())]


def test_token_create_refuses_unknown_role(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["token", "create", "--role", "god", "--name", "x", "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert (
        result.stderr
        == "role: must be one of device, steward, viewer, welfare, operator, supervisor, admin (got 'god')\n"
    )


def test_audit_verify_names_the_first_bad_record(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        runner.invoke(cli, ["token", "create", "--role", "device", "--name", name, "--data", str(tmp_path)])
    ok = runner.invoke(cli, ["audit", "verify", "--data", str(tmp_path)])
    assert (ok.exit_code, ok.stdout) == (0, "audit log OK: 3 records verified\n")
    with sqlite3.connect(tmp_path / "fairwatch.db") as conn:
        conn.execute("""UPDATE audit SET details = '{"name":"z","role":"admin"}' WHERE seq = 2""")
    bad = runner.invoke(cli, ["audit", "verify", "--data", str(tmp_path)])
    assert bad.exit_code == 1
    assert bad.stderr.startswith("audit log BROKEN: seq 2: ")


def test_taxonomy_check_prints_one_line_per_rejected_type(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yaml"
    entry = "  - {{id: {id}, names: {{en: {name}}}, description: x, severity: high, hazard_class: {cls}, cap_category: Safety}}\n"
    path.write_text(
        "taxonomy:\n"
        + entry.format(
            id="other_safety.unlawful_assembly", name="Unlawful assembly detected", cls="other_safety"
        )
        + entry.format(id="crowd_safety.queue_overflow", name="Queue overflow", cls="crowd_safety")
    )
    result = runner.invoke(cli, ["taxonomy", "check", str(path)])
    assert result.exit_code == 1
    assert result.stdout == (
        "REJECTED other_safety.unlawful_assembly: peaceful_assembly: unlawful + assembly "
        "(targets peaceful assembly; en lexicon)\n"
    )
    path.write_text(
        "taxonomy:\n"
        + entry.format(id="crowd_safety.queue_overflow", name="Queue overflow", cls="crowd_safety")
    )
    ok = runner.invoke(cli, ["taxonomy", "check", str(path)])
    assert (ok.exit_code, ok.stdout) == (0, "")
    path.write_text("taxonomy: 5\n")
    assert runner.invoke(cli, ["taxonomy", "check", str(path)]).exit_code == 2


def test_rules_may_only_raise_known_types(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        BAD_RULES.replace("crowd_safety.crush_risk", "crowd_safety.stampede_vibes").replace("gtt", "gt")
    )
    result = runner.invoke(cli, ["rules", "check", str(path)])
    assert result.exit_code == 2
    assert "alarm: unknown alarm type 'crowd_safety.stampede_vibes'" in result.stderr


def test_serve_refuses_a_site_whose_names_target_a_protected_ground(tmp_path: Path) -> None:
    from fairwatch.sim import demo_site_path

    text = demo_site_path().read_text().replace("name: Campsite", "name: Protest camp")
    site = tmp_path / "site.yaml"
    site.write_text(text)
    (tmp_path / "riverside-plan.svg").write_text(demo_site_path().with_name("riverside-plan.svg").read_text())
    (tmp_path / "riverside-basemap.png").write_bytes(
        demo_site_path().with_name("riverside-basemap.png").read_bytes()
    )
    result = runner.invoke(cli, ["serve", "--site", str(site), "--data", str(tmp_path / "d"), "--port", "1"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"{site}: zone 'camping': name: refused by the rights guard: peaceful_assembly: 'protestcamp' "
        "(targets peaceful assembly; de lexicon)\n"
    )
    with sqlite3.connect(tmp_path / "d" / "fairwatch.db") as conn:
        assert [r[0] for r in conn.execute("SELECT action FROM audit")] == ["site-rejected"]
