"""The servers the benchmark races: a real `fairwatch serve` (the demo rules, SQLite, synchronous=FULL) with 1 or N
HTTP workers, and Debian's `prometheus-alertmanager`. CPU and RSS are summed over each server's process tree."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "src" / "fairwatch" / "sim" / "demo" / "riverside.rules.yaml"
ALERTMANAGER = "prometheus-alertmanager"
ALERTMANAGER_CONFIG = """route:
  receiver: none
receivers:
  - name: none
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer")


def tree(pid: int) -> list[int]:
    """`pid` and its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


@dataclass
class Process:
    """A server process tree: CPU seconds and RSS summed over it."""

    proc: subprocess.Popen[bytes] | None = None

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in tree(self.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def rss_mb(self) -> float:
        total = 0.0
        for pid in tree(self.pid):
            try:
                lines = Path(f"/proc/{pid}/status").read_text().splitlines()
            except OSError:
                continue
            total += next((int(x.split()[1]) / 1024 for x in lines if x.startswith("VmRSS:")), 0.0)
        return total

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class Fairwatch(Process):
    """`fairwatch serve --workers N` with the demo rules in a fresh data directory."""

    workers: int | None = 1  # None: the server's default (the number of cores)
    port: int = field(default_factory=free_port)
    data: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="fw-bench-")))
    token: str = ""  # a device token: posting events
    viewer: str = ""  # a viewer token: reading the stream

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        cli = [sys.executable, "-m", "fairwatch"]
        self.token, self.viewer = (
            subprocess.run(
                [
                    *cli,
                    "token",
                    "create",
                    "--role",
                    role,
                    "--name",
                    f"bench-{role}",
                    "--data",
                    str(self.data),
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            for role in ("device", "viewer")
        )
        cmd = [*cli, "serve", "--data", str(self.data), "--rules", str(RULES), "--port", str(self.port)]
        if self.workers is not None:
            cmd += ["--workers", str(self.workers)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_ready(self.url + "/readyz", self.proc)

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.data, ignore_errors=True)


@dataclass
class Alertmanager(Process):
    """Debian's prometheus-alertmanager with a route to nowhere, storage in a fresh directory."""

    port: int = field(default_factory=free_port)
    data: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="am-bench-")))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = shutil.which(ALERTMANAGER) or shutil.which("alertmanager")
        if binary is None:
            raise RuntimeError("Alertmanager is not installed: apt-get install prometheus-alertmanager")
        config = self.data / "alertmanager.yml"
        config.write_text(ALERTMANAGER_CONFIG)
        cmd = [
            binary,
            f"--config.file={config}",
            f"--storage.path={self.data}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--cluster.listen-address=",  # no gossip: one node
            "--log.level=warn",
        ]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_ready(self.url + "/-/ready", self.proc)

    def version(self) -> str:
        binary = shutil.which(ALERTMANAGER) or shutil.which("alertmanager") or ALERTMANAGER
        out = subprocess.run([binary, "--version"], capture_output=True, text=True)
        text = (out.stdout or out.stderr).split("\n", 1)[0]
        return text.replace("alertmanager, ", "")

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.data, ignore_errors=True)
