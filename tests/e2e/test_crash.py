"""Kill the server (SIGKILL) while clients send 20,000 events and retry what was not acknowledged; restart it;
every acknowledged event is stored exactly once and the audit chain still verifies. Run with one process and with
two HTTP workers in front of the writer process (`serve --workers 2`)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.services import free_port

RULES = """
rules:
  - id: dense
    alarm: crowd_safety.high_density
    severity: high
    when: {type: crowd.density, value: {gt: 4.0}}
    group_by: [zone]
"""
TOTAL, BATCH, CLIENTS = 20_000, 100, 4


def fairwatch(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fairwatch", *args, "--data", str(data)], capture_output=True, text=True
    )


def start(data: Path, rules: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "fairwatch",
        "serve",
        "--data",
        str(data),
        "--rules",
        str(rules),
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    log = data.parent / "serve.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60  # generous: the machine is shared; nothing here is timed
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"server did not become ready (code {proc.poll()}):\n{log.read_text()[-3000:]}")


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2], ids=["one-process", "two-workers"])
def test_sigkill_loses_nothing_acknowledged(tmp_path: Path, workers: int) -> None:
    """With workers, SIGKILL hits the writer process (the one that commits); its workers die with it."""
    data, rules, port = tmp_path / "data", tmp_path / "rules.yaml", free_port()
    rules.write_text(RULES)
    token = fairwatch("token", "create", "--role", "device", "--name", "crash", data=data).stdout.strip()
    assert token.startswith("fw_")
    events = [
        {
            "id": f"c{i}",
            "source": f"s{i % 20}",
            "type": "crowd.density",
            "zone": f"z{i % 6}",
            "value": (i % 50) / 10,
        }
        for i in range(TOTAL)
    ]
    pending = [events[i : i + BATCH] for i in range(0, TOTAL, BATCH)]
    acked: list[int] = []
    lock = threading.Lock()
    url = f"http://127.0.0.1:{port}/api/v1/events"
    headers = {"Authorization": f"Bearer {token}"}

    def client() -> None:
        with httpx.Client(timeout=5) as http:
            while True:
                with lock:
                    if not pending:
                        return
                    batch = pending.pop()
                try:
                    r = http.post(url, json=batch, headers=headers)
                    ok = r.status_code == 202
                except httpx.TransportError:
                    ok = False
                with lock:
                    if ok:
                        acked.append(len(batch))
                    else:
                        pending.append(batch)  # not acknowledged: send the same ids again
                if not ok:
                    time.sleep(0.05)

    proc = start(data, rules, port, workers)
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    while sum(acked) < TOTAL // 3:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = sum(acked)
    time.sleep(0.3)  # clients meet a dead server and keep retrying
    proc = start(data, rules, port, workers)
    for t in threads:
        t.join(120)
    proc.send_signal(signal.SIGTERM)
    proc.wait(20)

    assert killed_at < TOTAL and sum(acked) == TOTAL
    with sqlite3.connect(data / "fairwatch.db") as conn:
        stored, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT eid || '|' || source) FROM events"
        ).fetchone()
        open_per_key = conn.execute(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM alarms WHERE state != 'resolved' GROUP BY key)"
        ).fetchone()[0]
    assert (stored, distinct) == (TOTAL, TOTAL)
    assert open_per_key == 1
    verify = fairwatch("audit", "verify", data=data)
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.startswith("audit log OK")
