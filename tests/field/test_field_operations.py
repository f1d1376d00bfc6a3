"""Operations timers in the site file's `operations:` section or an operations file: read strictly (one error
format), checked by `rules check`, over the settings, and obeyed by the writer's tick (fake clock)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fairwatch import config
from fairwatch.cli import cli
from fairwatch.clock import FakeClock
from fairwatch.errors import ConfigError, ConfigRejected
from fairwatch.field import Timers, UnitKind, UnitStatus
from fairwatch.field.operations import Limits, Operations, load_operations
from fairwatch.model import Role
from fairwatch.settings import Settings
from tests.field.conftest import RULES, T0, Phone, alarms_of, invite_link, make_unit
from tests.harness import Server

SITE = """site: {id: demo, name: Demo, timezone: UTC, plan: {width: 100, height: 100}}
zones:
  - {id: a, name: Zone A, polygon: [[0, 0], [50, 0], [50, 50], [0, 50]], capacity: 100}
"""
GOOD = """operations:
  check_in: 10m
  status:
    dispatched: 3m
    en_route: 1h30m
  kinds:
    medic: {check_in: 5m, status: {dispatched: 90s}}
  welfare:
    escalation: 12m
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_good_section_reads_into_seconds(tmp_path: Path) -> None:
    ops = load_operations(write(tmp_path, "ops.yaml", GOOD))
    assert ops.units == Limits(600.0, {UnitStatus.DISPATCHED: 180.0, UnitStatus.EN_ROUTE: 5400.0})
    assert ops.kinds == {UnitKind.MEDIC: Limits(300.0, {UnitStatus.DISPATCHED: 90.0})}
    assert ops.welfare_escalation == 720.0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("  status: {dispatched: -4m}\n", "ops.yaml:2: operations.status.dispatched: must not be negative (got '-4m')"),
        ("  check_in: -5\n", "ops.yaml:2: operations.check_in: must not be negative (got -5)"),
        ("  check_in: 4 minutes\n", "ops.yaml:2: operations.check_in: expected a duration such as 90s, 4m, 1h or 1h30m (0 turns it off) (got '4 minutes')"),
        ("  check_in: 15\n", "ops.yaml:2: operations.check_in: needs a unit: expected a duration such as 90s, 4m, 1h or 1h30m (0 turns it off) (got 15)"),
        ("  check_in: 25h\n", "ops.yaml:2: operations.check_in: must be at most 24h (got '25h')"),
        ("  check_in: 30m1h\n", "ops.yaml:2: operations.check_in: give hours, minutes and seconds once each, in that order (got '30m1h')"),
        ("  checkin: 5m\n", "ops.yaml:2: operations: unknown key 'checkin' (expected one of check_in, status, kinds, welfare)"),
        ("  status: {available: 5m}\n", "ops.yaml:2: operations.status: unknown key 'available' (expected one of dispatched, en_route, on_scene, clear)"),
        ("  kinds: {cavalry: {check_in: 5m}}\n", "ops.yaml:2: operations.kinds: unknown key 'cavalry' (expected one of steward, security, medic, fire, police_liaison)"),
        ("  kinds:\n    medic: {check_in: 5m, colour: red}\n", "ops.yaml:3: operations.kinds.medic: unknown key 'colour' (expected one of check_in, status)"),
        ("  welfare: {escalation: 5h}\n", "ops.yaml:2: operations.welfare.escalation: must be at most 4h (got '5h')"),
        ("  welfare: {escalation: true}\n", "ops.yaml:2: operations.welfare.escalation: expected a duration such as 90s, 4m, 1h or 1h30m (0 turns it off) (got True)"),
    ],
    ids=["negative", "negative-number", "words", "no-unit", "too-long", "out-of-order", "unknown-key",
         "untimed-status", "unknown-kind", "kind-key", "escalation-too-long", "not-a-duration"],
)  # fmt: skip
def test_each_bad_value_is_refused_naming_line_field_and_value(
    tmp_path: Path, body: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "ops.yaml", "operations:\n" + body)
    with pytest.raises(ConfigError) as caught:
        load_operations("ops.yaml")
    assert caught.value.messages == [message]


def test_every_problem_of_a_file_is_listed_in_line_order(tmp_path: Path) -> None:
    path = write(tmp_path, "ops.yaml", "operations:\n  check_in: -1m\n  status: {dispatched: soon}\n")
    with pytest.raises(ConfigError) as caught:
        load_operations(path)
    lines = caught.value.messages
    assert [m.split(": ")[0] for m in lines] == [f"{path}:2", f"{path}:3"]


def test_precedence_kind_over_file_over_site_section_over_settings(tmp_path: Path) -> None:
    site = write(tmp_path, "site.yaml", SITE + "operations:\n  check_in: 20m\n  status: {en_route: 10m}\n")
    ops = write(
        tmp_path, "ops.yaml", "operations:\n  status: {en_route: 12m}\n  kinds: {fire: {check_in: 2m}}\n"
    )
    settings = Settings(data=tmp_path, site=site, operations=ops, field_dispatched_minutes=6.0)
    loaded = config.load(settings).operations
    timers = loaded.timers(settings.field_check_in_minutes, settings.field_dispatched_minutes)
    # check-in from the site section, dispatched from the settings, en_route from the operations file
    assert timers == Timers(
        1200.0,
        {UnitStatus.DISPATCHED: 360.0, UnitStatus.EN_ROUTE: 720.0},
        {"fire": Timers(120.0, {UnitStatus.DISPATCHED: 360.0, UnitStatus.EN_ROUTE: 720.0})},
    )
    assert timers.of_kind("steward") is timers
    assert loaded.escalation_seconds(20.0) == 1200.0  # nothing said: the setting's
    assert Operations().timers(15.0, 4.0) == Timers.of_minutes(
        15.0, 4.0
    )  # no section: the settings, as before


