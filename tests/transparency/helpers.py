"""Shared pieces of the transparency tests: rules, a site taxonomy, and ways to reach the running service."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from fairwatch.cli import cli
from fairwatch.model import AuditEntry, AuditRecord
from fairwatch.store import SqlStore, sqlite_url
from fairwatch.transparency import Transparency
from tests.harness import Server

START = 1_783_000_000.0
RULES = """
rules:
  - id: hot
    alarm: fire.high_temperature
    severity: high
    when: {type: temperature, value: {gt: 55}}
    group_by: [zone]
"""
SITE_TYPE = "technical.generator_overheat"
SITE_TAXONOMY = f"""
taxonomy:
  - id: {SITE_TYPE}
    names: {{en: Generator overheating}}
    description: A generator reports a temperature above its safe limit.
    severity: high
    hazard_class: technical
    cap_category: Infra
"""
runner = CliRunner()


def service(srv: Server) -> Transparency:
    """The running transparency service of `srv`."""
    assert srv.app is not None
    svc = srv.app.transparency
    assert isinstance(svc, Transparency)
    return svc


def append(srv: Server, n: int, action: str = "test-note") -> None:
    """Write `n` audit records through the server's single writer."""
    assert srv.app is not None

    def write(txn: Any, now: float) -> None:
        for i in range(n):
            txn.append_audit(AuditEntry(now, "tester", action, f"note/{i}", {"i": i}))

    srv.call(srv.app.pipeline.call(write))


def records(data: Path) -> list[AuditRecord]:
    """Every audit record in the data directory's store."""
    store = SqlStore(sqlite_url(data))
    try:
        return list(store.iter_audit())
    finally:
        store.close()


def sql(data: Path, statement: str, *args: Any) -> list[tuple[Any, ...]]:
    """Run one SQL statement on the SQLite file (how the tamper tests reach behind the app's back)."""
    with sqlite3.connect(data / "fairwatch.db") as conn:
        return list(conn.execute(statement, args))


def export(srv: Server) -> dict[str, Any]:
    """The public export, fetched without credentials."""
    with httpx.Client(base_url=srv.url, timeout=20) as client:
        response = client.get("/.well-known/alarm-taxonomy.json")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def witness(url: str, directory: Path, *options: str) -> tuple[int, str, str]:
    """`fairwatch transparency verify URL --witness DIR [OPTIONS]`: (exit code, stdout, stderr)."""
    result = runner.invoke(cli, ["transparency", "verify", url, "--witness", str(directory), *options])
    return result.exit_code, result.stdout, result.stderr
