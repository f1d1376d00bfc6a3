"""/metrics: Prometheus text format from the app's registry, viewer role by default, public only by setting."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.harness import Server

RULES = """
rules:
  - id: hot
    alarm: fire.high_temperature
    severity: high
    when: {type: temperature, value: {gt: 55}}
    group_by: [zone]
"""


def sample(text: str, name: str) -> float:
    """The value of one sample line `name value` (name with labels as exposed)."""
    [line] = [ln for ln in text.splitlines() if ln.startswith(name + " ")]
    return float(line.rsplit(" ", 1)[1])


def test_counters_have_the_right_values_after_some_traffic(tmp_path: Path) -> None:
    with Server(tmp_path / "data", RULES, FakeClock(1_783_000_000.0)) as srv:
        with srv.client(Role.DEVICE) as dev:
            hot = {"id": "t1", "source": "s1", "type": "temperature", "zone": "z", "value": 60}
            dev.post("/api/v1/events", json=[hot, {**hot, "id": "t2"}])
            dev.post("/api/v1/events", json=hot)  # a duplicate
            dev.post("/api/v1/events", json={"source": "s1", "type": "x", "data": {"religion": "y"}})
            dev.post("/api/v1/adapters/alertmanager", json={"version": "4"})
        with srv.client(Role.VIEWER) as viewer:
            r = viewer.get("/metrics")
        assert (r.status_code, r.headers["content-type"]) == (200, "text/plain; version=1.0.0; charset=utf-8")
        text = r.text
        expected = {
            'fairwatch_events_total{outcome="accepted"}': 2.0,
            'fairwatch_events_total{outcome="duplicate"}': 1.0,
            'fairwatch_events_total{outcome="rejected"}': 2.0,
            "fairwatch_events_refused_by_policy_total": 1.0,
            'fairwatch_events_rejected_by_transport_total{transport="alertmanager"}': 1.0,
            'fairwatch_alarm_changes_total{kind="raised"}': 1.0,
            "fairwatch_alarms_open": 1.0,
            "fairwatch_ingest_queue_depth": 0.0,
            "fairwatch_mqtt_connected": 0.0,
        }
        assert {name: sample(text, name) for name in expected} == expected
        assert "# TYPE fairwatch_rule_evaluation_seconds histogram" in text


@pytest.mark.parametrize(
    ("public", "role", "status"),
    [
        (False, None, 401),
        (False, Role.DEVICE, 403),
        (False, Role.VIEWER, 200),
        (True, None, 200),
    ],
    ids=["anonymous", "device", "viewer", "public-setting"],
)
def test_who_may_read_metrics(tmp_path: Path, public: bool, role: Role | None, status: int) -> None:
    with Server(tmp_path / "data", None, FakeClock(1_783_000_000.0), metrics_public=public) as srv:
        if role is None:
            assert httpx.get(srv.url + "/metrics").status_code == status
        else:
            with srv.client(role) as c:
                assert c.get("/metrics").status_code == status
        assert srv.app is not None
        [route] = [r for r in srv.app.asgi.routes if isinstance(r, APIRoute) and r.path == "/metrics"]
        roles = [getattr(d.call, "required_role", None) for d in route.dependant.dependencies]
        assert (roles, getattr(route.endpoint, "public", False)) == (
            ([], True) if public else ([Role.VIEWER], False)
        )
