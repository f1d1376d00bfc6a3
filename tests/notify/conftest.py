"""Real things the notification tests talk to: the writer over a SQLite file, an HTTP receiver, an SMTP server
and a Mosquitto broker, each on a free loopback port. Only the clock is fake."""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairwatch.alarms import Action, AlarmChange, AlarmService
from fairwatch.clock import FakeClock
from fairwatch.metrics import Metrics
from fairwatch.model import Event
from fairwatch.notify import Dispatcher, parse_notify
from fairwatch.notify.install import build_notifiers
from fairwatch.rules import Engine, parse_rules
from fairwatch.store import SqlStore, sqlite_url
from fairwatch.store.base import Notification
from fairwatch.writer import Pipeline
from tests.services import free_port

T0 = 1_783_000_000.0
RULES = """
rules:
  - id: hot
    alarm: fire.high_temperature
    severity: high
    when: {type: temperature, value: {gt: 55}}
    group_by: [zone]
"""


@dataclass
class Rig:
    """The real writer, alarm service and dispatcher over one SQLite file; `restart()` is a new instance."""

    data: Path
    notify: str
    clock: FakeClock
    environ: dict[str, str] = field(default_factory=dict)
    seed: int = 1

    async def start(self) -> Rig:
        self.store = SqlStore(sqlite_url(self.data))
        self.metrics = Metrics()
        self.alarms = AlarmService(self.store)
        listeners: list[Callable[[list[AlarmChange]], None]] = []

        def publish(changes: list[AlarmChange]) -> None:
            for listener in listeners:
                listener(changes)

        engine = Engine(parse_rules(RULES))
        self.pipeline = Pipeline(self.store, engine, self.alarms, self.clock, self.metrics, publish)
        self.pipeline.start()
        config = parse_notify(self.notify, "notify.yaml", self.environ)
        self.client = httpx.AsyncClient()
        notifiers = build_notifiers(config, self.client, "fairwatch/test")
        self.dispatcher = Dispatcher(
            config,
            self.store,
            self.pipeline,
            self.clock,
            self.metrics,
            notifiers,
            interval=0,
            rng=random.Random(self.seed),
        )
        listeners.append(self.dispatcher.on_changes)
        await self.dispatcher.start()
        return self

    async def stop(self) -> None:
        await self.dispatcher.stop()
        await self.pipeline.stop()
        await self.client.aclose()
        self.store.close()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def hot(self, zone: str = "food-court", n: int = 1, site: str | None = "riverside") -> None:
        """A temperature event that raises (or repeats) the 'hot' alarm of `zone`."""
        now = self.clock.now()
        event = Event(
            f"t{now}-{zone}-{n}", "temp-1", "temperature", now, now, site=site, zone=zone, value=60.0
        )
        await self.pipeline.submit([event])
        await self.dispatcher.drain()

    async def act(self, alarm_id: int, action: Action, **params: Any) -> None:
        await self.pipeline.call(
            lambda txn, now: self.alarms.act(txn, alarm_id, action, "user:op", params, now)
        )
        await self.dispatcher.drain()

    def jobs(self, alarm_id: int = 1) -> list[Notification]:
        return self.store.notifications_for(alarm_id)

    def count(self, channel: str, outcome: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "fairwatch_notifications_total", {"channel": channel, "outcome": outcome}
        )
        return value or 0.0


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
async def rig_factory(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Any]:
    """`await rig_factory(notify_yaml)` -> a started Rig; stopped after the test."""
    made: list[Rig] = []

    async def make(notify: str, environ: dict[str, str] | None = None) -> Rig:
        rig = await Rig(tmp_path / f"data{len(made)}", notify, clock, environ or {}).start()
        made.append(rig)
        return rig

    (tmp_path / "data0").mkdir()
    (tmp_path / "data1").mkdir()
    yield make
    for rig in made:
        await rig.stop()


# -- an HTTP receiver ------------------------------------------------------------------------------------------
@dataclass
class Request:
    """One request the receiver saw."""

    path: str
    headers: dict[str, str]
    body: bytes


class HookServer:
    """A webhook receiver on a free loopback port; answers each request with the next scripted status."""

    def __init__(
        self, statuses: list[int], default: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        self.statuses = list(statuses)
        self.default = default
        self.reply_headers = headers or {}
        self.requests: list[Request] = []
        self.arrived = threading.Condition()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with hook.arrived:
                    hook.requests.append(Request(self.path, headers, body))
                    hook.arrived.notify_all()
                status = hook.statuses.pop(0) if hook.statuses else hook.default
                self.send_response(status)
                for name, value in hook.reply_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        return Handler

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """True once `count` requests arrived (for deliveries made by the server's own background loop)."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)

    def __enter__(self) -> HookServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- a Mosquitto broker ----------------------------------------------------------------------------------------
def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mosquitto exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)  # waiting for a child process to listen, not for our own code
    raise RuntimeError("mosquitto did not start listening")


@pytest.fixture
def mosquitto() -> Iterator[int]:
    """A private Mosquitto broker; yields its port."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_port()
    process = subprocess.Popen(
        [binary, "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for_port(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(10)
