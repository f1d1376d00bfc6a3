"""`fairwatch serve --workers N` (N > 1): this process is the writer; N HTTP worker processes share the listening
socket (pre-fork: bound and listening here, inherited by each worker), accept, validate and guard requests.

The writer process runs the whole app (store, single writer, rules, alarms, MQTT, notifications, console, event
streams) behind two Unix sockets in a private directory: the channel (`ingest.channel`) for validated events and an
HTTP server to which workers relay every other request (`ingest.proxy`). A worker whose writer goes away (stopped
or killed) stops at once; the kernel also signals it when its parent dies. A worker that dies is started again.

Stop (SIGTERM/SIGINT to this process): event streams end, the workers stop accepting and finish their open
requests (their submissions are still answered, after commit), then the writer drains and the store closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from pathlib import Path

import uvicorn

from fairwatch.app import App
from fairwatch.errors import ConfigError, FairwatchError
from fairwatch.ingest.channel import ChannelServer
from fairwatch.ingest.proxy import Peer
from fairwatch.server import Background, _run_loop, _Server, guarded_protocol
from fairwatch.settings import Settings
from fairwatch.workers import Worker, writer_answer

log = logging.getLogger("fairwatch.supervisor")
WATCH_S = 0.5  # how often the writer looks for workers that died
PR_SET_PDEATHSIG = 1
WORKER_CANNOT_START = 2  # a worker's exit code when its configuration or store was refused


def workers_for(settings: Settings) -> int:
    """The number of HTTP workers `serve` runs: the setting, or one per core."""
    return settings.workers or os.cpu_count() or 1


def run(
    app: App, sock: socket.socket, banner: list[str], workers: int, background: Background | None = None
) -> None:
    """Serve `app` with `workers` HTTP processes on `sock` until SIGTERM/SIGINT; prints the banner once every
    worker is connected, then `stopped` when everything stopped."""
    rundir = Path(tempfile.mkdtemp(prefix="fairwatch-"))  # mode 0700: only this user reaches the sockets
    try:
        started = _run_loop(_supervise(app, sock, banner, workers, background, rundir))
    finally:
        shutil.rmtree(rundir, ignore_errors=True)
    if not started:
        raise ConfigError(["the server did not start: see the log above"])
    print("stopped", flush=True)


class _Pool:
    """The worker processes: start, restart the dead, stop."""

    def __init__(self, settings: Settings, sock: socket.socket, rundir: Path, size: int) -> None:
        self.settings, self.sock, self.rundir, self.size = settings, sock, rundir, size
        self.procs: list[BaseProcess] = []
        self.stopping = False
        self.failed = False  # a worker could not start
        self._ctx = multiprocessing.get_context("spawn")

    def start(self) -> None:
        self.procs = [self._spawn() for _ in range(self.size)]

    def _spawn(self) -> BaseProcess:
        args = (self.settings, self.sock, self.rundir / "writer.sock", self.rundir / "http.sock")
        proc = self._ctx.Process(target=worker_main, args=args, name="fairwatch-worker", daemon=False)
        proc.start()
        return proc

    async def watch(self, give_up: Callable[[], None]) -> None:
        """Start a worker again when one died while the server runs; `give_up()` when one could not start (exit
        code 2: its configuration or store was refused), as another would not start either."""
        while not self.stopping:
            await asyncio.sleep(WATCH_S)
            for i, proc in enumerate(self.procs):
                if self.stopping or proc.exitcode is None:
                    continue
                if proc.exitcode == WORKER_CANNOT_START:
                    self.failed = True
                    give_up()
                    return
                log.error("HTTP worker %s ended with code %s; starting another", proc.pid, proc.exitcode)
                self.procs[i] = self._spawn()

    async def stop(self, timeout: float) -> None:
        """SIGTERM every worker; wait for them to finish their open requests (SIGKILL after `timeout`)."""
        self.stopping = True
        for proc in self.procs:
            if proc.exitcode is None and proc.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGTERM)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while any(p.exitcode is None for p in self.procs) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        for proc in self.procs:
            if proc.exitcode is None:
                proc.kill()
            proc.join()


async def _supervise(
    app: App,
    sock: socket.socket,
    banner: list[str],
    workers: int,
    background: Background | None,
    rundir: Path,
) -> bool:
    loop = asyncio.get_running_loop()
    s = app.settings
    http_path = rundir / "http.sock"
    internal = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    internal.bind(str(http_path))
    config = uvicorn.Config(
        Peer(app.entry),
        log_level="warning",
        lifespan="on",
        access_log=False,
        http=guarded_protocol(s),
        timeout_keep_alive=s.keepalive_timeout,
        timeout_graceful_shutdown=max(1, round(s.stop_timeout)),
    )
    server = _Server(config)
    channel = ChannelServer(rundir / "writer.sock", writer_answer(app.pipeline.submit))
    pool = _Pool(s, sock, rundir, workers)
    extra: list[asyncio.Task[object]] = []
    stopping = asyncio.Event()

    def on_signal(sig: signal.Signals) -> None:
        if stopping.is_set():
            print(f"{sig.name} again: exiting at once", file=sys.stderr, flush=True)
            os._exit(128 + sig.value)
        print(f"{sig.name}: stopping", file=sys.stderr, flush=True)
        app.hub.shutdown()  # event streams end first, or the workers would wait for them
        for task in extra:
            task.cancel()
        stopping.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)
    serving = loop.create_task(server.serve(sockets=[internal]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.05)
    if server.started and not stopping.is_set():
        await channel.start()
        sock.listen(2048)  # connections wait in the backlog until a worker accepts them
        pool.start()
        extra.append(loop.create_task(pool.watch(stopping.set)))
        while channel.connections < workers and not stopping.is_set():
            await asyncio.sleep(0.05)
        for line in banner:
            print(line, flush=True)
        if background is not None and not stopping.is_set():
            extra.append(loop.create_task(background()))
        await stopping.wait()
        await pool.stop(s.stop_timeout + 5)
        await channel.stop()
    server.should_exit = True
    await serving
    for task in extra:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    return bool(server.started) and not pool.failed


def worker_main(settings: Settings, sock: socket.socket, channel: Path, http: Path) -> None:
    """An HTTP worker process (started by the writer with the listening socket)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the writer decides when to stop (Ctrl-C reaches it too)
    _die_with_parent()
    logging.basicConfig(level=logging.WARNING)
    try:
        worker = Worker.build(settings, channel, http, on_lost=lambda: None)
    except FairwatchError as exc:
        print(f"HTTP worker: {exc}", file=sys.stderr, flush=True)
        sys.exit(WORKER_CANNOT_START)
    _run_loop(_work(worker, sock))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # nothing left to write; tearing down the interpreter's large tables (lexicon) takes seconds


async def _work(worker: Worker, sock: socket.socket) -> bool:
    s = worker.settings
    config = uvicorn.Config(
        worker.entry,
        log_level="warning",
        lifespan="off",
        access_log=False,
        http=guarded_protocol(s),
        timeout_keep_alive=s.keepalive_timeout,
        timeout_graceful_shutdown=max(1, round(s.stop_timeout)),
    )
    server = _Server(config)

    def stop() -> None:
        server.should_exit = True

    worker.channel.on_lost = stop  # the writer stopped or died: nothing more can be acknowledged
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop)
    await worker.start()
    try:
        await server.serve(sockets=[sock])
    finally:
        await worker.stop()
    return True


def _die_with_parent() -> None:
    """Ask Linux to kill this worker the moment the writer process dies (SIGKILL included): nothing can be
    acknowledged any more, the listening socket must be free for the next server, and clients retry what was not
    answered. Elsewhere the channel's end stops the worker a moment later."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
