"""Browser fixtures: one headless Debian Chromium per test module, driven by Playwright (no browser download)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

from fairwatch.access import save_user
from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.harness import Server

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SITE = Path(__file__).parents[2] / "src" / "fairwatch" / "sim" / "demo" / "riverside.site.yaml"
# Screenshots go to an ignored folder so `make test` rewrites no tracked file; `make screenshots` points
# FAIRWATCH_SCREENSHOTS at docs/img to refresh the pictures the docs show.
IMG = Path(os.environ.get("FAIRWATCH_SCREENSHOTS") or Path(__file__).parents[2] / "build" / "screenshots")
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (make browser)")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def add_user(srv: Server, name: str, role: Role, password: str = PASSWORD) -> None:
    """Create a console user through the server's writer."""
    assert srv.app is not None
    pipeline = srv.app.pipeline

    async def save() -> None:
        await pipeline.call(lambda txn, now: save_user(txn, name, role, password, "test", now))

    srv.call(save())


def new_page(browser: Browser, srv: Server) -> Page:
    """A page in a fresh browser context (its own cookies) at the control-room screen size."""
    context = browser.new_context(viewport=VIEWPORT, base_url=srv.url, reduced_motion="reduce")
    context.set_default_timeout(5000)
    return context.new_page()


def sign_in(page: Page, name: str, password: str = PASSWORD, path: str = "/") -> None:
    """Sign in through the form, the way a person does."""
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/signin\?next="))
    page.get_by_label("Username").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: url.split("?")[0].endswith(path))


# Shared by the test modules, each of which defines its own `srv` (the server its pages run against).
@pytest.fixture(scope="module")
def clock() -> FakeClock:
    """The module's fake clock (a module that needs another start time defines its own)."""
    return FakeClock(1_783_000_000.0)


@pytest.fixture(scope="module")
def admin(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.ADMIN) as c:
        yield c


@pytest.fixture(scope="module")
def device(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.DEVICE) as c:
        yield c


@pytest.fixture
def page(browser: Browser, srv: Server) -> Iterator[Page]:
    """A fresh page (own cookies) on the module's server."""
    p = new_page(browser, srv)
    yield p
    p.context.close()
