"""Slow clients (Hardening 9): many connections that send half a request must not starve the server. A header read
timeout closes them and a connection cap refuses what is over it, so /healthz still answers even when the process
may hold few file descriptors."""

from __future__ import annotations

import os
import resource
import socket
import threading
from pathlib import Path

import httpx
import pytest

from tests.battery.conftest import Spawn
from tests.battery.process import answers, run, wait_until
from tests.services import free_port

HALF_SENT = 300  # more than the server may open: before the guards, these held every descriptor for good
FILES = 160  # the server's descriptor limit (it needs about 25 of its own)


HALF_HEADERS = b"GET /healthz HTTP/1.1\r\nHost: fairwatch\r\nX-Slow: "
HALF_BODY = (
    b"POST /api/v1/events HTTP/1.1\r\nHost: fairwatch\r\nContent-Type: application/json\r\n"
    b"Content-Length: 1000\r\n\r\n[{"
)


def closed_by_peer(sock: socket.socket) -> bool:
    """True once the server closed `sock` (end of stream or reset); False while it is still open."""
    sock.settimeout(0.01)
    try:
        while sock.recv(65536):
            pass  # a response (e.g. an error) before the close
        return True
    except TimeoutError:
        return False
    except ConnectionError:
        return True


def low_file_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (FILES, FILES))


@pytest.mark.parametrize("workers", ["1", "2"], ids=["one-process", "two-workers"])
def test_half_sent_requests_do_not_starve_health_probes(tmp_path: Path, spawn: Spawn, workers: str) -> None:
    """With workers, each guards its own connections (cap, timeouts); the probes answer once each has swept."""
    data, port = tmp_path / "data", free_port()
    url = f"http://127.0.0.1:{port}"
    token = run("token", "create", "--role", "viewer", "--name", "sse", "--data", str(data)).stdout.strip()
    env = {
        **os.environ,
        "FAIRWATCH_HEADER_TIMEOUT": "1",
        "FAIRWATCH_BODY_TIMEOUT": "1",
        "FAIRWATCH_MAX_CONNECTIONS": "100",
    }
    args = ["serve", "--data", str(data), "--port", str(port), "--workers", workers]
    proc = spawn(args, tmp_path / "serve.log", env=env, preexec_fn=low_file_limit)
    wait_until(lambda: answers(url + "/readyz"), "readiness", proc)
    stream = Stream(url, token)
    assert stream.open.wait(30), "the stream did not open"

    slow = []
    for i in range(HALF_SENT):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(HALF_BODY if i % 2 else HALF_HEADERS)  # never finished
        slow.append(sock)
    try:
        wait_until(lambda: answers(url + "/healthz"), "/healthz answering", proc)
        wait_until(lambda: answers(url + "/readyz"), "/readyz answering", proc)
        for sock in slow:
            wait_until(lambda s=sock: closed_by_peer(s), "the server closing a half-sent request", proc)  # type: ignore[misc]
        assert not stream.ended.is_set(), "a long response (the event stream) must not be cut by the timeouts"
    finally:
        for sock in slow:
            sock.close()


class Stream:
    """An open event stream (a long response) on a thread."""

    def __init__(self, url: str, token: str) -> None:
        self.open, self.ended = threading.Event(), threading.Event()
        threading.Thread(target=self._read, args=(url, token), daemon=True).start()

    def _read(self, url: str, token: str) -> None:
        try:
            with httpx.stream(
                "GET", url + "/api/v1/stream", headers={"Authorization": f"Bearer {token}"}, timeout=None
            ) as r:
                for _ in r.iter_bytes():
                    self.open.set()
        except httpx.HTTPError:
            pass
        finally:
            self.ended.set()
