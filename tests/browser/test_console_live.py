"""The console's connection indicator is honest: "Live" only while the stream's heartbeat arrives; when the network
goes silent (a proxy that stops forwarding, as a dead link does) it says "Reconnecting" within two missed heartbeats
and "Live" again once heartbeats return; when the server stops streams it says so."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from fairwatch.model import Role
from tests.browser.conftest import VIEWPORT, add_user
from tests.harness import Server

HEARTBEAT = 0.5  # seconds


class Blackhole:
    """A TCP proxy in front of the server that can stop forwarding (`freeze`) without closing anything."""

    def __init__(self, port: int) -> None:
        self.target = ("127.0.0.1", port)
        self.flowing = threading.Event()
        self.flowing.set()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self.flowing.clear()

    def thaw(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                self.flowing.wait()  # frozen: hold the bytes, as a link that went dead does
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    with Server(tmp_path / "data", None, stream_heartbeat=HEARTBEAT) as s:
        add_user(s, "olga", Role.OPERATOR)
        yield s


@pytest.fixture
def proxy(srv: Server) -> Iterator[Blackhole]:
    hole = Blackhole(srv.port)
    yield hole
    hole.thaw()
    hole.close()


@pytest.fixture
def page(browser: Browser, proxy: Blackhole) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, base_url=proxy.url, reduced_motion="reduce")
    context.set_default_timeout(10_000)
    p = context.new_page()
    p.goto("/")
    expect(p).to_have_url(re.compile(r"/signin\?next="))
    p.get_by_label("Username").fill("olga")
    p.get_by_label("Password").fill("correct horse battery")
    p.get_by_role("button", name="Sign in").click()
    expect(p.get_by_role("heading", name="Alarm queue")).to_be_visible()
    yield p
    context.close()


def test_live_only_while_heartbeats_arrive(page: Page, proxy: Blackhole) -> None:
    pill = page.locator("#live")
    expect(pill).to_have_text("Live")
    proxy.freeze()  # nothing arrives any more, but no connection is closed either
    expect(pill).to_have_text("Reconnecting", timeout=10_000)
    expect(pill).to_have_class(re.compile(r"\bdown\b"))
    expect(page.locator("#conn-banner")).to_contain_text("reconnecting")
    proxy.thaw()
    expect(pill).to_have_text("Live", timeout=10_000)
    expect(page.locator("#conn-banner")).to_contain_text("Live connection restored")


def test_server_shutdown_is_shown(page: Page, srv: Server) -> None:
    pill = page.locator("#live")
    expect(pill).to_have_text("Live")
    assert srv.app is not None
    hub = srv.app.hub

    async def stop_streams() -> bool:
        return await hub.shutdown()

    srv.call(stop_streams())
    expect(pill).to_have_text("Server stopped")
    expect(page.locator("#conn-banner")).to_contain_text("The server is stopping")
