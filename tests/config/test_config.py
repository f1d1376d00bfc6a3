"""`config.load`: one loader, the same checks (the rights guard's included) for every command, typed results."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from fairwatch import config
from fairwatch.cli import cli
from fairwatch.clock import FakeClock
from fairwatch.config import Config
from fairwatch.errors import ConfigRejected
from fairwatch.model import Role
from fairwatch.settings import Settings
from fairwatch.sim import demo_rules_path, demo_site_path
from tests.harness import Server
from tests.phases.test_phases_service import T0, write_show

runner = CliRunner()
RULES = """rules:
  - id: crush
    alarm: crowd_safety.crush_risk
    severity: critical
    when: {type: crowd.density, value: {gt: 4.0}}
    group_by: [zone]
"""
TEST_FILE = """site: site.yaml
rule_files: [rules.yaml]
tests:
  - name: t
    events:
      - {at: 0s, source: cam-1, type: crowd.density, zone: main-stage, value: 4.5}
    expect:
      - at: 1s
        alarms: [{rule: crush, group: {zone: main-stage}}]
"""


def guarded_site(folder: Path) -> Path:
    """The demo site with a zone name the rights guard refuses (RS-2): `serve` refuses it."""
    text = demo_site_path().read_text().replace("name: Campsite", "name: Protest camp")
    site = folder / "site.yaml"
    site.write_text(text)
    plan = demo_site_path().with_name("riverside-plan.svg")
    (folder / "riverside-plan.svg").write_text(plan.read_text())
    (folder / "riverside-basemap.png").write_bytes(plan.with_name("riverside-basemap.png").read_bytes())
    (folder / "rules.yaml").write_text(RULES)
    (folder / "events.jsonl").write_text("")
    (folder / "test.yaml").write_text(TEST_FILE)
    return site


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--site", "{d}/site.yaml", "--data", "{d}/data", "--port", "1"],
        ["rules", "check", "{d}/rules.yaml", "--site", "{d}/site.yaml"],
        ["replay", "--rules", "{d}/rules.yaml", "--events", "{d}/events.jsonl", "--site", "{d}/site.yaml"],
        ["rules", "test", "{d}/test.yaml"],
    ],
    ids=["serve", "rules-check", "replay", "rules-test"],
)
def test_every_command_refuses_the_site_serve_refuses(tmp_path: Path, args: list[str]) -> None:
    site = guarded_site(tmp_path)
    result = runner.invoke(cli, [a.format(d=tmp_path) for a in args], env={"FAIRWATCH_DATA": str(tmp_path)})
    assert result.exit_code == 2
    assert (
        f"{site}: zone 'camping': name: refused by the rights guard: peaceful_assembly: 'protestcamp' "
        "(targets peaceful assembly; de lexicon)"
    ) in result.stderr


def test_load_gives_typed_objects(tmp_path: Path) -> None:
    phases = write_show(tmp_path / "show")
    loaded = config.load(Settings(data=tmp_path, site=demo_site_path(), phases=phases))
    assert isinstance(loaded, Config)
    assert loaded.site is not None and loaded.site.id == "riverside"
    assert loaded.phases is not None and [p.id for p in loaded.phases.phases][:2] == ["build-up", "show"]
    assert loaded.taxonomy.is_active("crowd_safety.crush_risk")
    assert loaded.notify is None
    rules = config.load(Settings(data=tmp_path, site=demo_site_path(), rules=demo_rules_path()))
    assert rules.rules_info["path"] == str(demo_rules_path()) and rules.rules_info["rules"] > 0


def test_a_rejected_file_is_named(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES.replace("gt:", "gtt:"))
    with pytest.raises(ConfigRejected) as info:
        config.load(Settings(data=tmp_path, rules=rules))
    assert (info.value.what, info.value.path) == ("rules", rules)
    assert "unknown operator 'gtt'" in info.value.messages[0]


def test_the_app_engine_is_the_writer_engine_after_a_phase_switch(tmp_path: Path) -> None:
    with Server(tmp_path / "data", None, FakeClock(T0), phases=write_show(tmp_path / "show")) as srv:
        assert srv.app is not None
        before = srv.app.engine
        assert before is srv.app.pipeline.engine
        assert {r.id for r in before.ruleset.rules} == {"busy"}
        with srv.client(Role.SUPERVISOR) as sup:
            r = sup.post("/api/v1/phase", json={"phase": "show", "reason": "doors open early"})
        assert isinstance(r, httpx.Response) and r.status_code == 200
        assert srv.app.engine is srv.app.pipeline.engine
        assert {r.id for r in srv.app.engine.ruleset.rules} == {"busy", "hot"}
