"""Schemathesis over the field operations with a unit and an alarm in place, so that generated requests reach the
handlers instead of stopping at 404 (tests/battery runs every operation too)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.battery.test_openapi_schemathesis import CONFIG, RULES, schemathesis
from tests.field.conftest import T0, make_unit
from tests.harness import Server

PARAMETERS = """
[parameters]
"path.unit_id" = 1
"""


def test_no_server_error_and_no_undocumented_answer_on_a_real_unit(tmp_path: Path) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.read_text() + PARAMETERS)
    with Server(tmp_path / "data", RULES, FakeClock(T0)) as srv, srv.client(Role.SUPERVISOR) as sup:
        assert make_unit(sup)["id"] == 1
        token = srv.token(Role.ADMIN)
        run = subprocess.run(
            [
                *schemathesis(), "--config-file", str(config), "run", srv.url + "/api/v1/openapi.json",
                "--checks", "all", "--exclude-checks", "positive_data_acceptance",
                "--header", f"Authorization: Bearer {token}", "--max-examples", "10", "--seed", "1",
                "--workers", "1", "--generation-database", "none", "--no-color",
                "--include-path-regex", "(/units|/field/)", "--report-dir", str(tmp_path / "report"),
            ],
            capture_output=True, text=True, timeout=600, cwd=tmp_path,
        )  # fmt: skip
    assert run.returncode == 0, run.stdout[-6000:]
