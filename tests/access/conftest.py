"""Helpers for access tests over a real server: console sign-in through the form, CLI runs in a real process."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx

from fairwatch.access import save_user
from fairwatch.model import Role
from tests.harness import Server

PASSWORD = "correct horse battery"


def add_user(srv: Server, name: str, role: Role) -> None:
    """Create a console user through the server's writer."""
    assert srv.app is not None
    pipeline = srv.app.pipeline

    async def save() -> None:
        await pipeline.call(lambda txn, now: save_user(txn, name, role, PASSWORD, "test", now))

    srv.call(save())


@contextlib.contextmanager
def sign_in(srv: Server, name: str) -> Iterator[httpx.Client]:
    """A client signed in to the console as `name` (through the sign-in form, as a person does)."""
    with httpx.Client(base_url=srv.url, timeout=20) as client:
        found = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text)
        assert found
        r = client.post("/signin", data={"username": name, "password": PASSWORD, "csrf": found.group(1)})
        assert r.status_code == 303, r.text
        yield client


def page_csrf(client: httpx.Client) -> str:
    """The CSRF token of the client's session, read from a page."""
    found = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/users").text)
    assert found
    return found.group(1)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`fairwatch ARGS` in its own process (as an operator runs it next to a live server)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRWATCH_")}
    return subprocess.run(
        [sys.executable, "-m", "fairwatch", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=Path(__file__).parents[2],
        check=False,
    )
