"""Retention (RS-5): bounded settings, the daily purge and `fairwatch purge`, each audited, the chain intact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fairwatch.audit import verify_chain
from fairwatch.cli import cli
from fairwatch.clock import FakeClock
from fairwatch.errors import ConfigError
from fairwatch.events.validate import rfc3339
from fairwatch.model import Role
from fairwatch.settings import Settings, from_env
from fairwatch.transparency.retention import DAY, Cutoffs, purge_due
from tests.harness import Server
from tests.transparency.helpers import RULES, START, records, runner, service, sql


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"event_retention_days": 401}, "event_retention_days: must be between 1 and 400 days (got 401)"),
        ({"event_retention_days": 0}, "event_retention_days: must be between 1 and 400 days (got 0)"),
        ({"alarm_retention_days": 3651}, "alarm_retention_days: must be between 1 and 3650 days (got 3651)"),
        ({"alarm_retention_days": -5}, "alarm_retention_days: must be between 1 and 3650 days (got -5)"),
    ],
    ids=["events-over-400", "events-zero", "alarms-over-3650", "alarms-negative"],
)
def test_retention_has_hard_limits(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings(**values)
    assert info.value.messages == [message]


def test_the_limits_themselves_are_allowed_and_the_environment_is_checked() -> None:
    settings = Settings(event_retention_days=400, alarm_retention_days=3650)
    assert (settings.event_retention_days, settings.alarm_retention_days) == (400, 3650)
    assert (Settings().event_retention_days, Settings().alarm_retention_days) == (30, 365)
    with pytest.raises(ConfigError) as info:
        from_env({"FAIRWATCH_EVENT_RETENTION_DAYS": "1000"})
    assert info.value.messages == ["event_retention_days: must be between 1 and 400 days (got 1000)"]


@pytest.mark.parametrize(
    ("last", "now", "due"),
    [
        (None, START, True),  # never purged
        (START, START + DAY - 1, False),  # within the day
        (START, START + DAY, True),  # a day on
        (START, START - 60, True),  # the clock went back: purge rather than wait a day and more
    ],
    ids=["never", "same-day", "next-day", "clock-back"],
)
def test_purge_due(last: float | None, now: float, due: bool) -> None:
    assert purge_due(last, now) is due


def test_cutoffs() -> None:
    cut = Cutoffs.at(Settings(event_retention_days=7, alarm_retention_days=90), START)
    assert cut == Cutoffs(START, 7, 90, START - 7 * DAY, START - 90 * DAY)


def event(i: int, when: float, value: float = 20.0, zone: str = "stage") -> dict[str, Any]:
    return {
        "id": f"e{i}",
        "source": "temp-1",
        "type": "temperature",
        "zone": zone,
        "value": value,
        "time": rfc3339(when),
    }


def test_the_daily_purge_deletes_old_events_and_resolved_alarms(tmp_path: Path) -> None:
    clock = FakeClock(START)
    late = {"event_max_age_days": 45.0}  # accept the backlog this test needs, older than the 7-day default
    with Server(tmp_path / "data", RULES, clock, **late) as srv, srv.client(Role.OPERATOR) as op:
        svc = service(srv)
        old, recent = [event(1, START - 31 * DAY), event(2, START - 40 * DAY)], [event(3, START - 29 * DAY)]
        assert op.post("/api/v1/events", json=old + recent).json() == {"accepted": 3, "duplicates": 0}
        op.post("/api/v1/events", json=[event(4, START, 60.0, "stage"), event(5, START, 60.0, "gate")])
        stage, gate = sorted(op.get("/api/v1/alarms").json()["alarms"], key=lambda a: a["zone"] != "stage")
        assert (
            op.post(f"/api/v1/alarms/{stage['id']}/resolve", json={"disposition": "handled"}).status_code
            == 200
        )

        first = srv.call(svc.maybe_purge())
        assert first is not None and (first.events, first.alarms) == (2, 0)
        assert srv.call(svc.maybe_purge()) is None  # once a day
        clock.advance(366 * DAY)
        second = srv.call(svc.maybe_purge())
        assert second is not None and (second.events, second.alarms) == (3, 1)
        assert [a["id"] for a in op.get("/api/v1/alarms").json()["alarms"]] == [gate["id"]]

    log = records(srv.data)
    purges = [r for r in log if r.action == "events-purged"]
    assert [(r.actor, r.object, r.details) for r in purges] == [
        (
            "system",
            "retention",
            {
                "events": 2,
                "events_before": START - 30 * DAY,
                "event_retention_days": 30,
                "resolved_alarms": 0,
                "alarms_before": START - 365 * DAY,
                "alarm_retention_days": 365,
            },
        ),
        (
            "system",
            "retention",
            {
                "events": 3,
                "events_before": START + 336 * DAY,
                "event_retention_days": 30,
                "resolved_alarms": 1,
                "alarms_before": START + DAY,
                "alarm_retention_days": 365,
            },
        ),
    ]
    assert sql(srv.data, "SELECT count(*) FROM events") == [(0,)]
    assert verify_chain(log).ok
    assert {"alarm-raised", "alarm-resolved"} <= {r.action for r in log}  # their records outlive the alarm
    result = runner.invoke(cli, ["audit", "verify", "--data", str(srv.data)])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"audit log OK: {len(log)} records verified against ")


def test_cli_purge_and_dry_run(tmp_path: Path) -> None:
    # events from 2020: older than any retention by the wall clock the CLI reads
    past = 1_600_000_000.0
    data = tmp_path / "data"
    with Server(data, RULES, FakeClock(past)) as srv, srv.client(Role.OPERATOR) as op:
        op.post("/api/v1/events", json=[event(1, past), event(2, past), event(3, past, 60.0)])
        [alarm] = op.get("/api/v1/alarms").json()["alarms"]
        op.post(f"/api/v1/alarms/{alarm['id']}/resolve", json={"disposition": "test"})
    before = len(records(data))

    dry = runner.invoke(cli, ["purge", "--data", str(data), "--dry-run"])
    assert (dry.exit_code, dry.stdout) == (
        0,
        "would purge 3 events older than 30 days and 1 resolved alarms older than 365 days\n"
        "would purge 0 closed welfare cases older than 24 hours and 0 photos older than 72 hours\n",
    )
    assert len(records(data)) == before and sql(data, "SELECT count(*) FROM events") == [(3,)]

    done = runner.invoke(cli, ["purge", "--data", str(data)])
    assert (done.exit_code, done.stdout) == (
        0,
        "purged 3 events older than 30 days and 1 resolved alarms older than 365 days\n"
        "purged 0 closed welfare cases older than 24 hours and 0 photos older than 72 hours\n",
    )
    log = records(data)
    assert (log[-1].actor, log[-1].action, log[-1].details["events"]) == ("cli", "events-purged", 3)
    assert sql(data, "SELECT count(*) FROM events") == sql(data, "SELECT count(*) FROM alarms") == [(0,)]
    assert verify_chain(log).ok


def test_cli_purge_refuses_retention_over_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAIRWATCH_ALARM_RETENTION_DAYS", "4000")
    result = runner.invoke(cli, ["purge", "--data", str(tmp_path)])
    assert (result.exit_code, result.stderr) == (
        2,
        "alarm_retention_days: must be between 1 and 3650 days (got 4000)\n",
    )
