"""Processes a test started are killed when it ends, passed or failed."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from tests.battery.process import start

Spawn = Callable[[Sequence[str], Path], subprocess.Popen[bytes]]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """`spawn(args, log)` starts `fairwatch <args>` (see `process.start`); leftovers are killed at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def run(args: Sequence[str], log: Path) -> subprocess.Popen[bytes]:
        proc = start(args, log)
        started.append(proc)
        return proc

    yield run
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
