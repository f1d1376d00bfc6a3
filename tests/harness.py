"""A real Fairwatch server on a free loopback port, in a thread of this process, over a real SQLite file.

Only the clock may be faked; everything else (HTTP, store, writer, rules) is the real thing.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Coroutine, Generator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import uvicorn

from fairwatch.access import create_token
from fairwatch.app import App
from fairwatch.clock import Clock
from fairwatch.model import Role
from fairwatch.settings import Settings

T = TypeVar("T")
TEST_SCHEMAS = Path(__file__).parent / "schemas.yaml"  # event types the tests send beside the built-in ones


class Server:
    """Start with `with Server(tmp_path, rules) as srv:`; `srv.url`, `srv.token(role)`, `srv.call(coro)`."""

    def __init__(
        self, data: Path, rules: str | None = None, clock: Clock | None = None, **settings: Any
    ) -> None:
        self.data = data
        rules_path = None
        if rules is not None:
            rules_path = data / "rules.yaml"
            data.mkdir(parents=True, exist_ok=True)
            rules_path.write_text(rules)
        # Bind now and hand the socket to uvicorn: no window in which another process can take the port.
        self._sock = _bind(0)
        self.port = int(self._sock.getsockname()[1])
        # Tests drive timers explicitly with `tick()`; they send the event types of `tests/schemas.yaml`.
        base: dict[str, Any] = {"tick_seconds": 3600.0, "schemas": TEST_SCHEMAS}
        base.update(settings)
        self.settings = Settings(data=data, rules=rules_path, port=self.port, **base)
        self.clock = clock
        self.app: App | None = None
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        if self._sock.fileno() == -1:  # closed by the previous run: take the same port again
            self._sock = _bind(self.port)
        self.app = App.build(self.settings, self.clock)
        config = uvicorn.Config(
            self.app.entry, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_until_complete,
            args=(self._server.serve(sockets=[self._sock]),),
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(20)
        self._server = None

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's event loop and wait for its result."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(20)

    def tick(self) -> int:
        """Fire timers now (the server's clock decides what 'now' is)."""
        assert self.app is not None
        return self.call(self.app.pipeline.tick())

    def token(self, role: Role, name: str = "test") -> str:
        assert self.app is not None
        app = self.app

        async def make() -> str:
            return await app.pipeline.call(lambda txn, now: create_token(txn, name, role, "test", now))

        return self.call(make())

    def client(self, role: Role | None = Role.ADMIN) -> httpx.Client:
        """A client with a token of `role`; it posts events with a device token, as a deployment does (posting
        events is the device permission, not a rank: docs/console.md)."""
        if not role:
            return httpx.Client(base_url=self.url, timeout=20)
        headers = {"Authorization": f"Bearer {self.token(role)}"}
        auth = None if role is Role.DEVICE else DeviceIngest(self.token(Role.DEVICE, f"{role.value}-device"))
        return httpx.Client(base_url=self.url, headers=headers, auth=auth, timeout=20)


INGEST_PATHS = ("/api/v1/events", "/api/v1/adapters/alertmanager")


class DeviceIngest(httpx.Auth):
    """Sends event posts with a device token and everything else with the client's own token."""

    def __init__(self, device_token: str) -> None:
        self.device = f"Bearer {device_token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if request.method == "POST" and request.url.path in INGEST_PATHS:
            request.headers["Authorization"] = self.device
        yield request


def _bind(port: int) -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose proto says TCP, and without
    # it every small response waits for a delayed ACK (~40 ms).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock
