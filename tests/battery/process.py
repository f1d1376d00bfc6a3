"""A real `fairwatch` process: start it, wait until it answers, signal it, collect what it printed."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

DEADLINE = 60.0  # generous: the machine is shared; no test asserts how long anything took


def command(*args: str) -> list[str]:
    """The command line of `fairwatch <args>` in this interpreter."""
    return [sys.executable, "-m", "fairwatch", *args]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `fairwatch <args>` to its end."""
    return subprocess.run(command(*args), capture_output=True, text=True, timeout=DEADLINE, env=env)


def start(args: Sequence[str], log: Path, **popen: Any) -> subprocess.Popen[bytes]:
    """Start `fairwatch <args>` with stdout and stderr going to `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(command(*args), stdout=out, stderr=subprocess.STDOUT, **popen)


def wait_until(check: Callable[[], bool], what: str, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Poll `check` until it holds; fail naming `what` after the deadline or when `proc` ended."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if check():
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process ended (code {proc.returncode}) before {what}")
        time.sleep(0.05)
    raise AssertionError(f"no {what} within {DEADLINE} s")


def answers(url: str) -> bool:
    """True when `url` answers 200."""
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def ended(proc: subprocess.Popen[bytes]) -> int:
    """The exit code of `proc`; fails if it is still running after the deadline (then kills it)."""
    try:
        return proc.wait(DEADLINE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"still running {DEADLINE} s after the signal") from None
