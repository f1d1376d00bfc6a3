"""Scenarios: deterministic, time-ordered, valid per the event contract, and the demo fires every rule."""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from fairwatch.errors import NotFound
from fairwatch.events import validate_events
from fairwatch.model import DecisionKind
from fairwatch.rules import Engine, Rule, RuleSet, load_rules
from fairwatch.sim import (
    SCENARIOS,
    SimEvent,
    demo_rules_path,
    demo_site,
    demo_site_path,
    events_jsonl,
    scenario,
)

START = 1_780_000_000.0
TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ALLOWED = {"id", "source", "type", "time", "site", "zone", "value", "location", "data"}
RULES_FILE = Path(__file__).parents[2] / "examples" / "rules" / "riverside.yaml"


def take(name: str, seconds: float, seed: int = 1, start: float = START) -> list[SimEvent]:
    """Everything the scenario sends in its first `seconds`."""
    return list(itertools.takewhile(lambda item: item[0] < start + seconds, scenario(name, start, seed)))


def span(name: str, seconds: float) -> float:
    """`seconds`, or 1/100 of it for burst, which sends 5,000 events a second."""
    return seconds / 100 if name == "burst" else seconds


def ruleset() -> RuleSet:
    """The rules `fairwatch demo` serves, compiled against its site (links, capacities)."""
    return load_rules(demo_rules_path(), site=demo_site())


def raised(name: str, seconds: float, rules: RuleSet) -> dict[str, float]:
    """Feed a scenario through the engine as the server would (validate, tick, evaluate at arrival):
    rule id -> seconds after start of its first RAISE."""
    engine = Engine(rules)
    state = engine.new_state()
    first: dict[str, float] = {}
    decisions = []
    for send_at, raw in take(name, seconds):
        decisions += engine.tick(state, send_at)  # before every event: stricter than a server's timer
        for event in validate_events([raw], now=send_at):
            decisions += engine.evaluate(state, event, send_at)
    decisions += engine.tick(state, START + seconds)
    for d in decisions:
        if d.kind is DecisionKind.RAISE:
            first.setdefault(d.rule, d.time - START)
    return first


def deadline(rule: Rule) -> float:
    """Every bundled demo rule fires within 3 minutes of `make run`."""
    return 180.0


def test_the_demo_bundles_the_example_files() -> None:
    root = Path(__file__).parents[2]
    assert demo_rules_path().read_text() == RULES_FILE.read_text()
    assert demo_site_path().read_text() == (root / "examples" / "sites" / "riverside.yaml").read_text()
    site = demo_site()
    assert len(site.zones) >= 6 and site.plan.image is not None and site.georef is not None
    kinds = {d.kind for d in site.devices}
    assert {
        "crowd_counter",
        "smoke_detector",
        "temperature_sensor",
        "panic_button",
        "weather_station",
    } <= kinds
    counted = {d.zone for d in site.devices if d.kind == "crowd_counter"}
    assert counted == site.zone_ids  # a crowd counter in every zone


def test_the_plan_drawing_matches_the_zones() -> None:
    site = demo_site()
    assert site.plan.image is not None
    svg = ElementTree.parse(site.plan.image).getroot()
    assert svg.get("viewBox") == f"0 0 {site.plan.width:g} {site.plan.height:g}"
    drawn = {
        p.get("id", "").removeprefix("zone-"): [
            tuple(map(float, xy.split(","))) for xy in p.get("points", "").split()
        ]
        for p in svg.iter("{http://www.w3.org/2000/svg}polygon")
    }
    assert drawn == {z.id: list(z.polygon) for z in site.zones}


def test_every_riverside_rule_fires_in_time() -> None:
    rules = ruleset()
    limit = max(deadline(rule) for rule in rules)
    fired = raised("riverside", limit, rules)
    late = {
        r.id: (fired.get(r.id), deadline(r)) for r in rules if not 0 <= fired.get(r.id, -1) <= deadline(r)
    }
    assert late == {}, "rule: (first raised after s, deadline s)"


def test_quiet_raises_nothing_in_ten_minutes() -> None:
    assert raised("quiet", 600.0, ruleset()) == {}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_same_seed_same_events_other_seed_other_values(name: str) -> None:
    first = take(name, span(name, 60.0))
    assert take(name, span(name, 60.0)) == first
    other = take(name, span(name, 60.0), seed=2)
    assert [e["type"] for _, e in other] == [e["type"] for _, e in first]
    assert [e.get("value") for _, e in other] != [e.get("value") for _, e in first]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_ids_are_unique_and_differ_between_runs(name: str) -> None:
    ids = [e["id"] for _, e in take(name, span(name, 300.0))]
    assert len(set(ids)) == len(ids)
    later = {e["id"] for _, e in take(name, span(name, 300.0), start=START + 3600)}
    assert not later & set(ids)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_events_are_in_send_order(name: str) -> None:
    sends = [at for at, _ in take(name, span(name, 900.0))]
    assert sends == sorted(sends)
    assert sends[0] == START


