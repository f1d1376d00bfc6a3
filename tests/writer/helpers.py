"""Helpers for the writer tests. Real storage failures: a small tmpfs that fills up, and database files made immutable.

Both need root (mount, chattr); the tests that use them skip otherwise. Nothing here fakes our own code.
"""

from __future__ import annotations

import contextlib
import errno
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def small_disk(where: Path, size: str = "16m") -> Iterator[Path]:
    """A tmpfs of `size` mounted at `where` for the duration."""
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=False)
    if done.returncode != 0:
        pytest.skip("needs root to mount a tmpfs")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path) -> Path:
    """Write a ballast file until the disk has no space left; returns it (delete it to give the space back)."""
    ballast = disk / "ballast"
    chunk = b"\0" * 65536
    with ballast.open("wb", buffering=0) as f:
        while True:
            try:
                f.write(chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
        with contextlib.suppress(OSError):  # the last partial blocks, a byte at a time
            while f.write(b"\0"):
                pass
    return ballast


@contextlib.contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    """Make `paths` immutable (even root cannot write them) for the duration. Never the -shm file: SQLite maps
    it into memory, and a write to an immutable mapping kills the process."""
    assert not any(p.name.endswith("-shm") for p in paths)
    done = subprocess.run(["chattr", "+i", *map(str, paths)], check=False, capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot make files immutable here: {done.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=False)


def until(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Poll `check` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.05)
