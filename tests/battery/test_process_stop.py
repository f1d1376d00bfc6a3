"""A clean stop of a real `fairwatch serve` / `fairwatch demo` process: SIGTERM or SIGINT with an event-stream
client connected ends the stream with `event: shutdown`, stops everything and exits 0 with one `stopped` line."""

from __future__ import annotations

import re
import signal
import threading
from pathlib import Path

import httpx
import pytest

from tests.battery.conftest import Spawn
from tests.battery.process import answers, ended, run, wait_until
from tests.services import free_port


class Listener:
    """An SSE client on a thread: connects, then collects what the server sends until the stream ends."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.text = ""
        self.connected = threading.Event()
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            with httpx.stream("GET", self.url + "/api/v1/stream", headers=headers, timeout=None) as r:
                for chunk in r.iter_text():
                    self.text += chunk
                    self.connected.set()
        except httpx.HTTPError:
            pass
        finally:
            self.closed.set()


def accepted(url: str, token: str) -> float:
    """Events the server accepted so far (its Prometheus counter)."""
    text = httpx.get(url + "/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10).text
    found = re.search(r'^fairwatch_events_total\{outcome="accepted"\} (\S+)$', text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


@pytest.mark.parametrize("workers", ["1", "2"], ids=["one-process", "two-workers"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_serve_stops_cleanly_with_a_stream_client(
    tmp_path: Path, spawn: Spawn, sig: signal.Signals, workers: str
) -> None:
    """With workers, the stream is relayed by a worker from the writer process; it ends all the same."""
    data, port = tmp_path / "data", free_port()
    token = run("token", "create", "--role", "viewer", "--name", "sse", "--data", str(data)).stdout.strip()
    log = tmp_path / "serve.log"
    proc = spawn(["serve", "--data", str(data), "--port", str(port), "--workers", workers], log)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: answers(url + "/readyz"), "readiness", proc)
    listener = Listener(url, token)
    assert listener.connected.wait(30), "the stream did not open"
    proc.send_signal(sig)
    assert ended(proc) == 0
    output = log.read_text()
    assert "Traceback" not in output
    assert output.splitlines()[-1] == "stopped"
    assert listener.closed.wait(30)
    assert "event: shutdown" in listener.text
    verified = run("audit", "verify", "--data", str(data))
    assert verified.returncode == 0, verified.stderr


def test_demo_stops_cleanly_with_the_simulator_running(tmp_path: Path, spawn: Spawn) -> None:
    data, port = tmp_path / "data", free_port()
    log = tmp_path / "demo.log"
    proc = spawn(["demo", "--data", str(data), "--port", str(port)], log)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: "operator token: " in log.read_text(), "the demo banner", proc)
    [token] = re.findall(r"operator token: (\S+)", log.read_text())
    listener = Listener(url, token)
    assert listener.connected.wait(30), "the stream did not open"
    wait_until(lambda: accepted(url, token) > 0, "events from the simulator", proc)
    proc.send_signal(signal.SIGTERM)
    assert ended(proc) == 0
    output = log.read_text()
    assert "Traceback" not in output and "ERROR" not in output
    assert output.splitlines()[-1] == "stopped"
    assert "event: shutdown" in listener.text
    verified = run("audit", "verify", "--data", str(data))
    assert verified.returncode == 0, verified.stderr


def test_a_second_signal_exits_at_once_without_a_traceback(tmp_path: Path, spawn: Spawn) -> None:
    data, port = tmp_path / "data", free_port()
    log = tmp_path / "serve.log"
    proc = spawn(["serve", "--data", str(data), "--port", str(port)], log)
    wait_until(lambda: answers(f"http://127.0.0.1:{port}/readyz"), "readiness", proc)
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGINT)
    code = ended(proc)
    output = log.read_text()
    assert "Traceback" not in output
    # The first stop may finish before the second signal arrives; otherwise the second one ends it at once.
    assert code == 0 or (code == 128 + signal.SIGINT and "SIGINT again: exiting at once" in output)
