"""One way to run a job every few seconds in the background: `Periodic(name, interval, job)`, `start()`,
`wake()` to run it early, `await stop()`. A failing run is logged and the next one still comes; `sleep` is
injectable so tests drive time. A foundation: any layer may use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[object]]
Job = Callable[[], Awaitable[object]]


class Periodic:
    """Runs `job()` every `interval` seconds (first after one interval, or at once with `immediately`) until
    stopped; an interval of 0 or less never runs it."""

    def __init__(
        self, name: str, interval: float, job: Job, *, sleep: Sleep = asyncio.sleep, immediately: bool = False
    ) -> None:
        self.name = name
        self.interval = interval
        self.job = job
        self._sleep = sleep
        self._immediately = immediately
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """True between `start()` and `stop()` (while the loop is alive)."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the loop on the running event loop (a no-op when the interval is not positive)."""
        if self.interval > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"fairwatch-{self.name}")

    def wake(self) -> None:
        """Run the job as soon as the current run (or pause) ends, without waiting for the interval."""
        self._wake.set()

    async def stop(self) -> None:
        """Cancel the loop (a run in progress is cancelled too) and wait until it has ended."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        if not self._immediately:
            await self._pause()
        while True:
            self._wake.clear()
            try:
                await self.job()
            except Exception:
                log.exception("%s failed", self.name)
            await self._pause()

    async def _pause(self) -> None:
        """Sleep one interval, or less when woken."""
        if self._wake.is_set():
            return
        nap = asyncio.ensure_future(self._sleep(self.interval))
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({nap, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            nap.cancel()
            woken.cancel()