def test_config_load_names_the_site_file_when_its_section_is_bad(tmp_path: Path) -> None:
    site = write(tmp_path, "site.yaml", SITE + "operations:\n  status: {dispatched: 4x}\n")
    with pytest.raises(ConfigRejected) as caught:
        config.load(Settings(data=tmp_path, site=site))
    assert caught.value.messages == [
        f"{site}:5: operations.status.dispatched: expected a duration such as 90s, 4m, 1h or 1h30m"
        " (0 turns it off) (got '4x')"
    ]


def test_rules_check_reports_bad_operations_in_the_site_file_and_in_the_operations_file(
    tmp_path: Path,
) -> None:
    rules = write(tmp_path, "rules.yaml", RULES)
    bad_site = write(tmp_path, "site.yaml", SITE + "operations:\n  check_in: -15m\n")
    runner = CliRunner()
    out = runner.invoke(cli, ["rules", "check", str(rules), "--site", str(bad_site)])
    assert out.exit_code == 2
    assert f"{bad_site}:5: operations.check_in: must not be negative (got '-15m')" in out.output
    good_site = write(tmp_path, "good.yaml", SITE + GOOD)
    ops = write(tmp_path, "ops.yaml", "operations:\n  kinds: {medic: {status: {parked: 5m}}}\n")
    out = runner.invoke(
        cli, ["rules", "check", str(rules), "--site", str(good_site), "--operations", str(ops)]
    )
    assert out.exit_code == 2
    assert (
        f"{ops}:2: operations.kinds.medic.status: unknown key 'parked'"
        " (expected one of dispatched, en_route, on_scene, clear)"
    ) in out.output
    out = runner.invoke(cli, ["rules", "check", str(rules), "--site", str(good_site)])
    assert out.exit_code == 0, out.output


# -- the writer's tick obeys them ---------------------------------------------------------------------------------
OPS = """operations:
  check_in: 30m
  status: {dispatched: 4m, en_route: 15m}
  kinds:
    medic: {check_in: 5m}
  welfare: {escalation: 7m}
"""


@pytest.fixture
def ops_srv(tmp_path: Path) -> tuple[Server, FakeClock]:
    clock = FakeClock(T0)
    data = tmp_path / "data"
    data.mkdir()
    ops = write(tmp_path, "ops.yaml", OPS)
    return Server(data, RULES, clock, flood_threshold=0, operations=ops), clock


def test_the_tick_uses_the_kind_s_check_in_and_the_en_route_limit(ops_srv: tuple[Server, FakeClock]) -> None:
    srv, clock = ops_srv
    with srv, srv.client(Role.SUPERVISOR) as sup, srv.client(Role.OPERATOR) as op:
        medic = make_unit(sup, "Medic 2", "medic")
        steward = make_unit(sup, "Steward North", "steward")
        assert sup.post("/api/v1/events", json={"source": "t1", "type": "temperature", "zone": "a", "value": 80}).status_code == 202  # fmt: skip
        alarm_id = alarms_of(op, "fire.high_temperature")[0]["id"]
        clock.advance(5 * 60)
        srv.tick()
        (missed,) = alarms_of(
            op, "technical.unit_missed_check_in"
        )  # the medic's 5 minutes, not the steward's 30
        assert "Medic 2" in missed["explanation"]
        phone = Phone(srv, invite_link(sup, steward["id"]))
        try:
            assert (
                op.post(f"/api/v1/units/{steward['id']}/dispatch", json={"alarm": alarm_id}).status_code
                == 200
            )
            assert (
                phone.post(f"/api/v1/units/{steward['id']}/status", {"status": "en_route"}).status_code == 200
            )
            clock.advance(15 * 60 - 1)
            srv.tick()
            assert alarms_of(op, "technical.unit_status_overdue") == []
            clock.advance(1)
            srv.tick()
            (overdue,) = alarms_of(op, "technical.unit_status_overdue")
            assert "Steward North (steward) has been en_route for 15 min" in overdue["explanation"]
        finally:
            phone.close()
        assert medic["kind"] == "medic"


def test_a_welfare_case_escalates_after_the_section_s_delay(ops_srv: tuple[Server, FakeClock]) -> None:
    from tests.welfare.conftest import open_case

    srv, clock = ops_srv
    with srv, srv.client(Role.WELFARE) as welfare, srv.client(Role.OPERATOR) as op:
        open_case(welfare)
        clock.advance(7 * 60 - 1)
        srv.tick()
        assert alarms_of(op, "missing_person.case_escalated") == []
        clock.advance(1)
        srv.tick()
        (alarm,) = alarms_of(op, "missing_person.case_escalated")
        assert "open for 7 min" in alarm["explanation"]


def test_no_operations_section_keeps_the_settings(tmp_path: Path) -> None:
    assert config.load(Settings(data=tmp_path)).operations == Operations()


def test_the_example_operations_file_reads() -> None:
    example = Path(__file__).parents[2] / "examples" / "operations" / "riverside.yaml"
    ops = load_operations(example)
    assert ops.units.status[UnitStatus.EN_ROUTE] == 900.0 and ops.kinds[UnitKind.MEDIC].check_in is None
