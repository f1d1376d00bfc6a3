"""Processes a test started are killed when it ends, passed or failed."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.battery.process import start

Spawn = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """`spawn(args, log, **popen)` starts `fairwatch <args>` (see `process.start`); leftovers are killed at the
    end."""
    started: list[subprocess.Popen[bytes]] = []

    def run(args: Sequence[str], log: Path, **popen: Any) -> subprocess.Popen[bytes]:
        proc = start(args, log, **popen)
        started.append(proc)
        return proc

    yield run
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
