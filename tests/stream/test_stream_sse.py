"""Streams over real HTTP: heartbeats arrive; a stream ends with `event: access-ended` and closes when its access
ends (sign-out, session expiry, a disabled user, a revoked token, also by the CLI in another process); shutdown sends
`event: shutdown` to every stream, closes them, and new streams get 503 with Retry-After."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.access.conftest import add_user, page_csrf, run_cli, sign_in
from tests.harness import Server

T0 = 1_783_000_000.0
HEARTBEAT = 0.2  # seconds; the stream re-checks its credentials at each heartbeat


class Reader:
    """Reads one SSE stream in a thread; `events` are the event names seen, `closed` is set when it ended."""

    def __init__(self, client: httpx.Client, headers: dict[str, str] | None = None) -> None:
        self.events: list[str] = []
        self.status = 0
        self.closed = threading.Event()
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(client, headers or {}), daemon=True)
        self._thread.start()
        assert self._opened.wait(20), "the stream did not open"

    def _run(self, client: httpx.Client, headers: dict[str, str]) -> None:
        try:
            with client.stream("GET", "/api/v1/stream", headers=headers, timeout=20) as r:
                self.status = r.status_code
                self._opened.set()
                for line in r.iter_lines():
                    if line.startswith("event: "):
                        self.events.append(line[7:])
        except httpx.TransportError:
            pass  # the test closed its client while the stream was open
        finally:
            self._opened.set()
            self.closed.set()

    def wait_for(self, event: str, deadline: float = 20) -> None:
        """Poll (bounded) until `event` arrived."""
        end = time.monotonic() + deadline
        while event not in self.events:
            assert time.monotonic() < end, f"no {event!r} in {self.events}"
            time.sleep(0.01)

    def ends_with(self, event: str) -> bool:
        """True when the stream closed and its last event was `event`."""
        return self.closed.wait(20) and self.events[-1:] == [event]


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    with Server(tmp_path / "data", None, FakeClock(T0), stream_heartbeat=HEARTBEAT) as s:
        add_user(s, "ada", Role.ADMIN)
        add_user(s, "olga", Role.OPERATOR)
        yield s


def token_client(srv: Server, name: str = "wall-screen") -> httpx.Client:
    return httpx.Client(base_url=srv.url, headers={"Authorization": f"Bearer {srv.token(Role.VIEWER, name)}"})


def test_heartbeats_arrive(srv: Server) -> None:
    with token_client(srv) as client:
        stream = Reader(client)
        stream.wait_for("heartbeat")
        assert stream.status == 200 and not stream.closed.is_set()


def test_sign_out_ends_the_sessions_stream(srv: Server) -> None:
    with sign_in(srv, "olga") as olga, sign_in(srv, "olga") as other_tab:
        stream = Reader(olga)
        kept = Reader(other_tab)  # another session of the same user is not signed out
        olga.post("/signout", data={"csrf": page_csrf_of(olga)})
        assert stream.ends_with("access-ended")
        kept.wait_for("heartbeat")
        assert not kept.closed.is_set()


def page_csrf_of(client: httpx.Client) -> str:
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text)
    assert found
    return found.group(1)


def test_session_expiry_ends_the_stream(srv: Server) -> None:
    with sign_in(srv, "olga") as olga:
        stream = Reader(olga)
        stream.wait_for("heartbeat")
        assert isinstance(srv.clock, FakeClock)
        srv.clock.advance(30 * 60)  # 30 idle minutes: the session ends; the next heartbeat notices
        assert stream.ends_with("access-ended")


def test_disabling_the_user_in_the_console_ends_their_streams(srv: Server) -> None:
    with sign_in(srv, "olga") as olga, sign_in(srv, "ada") as admin:
        stream = Reader(olga)
        admin_stream = Reader(admin)
        admin.post("/users/olga/disable", data={"csrf": page_csrf(admin)})
        assert stream.ends_with("access-ended")
        assert not admin_stream.closed.is_set()


def test_revoking_the_token_in_the_console_ends_its_streams(srv: Server) -> None:
    with token_client(srv) as client, sign_in(srv, "ada") as admin:
        stream = Reader(client)
        admin.post("/tokens/wall-screen/revoke", data={"csrf": page_csrf(admin)})
        assert stream.ends_with("access-ended")


@pytest.mark.parametrize(
    "args", [["token", "revoke", "wall-screen"], ["user", "disable", "olga"]], ids=["token", "user"]
)
def test_the_cli_in_another_process_ends_streams_at_the_next_heartbeat(srv: Server, args: list[str]) -> None:
    with token_client(srv) as client, sign_in(srv, "olga") as olga:
        stream = Reader(client if args[0] == "token" else olga)
        assert run_cli(*args, "--data", str(srv.data)).returncode == 0
        assert stream.ends_with("access-ended")


def test_shutdown_ends_every_stream_and_refuses_new_ones(srv: Server) -> None:
    with token_client(srv) as client, sign_in(srv, "olga") as olga:
        streams = [Reader(client), Reader(olga)]
        assert srv.app is not None
        hub = srv.app.hub

        async def stop_streams() -> bool:
            return await hub.shutdown()

        assert srv.call(stop_streams()) is True  # every stream closed
        assert all(s.ends_with("shutdown") for s in streams)
        r = client.get("/api/v1/stream")
        assert (r.status_code, r.headers["retry-after"]) == (503, "5")
        assert r.json()["message"] == "the server is stopping; reconnect shortly"