def check_contract(event: dict[str, Any]) -> None:
    """The HTTP event contract, checked independently of fairwatch.events."""
    site = demo_site()
    assert set(event) <= ALLOWED and {"id", "source", "type", "time", "site"} <= set(event)
    assert TYPE_RE.match(event["type"]), event
    assert TIME_RE.match(event["time"]), event
    assert event["site"] == "riverside" and event["source"] and event["id"]
    assert "zone" not in event or event["zone"] in site.zone_ids
    if "value" in event:
        assert isinstance(event["value"], float) and math.isfinite(event["value"])
    if "location" in event:
        loc = event["location"]
        assert set(loc) == {"x", "y"}
        assert 0 <= loc["x"] <= site.plan.width and 0 <= loc["y"] <= site.plan.height
        assert event["zone"] in [z.id for z in site.zones_at(loc["x"], loc["y"])]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_event_follows_the_contract(name: str) -> None:
    events = take(name, span(name, 600.0))
    for send_at, event in events:
        check_contract(event)
        when = datetime.fromisoformat(event["time"]).timestamp()
        assert when <= send_at + 0.001  # measured before (or as) it is sent
    assert len(validate_events([e for _, e in events], now=events[-1][0])) == len(events)


def test_riverside_cadence() -> None:
    events = take("riverside", 600.0)
    live = [e for at, e in events if datetime.fromisoformat(e["time"]).timestamp() >= START]
    densities = Counter(e["source"] for e in live if e["type"] == "crowd.density")
    beats = Counter(e["source"] for e in live if e["type"] == "heartbeat")
    site = demo_site()
    counters = [d.id for d in site.devices if d.kind == "crowd_counter"]
    assert densities == dict.fromkeys(counters, 120)  # every 5 s for 10 minutes
    assert beats == {d.id: 20 for d in site.devices if d.id != "camping-temp-2"}  # every 30 s; one is silent


def test_warm_start_sends_eight_minutes_of_heartbeats_with_one_device_gone_quiet() -> None:
    sent_at_start = [e for at, e in take("riverside", 1.0) if at == START]
    last: dict[str, float] = {}
    for e in sent_at_start:
        when = datetime.fromisoformat(e["time"]).timestamp()
        if when < START:
            assert e["type"] == "heartbeat" and when >= START - 480
            last[e["source"]] = max(last.get(e["source"], 0.0), when)
    assert set(last) == {d.id for d in demo_site().devices}
    assert START - last.pop("camping-temp-2") >= 270  # silent for 4.5 minutes already
    assert all(START - t <= 30 for t in last.values())


def test_riverside_keeps_going_with_incidents_every_hour() -> None:
    events = take("riverside", 3 * 3600.0)
    incident_types = {"panic.pressed", "gate.blocked", "report.medical", "smoke.detected"}
    for hour in (1, 2):
        lo, hi = START + hour * 3600, START + (hour + 1) * 3600
        kinds = {e["type"] for at, e in events if lo <= at < hi}
        assert {"crowd.density", "heartbeat", "temperature", "weather.wind"} <= kinds
        late = [at for at, e in events if lo <= at < hi and e["type"] in incident_types]
        densities = [e["value"] for at, e in events if lo <= at < hi and e["type"] == "crowd.density"]
        assert late or max(densities) > 4.0, f"no incident in hour {hour}"
        assert min(densities) > 0 and max(densities) < 5.0


def test_quiet_densities_stay_low() -> None:
    values = [e["value"] for _, e in take("quiet", 600.0) if e["type"] == "crowd.density"]
    assert values and min(values) >= 0.1 and max(values) <= 0.6


def test_burst_sends_thousands_per_second() -> None:
    assert len(take("burst", 1.0)) >= 5000


def test_unknown_scenario() -> None:
    with pytest.raises(NotFound) as info:
        scenario("festival", START)
    assert str(info.value) == "no scenario 'festival' (expected one of riverside, quiet, burst)"


def test_events_jsonl_dumps_the_same_events() -> None:
    lines = list(events_jsonl("riverside", START, 30.0))
    assert [json.loads(line) for line in lines] == [e for _, e in take("riverside", 30.0)]
    assert all("\n" not in line for line in lines)
