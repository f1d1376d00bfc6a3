"""Replay of a recorded demo hour: the stored events, replayed with the same rules, give the live alarms."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from fairwatch.cli import cli
from fairwatch.clock import FakeClock
from fairwatch.events.validate import parse_time, rfc3339
from fairwatch.model import Role
from fairwatch.replay import replay
from fairwatch.rules import load_rules
from fairwatch.sim import scenario
from fairwatch.site import load_site
from fairwatch.store import SqlStore, sqlite_url
from tests.harness import Server

START = 1_780_000_000.0
HOUR = 3600.0
RULES = Path(__file__).parents[2] / "examples" / "rules" / "riverside.yaml"
SITE = Path(__file__).parents[2] / "examples" / "sites" / "riverside.yaml"  # the crowd rules measure links
Summary = dict[tuple[str, tuple[tuple[str, str], ...]], tuple[str, bool, int]]


def run_live_hour(srv: Server, clock: FakeClock, device: httpx.Client) -> None:
    """Send each scenario event at its send time, ticking at every whole second in between (and at the send
    time if it is one), as a server with tick_seconds = 1 and a replay do."""
    sent = itertools.takewhile(lambda item: item[0] < START + HOUR, scenario("riverside", START))
    last: float | None = None
    for send_at, group in itertools.groupby(sent, key=lambda item: item[0]):
        if last is not None:
            for second in range(math.floor(last) + 1, math.floor(send_at) + 1):
                clock.set(float(second))
                srv.tick()
        clock.set(send_at)
        response = device.post("/api/v1/events", json=[event for _, event in group])
        assert response.status_code == 202, response.text
        last = send_at


def live_alarms(viewer: httpx.Client) -> list[dict[str, Any]]:
    alarms = viewer.get("/api/v1/alarms", params={"limit": 500}).json()["alarms"]
    assert len(alarms) < 500
    return list(alarms)


def summary(rows: list[tuple[str, dict[str, str], str, bool, int]]) -> Summary:
    """(rule, group) -> (first raised, active, count)."""
    return {
        (rule, tuple(sorted(group.items()))): (first, active, count)
        for rule, group, first, active, count in rows
    }


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]], float]:
    """A data directory holding a live hour of the riverside demo, its alarms, and when one was acknowledged."""
    data = tmp_path_factory.mktemp("demo-hour") / "data"
    clock = FakeClock(START)
    with Server(data, RULES.read_text(), clock, site=SITE) as srv:
        with srv.client(Role.DEVICE) as device:
            run_live_hour(srv, clock, device)
        with srv.client(Role.OPERATOR) as operator:
            alarms = live_alarms(operator)
            panic = next(a for a in alarms if a["rule"] == "panic-button")
            clock.set(START + HOUR)
            assert operator.post(f"/api/v1/alarms/{panic['id']}/ack").status_code == 200
    return data, alarms, START + HOUR - _seconds(panic["first_seen"])


def _seconds(text: str) -> float:
    when = parse_time(text)
    assert when is not None
    return when


def test_replaying_the_stored_events_gives_the_live_alarms(
    recorded: tuple[Path, list[dict[str, Any]], float],
) -> None:
    data, alarms, _ = recorded
    store = SqlStore(sqlite_url(data))
    try:
        result = replay(load_rules(RULES, site=load_site(SITE)), store.iter_events())
    finally:
        store.close()
    live = summary([(a["rule"], a["group"], a["first_seen"], a["active"], a["count"]) for a in alarms])
    replayed = summary(
        [(a.rule, a.group, rfc3339(a.first_seen), a.active, a.count) for a in result.open.values()]
    )
    assert replayed == live
    assert {rule for rule, _ in live} == {r.id for r in load_rules(RULES)}  # every demo rule fired


def test_replay_command_reads_the_store_and_the_time_to_acknowledge(
    recorded: tuple[Path, list[dict[str, Any]], float],
) -> None:
    data, alarms, delay = recorded
    args = ["replay", "--since", rfc3339(START - 600), "--data", str(data), "--rules", str(RULES)]
    args += ["--site", str(SITE), "--json"]
    result = CliRunner(env={"FAIRWATCH_RULES": None}).invoke(cli, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    first: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
    for a in out["alarms"]:
        first.setdefault((a["rule"], tuple(sorted(a["group"].items()))), a["raised_at"])
    assert first == {(a["rule"], tuple(sorted(a["group"].items()))): a["first_seen"] for a in alarms}
    assert out["load"]["time_to_acknowledge"] == {
        "alarms": len(alarms),
        "acknowledged": 1,
        "median_s": round(delay, 3),
        "p90_s": round(delay, 3),
        "max_s": round(delay, 3),
    }
    assert out["diff"] is None
    text = CliRunner(env={"FAIRWATCH_RULES": None}).invoke(cli, args[:-1]).stdout.splitlines()
    assert delay == 3555.0  # the demo's panic button is pressed 45 s after start; acknowledged at 1 h
    ack = f"  time to acknowledge: median 59.2 min, p90 59.2 min, max 59.2 min (1 of {len(alarms)} alarms acknowledged)"
    assert ack in text


def test_until_bounds_the_stored_events(recorded: tuple[Path, list[dict[str, Any]], float]) -> None:
    data, _, _ = recorded
    store = SqlStore(sqlite_url(data))
    try:
        inside = sum(1 for e in store.iter_events() if START <= e.time < START + 60)
    finally:
        store.close()
    args = ["replay", "--since", rfc3339(START), "--until", rfc3339(START + 60), "--data", str(data)]
    args += ["--site", str(SITE)]
    result = CliRunner(env={"FAIRWATCH_RULES": None}).invoke(cli, [*args, "--rules", str(RULES), "--json"])
    assert result.exit_code == 0, result.output
    load = json.loads(result.stdout)["load"]
    assert (load["events"], load["end"]) == (inside, rfc3339(START + 60))
