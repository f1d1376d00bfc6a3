"""Schemathesis over the incident operations with an incident, a merged alarm, a log entry and a task in place, so
that generated requests reach the handlers instead of stopping at 404 (tests/battery runs every operation too)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.battery.test_openapi_schemathesis import CONFIG, RULES, schemathesis
from tests.harness import Server
from tests.incidents.conftest import T0, create, raise_alarm

PARAMETERS = """
[parameters]
"path.incident_id" = 1
"path.task_id" = 1
"path.entry_id" = 1
"path.alarm_id" = 1
"""


def test_no_server_error_and_no_undocumented_answer_on_a_real_incident(tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.read_text() + PARAMETERS)
    with Server(tmp_path / "data", RULES, FakeClock(T0)) as srv, srv.client(Role.OPERATOR) as op:
        incident = create(op, alarms=[raise_alarm(op, "z")])
        assert (incident["id"], incident["alarms"][0]["id"]) == (1, 1)
        assert op.post("/api/v1/incidents/1/log", json={"kind": "note", "text": "x"}).json()["id"] == 2
        assert op.post("/api/v1/incidents/1/tasks", json={"title": "Sweep"}).json()["id"] == 1
        token = srv.token(Role.ADMIN)
        run = subprocess.run(
            [
                *schemathesis(), "--config-file", str(config), "run", srv.url + "/api/v1/openapi.json",
                "--checks", "all", "--exclude-checks", "positive_data_acceptance",
                "--header", f"Authorization: Bearer {token}", "--max-examples", "10", "--seed", "1",
                "--workers", "1", "--generation-database", "none", "--no-color",
                "--include-path-regex", "(/incidents|/log|/tasks)", "--report-dir", str(tmp_path / "report"),
            ],
            capture_output=True, text=True, timeout=600, cwd=tmp_path,
        )  # fmt: skip
    assert run.returncode == 0, run.stdout[-6000:]
