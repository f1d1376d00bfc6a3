"""`fairwatch cluster up` / `cluster down` (make cluster / make cluster-stop): everything starts, the simulator's
events go through an edge onto the stream, and down ends every process it started."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from fairwatch.cli import cli
from fairwatch.cluster import names, streams
from fairwatch.cluster.local import STATE, Proc, alive
from fairwatch.cluster.localnats import free_port

# Workers are `serve --role worker` (fairwatch.cluster.worker); a build without them starts the rest.
WORKERS = 3 if importlib.util.find_spec("fairwatch.cluster.worker") is not None else 0


async def _registered(urls: list[str]) -> list[str]:
    nc = await streams.connect(urls, "test-up")
    try:
        kv = await nc.jetstream().key_value(names.PARTITIONS_BUCKET)
        try:
            return list(await kv.keys())
        except Exception:  # no keys yet
            return []
    finally:
        await nc.close()


@pytest.mark.slow
def test_up_starts_everything_and_down_ends_it(tmp_path: Path) -> None:
    root = tmp_path / "cluster"
    port = free_port()
    runner = CliRunner()
    up = runner.invoke(
        cli, ["cluster", "up", "--root", str(root), "--port", str(port), "--workers", str(WORKERS)]
    )
    try:
        assert up.exit_code == 0, f"{up.output}\n{up.exception!r}"
        assert f"console: http://127.0.0.1:{port}/  user: operator  password: " in up.output
        assert f"console: http://127.0.0.1:{port + 1}/" in up.output
        state = json.loads((root / STATE).read_text())
        procs = [Proc(**p) for p in state["processes"]]
        roles = sorted(p.role for p in procs)
        assert roles == sorted(["nats"] * 3 + ["edge"] * 2 + ["worker"] * WORKERS + ["simulator"])
        assert all(alive(p) for p in procs)
        for edge in (p for p in procs if p.role == "edge"):
            assert httpx.get(f"{edge.url}/readyz", timeout=10).status_code == 200
        deadline = time.monotonic() + 60
        while "riverside" not in asyncio.run(
            _registered(state["nats"])
        ):  # the simulator sends through an edge
            assert time.monotonic() < deadline, "no simulator event reached the stream"
            time.sleep(1)
    finally:
        down = runner.invoke(cli, ["cluster", "down", "--root", str(root)])
    assert down.exit_code == 0, down.output
    assert "stopped" in down.output
    assert not any(alive(p) for p in procs)
    assert not (root / STATE).exists()
    assert (root / "logs" / "edge1.log").exists()
    again = runner.invoke(cli, ["cluster", "down", "--root", str(root)])
    assert again.exit_code == 0 and "no local cluster" in again.output
