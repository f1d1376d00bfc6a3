"""The checks at start (RS-9): the rights guard over types and rules, the integrity of the log and the file;
a failure blocks the affected types and the export says non-compliant."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairwatch.clock import FakeClock
from fairwatch.model import Severity
from fairwatch.policy import check_text
from fairwatch.rules import Kind, Rule
from fairwatch.taxonomy import Taxonomy
from fairwatch.transparency.compliance import Compliance, decide, policy_check
from tests.harness import Server
from tests.transparency.helpers import RULES, START, append, export, records, service, sql


def guard(text: str) -> str:
    """How a refusal reads in the export (the reason itself is the policy package's)."""
    violation = check_text(text)
    assert violation is not None, text
    return f"{text!r} {violation.reason} (ground {violation.ground.value}, term {violation.term!r})"


def a_type(type_id: str, en: str, hazard: str = "crowd_safety", status: str = "active") -> dict[str, Any]:
    return {"id": type_id, "names": {"en": en}, "description": "", "hazard_class": hazard, "status": status}


def a_rule(rule_id: str, alarm_type: str, description: str = "") -> Rule:
    return Rule(0, rule_id, alarm_type, Severity.HIGH, Kind.THRESHOLD, (), description=description)


@pytest.mark.parametrize(
    ("types", "rules", "problems", "blocked"),
    [
        (
            [a_type("crowd_safety.high_density", "Crowd density high")],
            [a_rule("dense", "crowd_safety.high_density")],
            [],
            set(),
        ),
        (
            [a_type("crowd_safety.gathering", "Unauthorised assembly detected")],
            [],
            [f"type 'crowd_safety.gathering': {guard('Unauthorised assembly detected')}"],
            {"crowd_safety.gathering"},
        ),
        (
            [a_type("crowd_safety.gathering", "Unauthorised assembly detected", status="retired")],
            [],
            [],
            set(),
        ),
        (
            [a_type("belief.x", "Belief", hazard="belief")],
            [],
            ["type 'belief.x': hazard class 'belief' is not in the closed list"],
            {"belief.x"},
        ),
        (
            [],
            [a_rule("banner", "other_safety.unattended_item", "Protest banner detected")],
            [f"rule 'banner': {guard('Protest banner detected')}"],
            {"other_safety.unattended_item"},
        ),
    ],
    ids=["clean", "type-name", "retired-type-not-raised-anyway", "closed-hazard-classes", "rule-description"],
)
def test_policy_check(
    types: list[dict[str, Any]], rules: list[Rule], problems: list[str], blocked: set[str]
) -> None:
    assert policy_check(types, rules) == (problems, blocked)


def test_the_builtin_catalogue_passes() -> None:
    assert policy_check([t.as_dict() for t in Taxonomy.builtin().all()], []) == ([], set())


@pytest.mark.parametrize(
    ("policy", "integrity", "blocked", "status"),
    [
        (([], set()), [], set(), "compliant"),
        ((["type 'a.b': bad"], {"a.b"}), [], {"a.b"}, "non-compliant"),
        (([], set()), ["audit log: seq 2: hash mismatch (record edited)"], {"a.b", "c.d"}, "non-compliant"),
    ],
    ids=["both-pass", "policy-blocks-its-types", "integrity-blocks-site-types"],
)
def test_decide(
    policy: tuple[list[str], set[str]], integrity: list[str], blocked: set[str], status: str
) -> None:
    verdict = decide(START, policy, integrity, {"a.b", "c.d"})
    assert verdict == Compliance(START, tuple(policy[0]), tuple(integrity), frozenset(blocked))
    assert verdict.as_dict()["status"] == status


HOT = {"id": "t1", "source": "temp-1", "type": "temperature", "zone": "stage", "value": 60.0}


@pytest.fixture
def broken(tmp_path: Path) -> Iterator[Server]:
    """A deployment whose audit record 2 was edited while it was stopped."""
    data, clock = tmp_path / "data", FakeClock(START)
    with Server(data, RULES, clock):
        pass
    sql(data, "UPDATE audit SET details = ? WHERE seq = 2", '{"version":"9.9.9"}')
    clock.advance(60)
    with Server(data, RULES, clock) as srv:
        yield srv


def test_a_corrupted_chain_makes_the_export_non_compliant(broken: Server) -> None:
    doc = export(broken)
    assert doc["compliance"] == {
        "status": "non-compliant",
        "checked": START + 60,
        "policy_check": {"status": "passed", "problems": []},
        "integrity_check": {
            "status": "failed",
            "problems": ["audit log: seq 2: hash mismatch (record edited)"],
        },
        "blocked_types": [],  # built-in types keep raising; only site-defined types would be blocked
    }
    [verdict] = [r for r in records(broken.data) if r.action == "compliance-checked"][-1:]
    assert verdict.details == doc["compliance"]


def test_a_corrupted_chain_keeps_builtin_safety_alarms_and_signs_nothing(broken: Server) -> None:
    svc = service(broken)
    before = svc.latest
    with broken.client() as client:
        assert client.post("/api/v1/events", json=HOT).json() == {"accepted": 1, "duplicates": 0}
        [alarm] = client.get("/api/v1/alarms").json()["alarms"]
    assert alarm["type"] == "fire.high_temperature"
    assert broken.call(svc.maybe_checkpoint(force=True)) is None
    assert svc.latest == before


def test_a_healthy_start_raises_alarms(tmp_path: Path) -> None:
    with Server(tmp_path / "data", RULES, FakeClock(START)) as srv, srv.client() as client:
        client.post("/api/v1/events", json=HOT)
        [alarm] = client.get("/api/v1/alarms").json()["alarms"]
    assert alarm["type"] == "fire.high_temperature"


def test_a_break_found_while_running_is_reported_and_stops_signing(tmp_path: Path) -> None:
    clock = FakeClock(START)
    with Server(tmp_path / "data", RULES, clock) as srv:
        svc = service(srv)
        assert svc.latest is not None
        size = svc.latest.size
        append(srv, 3)
        sql(srv.data, "UPDATE audit SET prev_hash = ? WHERE seq = ?", "ab" * 32, size + 3)
        clock.advance(300)
        assert srv.call(svc.maybe_checkpoint()) is None
        with srv.client() as client:
            assert client.post("/api/v1/events", json=HOT).status_code == 202
            assert len(client.get("/api/v1/alarms").json()["alarms"]) == 1  # a built-in type: still raised
        [found] = export(srv)["compliance"]["integrity_check"]["problems"]
    why = "record inserted, deleted or reordered"
    assert found == f"audit log: seq {size + 3}: prev_hash does not match the hash of seq {size + 2} ({why})"


def test_healthy_database_file_has_no_problems(tmp_path: Path) -> None:
    with Server(tmp_path / "data", RULES, FakeClock(START)) as srv:
        assert srv.app is not None
        assert srv.app.store.integrity_problems() == []


def test_public_routes_need_no_credentials(tmp_path: Path) -> None:
    with Server(tmp_path / "data", RULES, FakeClock(START)) as srv, httpx.Client(base_url=srv.url) as anon:
        for path in (
            "/.well-known/alarm-taxonomy.json",
            "/api/v1/transparency/head",
            "/api/v1/transparency/inclusion?seq=1",
            "/api/v1/transparency/consistency?from=1",
        ):
            assert anon.get(path).status_code == 200, path
        assert anon.get("/api/v1/audit").status_code == 401  # the records themselves stay admin-only


SITE_RULES = """
rules:
  - id: queue
    alarm: crowd_safety.queue_overflow
    severity: medium
    when: {type: queue.length, value: {gt: 100}}
    group_by: [zone]
"""
SITE_TYPES = """
taxonomy:
  - id: crowd_safety.queue_overflow
    names: {en: Queue overflow}
    description: The queue at an entrance spills into the road.
    severity: medium
    hazard_class: crowd_safety
    cap_category: Safety
"""


def test_a_corrupted_chain_blocks_site_defined_types(tmp_path: Path) -> None:
    data, clock = tmp_path / "data", FakeClock(START)
    additions = tmp_path / "taxonomy.yaml"
    additions.write_text(SITE_TYPES)
    queue = {"source": "gate-cam", "type": "queue.length", "zone": "north-gate", "value": 150}
    with Server(data, SITE_RULES, clock, taxonomy=additions) as srv, srv.client() as client:
        client.post("/api/v1/events", json={**queue, "id": "q1"})
        assert len(client.get("/api/v1/alarms").json()["alarms"]) == 1  # healthy: the site type raises
        aid = client.get("/api/v1/alarms").json()["alarms"][0]["id"]
        client.post(f"/api/v1/alarms/{aid}/resolve", json={"disposition": "handled"})
    sql(data, "UPDATE audit SET details = ? WHERE seq = 2", '{"version":"9.9.9"}')
    with Server(data, SITE_RULES, clock, taxonomy=additions) as srv, srv.client() as client:
        assert export(srv)["compliance"]["blocked_types"] == ["crowd_safety.queue_overflow"]
        client.post("/api/v1/events", json={**queue, "id": "q2"})
        assert client.get("/api/v1/alarms?state=open").json()["alarms"] == []
