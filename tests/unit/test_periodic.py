"""The one periodic-task helper: runs on its (injected) sleep, survives a failing run, wakes early, stops."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from fairwatch.periodic import Periodic


class Naps:
    """An injected sleep that returns only when the test lets it; records the intervals asked for."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self._go = asyncio.Semaphore(0)

    async def sleep(self, seconds: float) -> None:
        self.asked.append(seconds)
        await self._go.acquire()

    def end_one(self) -> None:
        self._go.release()


async def until(check: Callable[[], bool], what: str) -> None:
    """Yield to the loop until `check()` holds (bounded by a number of turns, not by time)."""
    for _ in range(10_000):
        if check():
            return
        await asyncio.sleep(0)
    raise AssertionError(what)


async def test_runs_after_each_interval_and_stops() -> None:
    naps, runs = Naps(), []

    async def job() -> None:
        runs.append(len(naps.asked))

    timer = Periodic("test", 2.5, job, sleep=naps.sleep)
    timer.start()
    await until(lambda: naps.asked == [2.5], "the first sleep")
    assert runs == []  # nothing before the first interval
    naps.end_one()
    await until(lambda: runs == [1] and len(naps.asked) == 2, "the first run")
    naps.end_one()
    await until(lambda: runs == [1, 2], "the second run")
    await timer.stop()
    assert not timer.running


async def test_immediately_runs_first() -> None:
    naps, runs = Naps(), []

    async def job() -> None:
        runs.append(1)

    timer = Periodic("test", 1.0, job, sleep=naps.sleep, immediately=True)
    timer.start()
    await until(lambda: runs == [1] and naps.asked == [1.0], "the run at start")
    await timer.stop()


async def test_a_failing_run_is_logged_and_the_next_one_comes(caplog: pytest.LogCaptureFixture) -> None:
    naps, runs = Naps(), []

    async def job() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("boom")

    timer = Periodic("flaky job", 1.0, job, sleep=naps.sleep, immediately=True)
    timer.start()
    await until(lambda: len(naps.asked) == 1, "the pause after the failure")
    assert "flaky job failed" in caplog.text and "boom" in caplog.text
    naps.end_one()
    await until(lambda: len(runs) == 2, "the run after the failure")
    await timer.stop()


async def test_wake_runs_without_waiting_for_the_interval() -> None:
    naps, runs = Naps(), []

    async def job() -> None:
        runs.append(1)

    timer = Periodic("test", 3600.0, job, sleep=naps.sleep)
    timer.start()
    await until(lambda: naps.asked == [3600.0], "the first sleep")
    timer.wake()
    await until(lambda: runs == [1], "the early run")
    await timer.stop()


async def test_a_zero_interval_never_runs() -> None:
    async def job() -> None:
        raise AssertionError("ran")

    timer = Periodic("off", 0.0, job)
    timer.start()
    assert not timer.running
    await timer.stop()
