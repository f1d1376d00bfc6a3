"""Running an `App` as a server process: one server per data directory (a lock), the listening socket, uvicorn with
timeouts and a connection cap against slow clients, and a clean stop on SIGTERM/SIGINT.

A stop ends the event streams first (`Hub.shutdown`), stops background work the caller started, lets uvicorn
finish open requests (at most `stop_timeout` seconds), then the app's lifespan stops the extensions, the timers
and the writer. A second signal exits at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
import signal
import socket
import sys
from collections.abc import Callable, Coroutine, Generator
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from fairwatch.app import App
from fairwatch.errors import ConfigError, StoreUnavailable
from fairwatch.settings import Settings
from fairwatch.store import sqlite_url

Background = Callable[[], Coroutine[Any, Any, object]]
PG_LOCK_KEY = 0x46574C4B  # 'FWLK': the advisory lock a PostgreSQL-backed server holds while it runs


class DataLock:
    """Held while a server runs on a data directory (SQLite: `flock` on `<database>.lock`) or database
    (PostgreSQL: `pg_try_advisory_lock` on a connection of its own)."""

    def __init__(self, release: Callable[[], None]) -> None:
        self._release = release

    @classmethod
    def acquire(cls, settings: Settings) -> DataLock:
        """Take the lock, or raise ConfigError naming what is in use and what to do."""
        url = settings.database_url or sqlite_url(settings.data)
        if url.startswith("sqlite"):
            return cls._file(Path(make_url(url).database or settings.data / "fairwatch.db"))
        return cls._postgres(url)

    @classmethod
    def _file(cls, database: Path) -> DataLock:
        path = database.with_name(database.name + ".lock")
        try:
            database.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path, "a+")  # noqa: SIM115 - held open for the life of the server
        except OSError as exc:
            raise ConfigError(
                [f"data directory {database.parent}: {exc.strerror}: set --data or FAIRWATCH_DATA"]
            ) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.close()
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            raise ConfigError(
                [
                    f"another Fairwatch server is using {database.parent} (lock {path}):"
                    " stop it, or set --data or FAIRWATCH_DATA"
                ]
            ) from None
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        return cls(handle.close)  # closing the file releases the lock

    @classmethod
    def _postgres(cls, url: str) -> DataLock:
        try:
            engine = create_engine(url)
            conn: Connection = engine.connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": PG_LOCK_KEY}).scalar()
        except (SQLAlchemyError, ImportError) as exc:
            where = make_url(url).render_as_string(hide_password=True)
            raise StoreUnavailable(f"cannot open store {where}: {exc}") from exc
        if not got:
            conn.close()
            engine.dispose()
            raise ConfigError(
                ["another Fairwatch server is using this database: stop it, or set --database-url"]
            )
        conn.commit()

        def release() -> None:
            conn.close()  # the session ends: PostgreSQL releases its advisory locks
            engine.dispose()

        return cls(release)

    def release(self) -> None:
        """Let another server start."""
        self._release()


def bind(host: str, port: int) -> socket.socket:
    """The listening socket; a busy or forbidden port is one ConfigError line naming it and the fix."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise ConfigError([f"host {host!r}: {exc.strerror}: set --host or FAIRWATCH_HOST"]) from None
    sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)  # TCP_NODELAY needs proto set
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        reason = "in use" if exc.errno == errno.EADDRINUSE else f"not available ({exc.strerror})"
        raise ConfigError([f"port {port} on {host} is {reason}: set --port or FAIRWATCH_PORT"]) from None
    return sock


def guarded_protocol(settings: Settings) -> type[HttpToolsProtocol]:
    """uvicorn's HTTP protocol with a header and a body read timeout and a cap on open connections.

    uvicorn only times out idle kept-alive connections: a client that sends half a request holds a connection
    (and a file descriptor) forever. A request only writes its deadline (a timer per request would cost more than
    the rest of the hot path's bookkeeping); one sweep per second closes the connections past theirs."""
    header_s, body_s, cap = settings.header_timeout, settings.body_timeout, settings.max_connections
    every = min(1.0, header_s / 2, body_s / 2)
    sweeping: set[asyncio.AbstractEventLoop] = set()

    class Guarded(HttpToolsProtocol):
        deadline: float | None = None  # loop time by which the current request must be read in full

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            if len(self.connections) >= cap:
                transport.close()  # over the cap: refuse at once rather than hold a descriptor
                return
            super().connection_made(transport)
            self.deadline = self.loop.time() + header_s
            if self.loop not in sweeping:
                sweeping.add(self.loop)
                self.loop.call_later(every, self._sweep)

        def connection_lost(self, exc: Exception | None) -> None:
            if self.transport is not None:  # None: refused over the cap
                super().connection_lost(exc)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self.deadline = self.loop.time() + header_s

        def on_headers_complete(self) -> None:
            self.deadline = self.loop.time() + body_s
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self.deadline = None
            super().on_message_complete()

        def _sweep(self) -> None:
            now = self.loop.time()
            for conn in list(self.connections):
                if isinstance(conn, Guarded) and conn.deadline is not None and conn.deadline < now:
                    conn.expire()
            if self.connections:
                self.loop.call_later(every, self._sweep)
            else:
                sweeping.discard(self.loop)  # the next connection starts it again

        def expire(self) -> None:
            """Close a connection whose request is still being read (never one whose response is under way)."""
            self.deadline = None
            if self.cycle is None or self.cycle.response_complete or not self.cycle.response_started:
                self.transport.close()

    return Guarded


class _Server(uvicorn.Server):
    """uvicorn's server without its signal handling: `run` handles signals on the loop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def run(app: App, sock: socket.socket, banner: list[str], background: Background | None = None) -> None:
    """Serve `app` on `sock` until SIGTERM/SIGINT; `background()` runs once the server listens and is cancelled
    at the stop. Prints the banner, then `stopped` when everything stopped."""
    s = app.settings
    config = uvicorn.Config(
        app.entry,
        log_level="warning",
        lifespan="on",
        access_log=False,
        http=guarded_protocol(s),
        timeout_keep_alive=s.keepalive_timeout,
        timeout_graceful_shutdown=max(1, round(s.stop_timeout)),
    )
    server = _Server(config)
    started = _run_loop(_serve(app, server, sock, banner, background))
    if not started:
        raise ConfigError(["the server did not start: see the log above"])
    print("stopped", flush=True)


async def _serve(
    app: App, server: _Server, sock: socket.socket, banner: list[str], background: Background | None
) -> bool:
    loop = asyncio.get_running_loop()
    extra: list[asyncio.Task[object]] = []

    def on_signal(sig: signal.Signals) -> None:
        if server.should_exit:
            print(f"{sig.name} again: exiting at once", file=sys.stderr, flush=True)
            os._exit(128 + sig.value)
        print(f"{sig.name}: stopping", file=sys.stderr, flush=True)
        app.hub.shutdown()  # event streams end first, or uvicorn would wait for them
        for task in extra:
            task.cancel()
        server.should_exit = True

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)
    serving = loop.create_task(server.serve(sockets=[sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.05)
    if server.started:
        for line in banner:
            print(line, flush=True)
        if background is not None and not server.should_exit:
            extra.append(loop.create_task(background()))
    await serving
    for task in extra:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    return bool(server.started)


def _run_loop(main: Coroutine[Any, Any, bool]) -> bool:
    """Run on uvloop when it is installed (uvicorn[standard] brings it): faster socket I/O than the default
    selector loop; `uvicorn.run` would choose it too, but we drive `Server.serve` ourselves."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a pinned dependency through uvicorn[standard]
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
