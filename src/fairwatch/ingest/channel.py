"""The channel between HTTP workers and the writer process (`serve --workers N`): a Unix socket carrying
length-prefixed msgspec (MessagePack) frames.

A worker sends `Submit` (a request number and validated events); the writer commits them through its single
writer and sends back `Answer` (the HTTP status, body and headers the worker returns as they are), only after the
commit. Many submissions share one connection; answers come back in any order and are matched by number. Every
submission waiting at one turn of the worker's event loop goes in one frame (a list of `Submit`), so a worker
under load pays one encode, one frame and one system call per turn instead of one per request; each still gets
its own answer (a refused submission fails only itself). If the
writer goes away, every waiting submission fails with `StoreUnavailable` (503, Retry-After): nothing that was not
answered was acknowledged, and a client's retry with the same ids is stored once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path

import msgspec

from fairwatch.errors import StoreUnavailable
from fairwatch.model import Event

log = logging.getLogger(__name__)
HEADER = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024  # far above the largest body ingest accepts, well below memory trouble
RETRY_AFTER_S = 1


class Submit(msgspec.Struct, array_like=True):
    """Worker -> writer: store and evaluate `events`; answer with the same `number`."""

    number: int
    events: list[Event]


class Answer(msgspec.Struct, array_like=True):
    """Writer -> worker: the HTTP answer to submission `number` (sent only after the commit)."""

    number: int
    status: int
    body: bytes
    headers: dict[str, str] = {}


Handler = Callable[[list[Event]], Awaitable[Answer]]  # fills in status, body, headers; number is set here

_encode = msgspec.msgpack.Encoder().encode
_decode_submits = msgspec.msgpack.Decoder(list[Submit]).decode
_decode_answer = msgspec.msgpack.Decoder(Answer).decode


def frame(message: list[Submit] | Answer) -> bytes:
    """One frame: 4-byte big-endian length, then the MessagePack body."""
    body = _encode(message)
    return HEADER.pack(len(body)) + body


async def read_frame(reader: asyncio.StreamReader) -> bytes | None:
    """The next frame's body, or None at the end of the stream."""
    try:
        head = await reader.readexactly(HEADER.size)
    except asyncio.IncompleteReadError:
        return None
    (size,) = HEADER.unpack(head)
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes exceeds {MAX_FRAME}")
    try:
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError:
        return None


class Outbox:
    """Frames for one connection, written together once per turn of the event loop: under load, one system call
    carries the frames of many requests instead of one each (the profile showed a write per frame as a large
    share of a worker's and the writer's CPU)."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self._frames: list[bytes] = []

    def send(self, data: bytes) -> None:
        if not self._frames:
            asyncio.get_running_loop().call_soon(self._flush)
        self._frames.append(data)

    def _flush(self) -> None:
        frames, self._frames = self._frames, []
        if not self.writer.is_closing():
            self.writer.write(b"".join(frames))


class ChannelServer:
    """The writer's end: accepts worker connections on `path` and answers each submission with `handle`."""

    def __init__(self, path: Path, handle: Handler) -> None:
        self.path = path
        self.handle = handle
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.connections = 0  # workers connected now

    async def start(self) -> None:
        """Listen on the socket (only this user may connect)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._server = await asyncio.start_unix_server(self._serve, path=str(self.path))
        self.path.chmod(0o600)

    async def stop(self) -> None:
        """Stop accepting, let answers under way go out, close."""
        if self._server is not None:
            self._server.close()
        if self._tasks:
            await asyncio.wait(set(self._tasks))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        outbox = Outbox(writer)
        try:
            while (body := await read_frame(reader)) is not None:
                for submit in _decode_submits(body):
                    task = asyncio.create_task(self._answer(submit, outbox))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
        except (ValueError, msgspec.DecodeError, ConnectionError) as exc:
            log.error("writer channel: dropping a worker connection: %s", exc)
        finally:
            self.connections -= 1
            if self._tasks:
                await asyncio.wait(set(self._tasks))
            writer.close()

    async def _answer(self, submit: Submit, outbox: Outbox) -> None:
        answer = await self.handle(submit.events)
        answer.number = submit.number
        outbox.send(frame(answer))


class ChannelClient:
    """A worker's end: one connection to the writer, many submissions in flight on it."""

    def __init__(self, path: Path, on_lost: Callable[[], None] | None = None) -> None:
        self.path = path
        self.on_lost = on_lost  # called once when the writer closes the channel (it stopped or died)
        self._writer: asyncio.StreamWriter | None = None
        self._pending: list[Submit] = []  # submissions of this loop turn, sent together in one frame
        self._reading: asyncio.Task[None] | None = None
        self._waiting: dict[int, asyncio.Future[Answer]] = {}
        self._next = 0
        self._closing = False

    async def connect(self) -> None:
        """Open the connection (raises OSError if the writer is not listening)."""
        reader, self._writer = await asyncio.open_unix_connection(str(self.path))
        self._reading = asyncio.create_task(self._read(reader))

    async def submit(self, events: list[Event]) -> Answer:
        """Hand `events` to the writer; the answer arrives once they are committed (or refused)."""
        writer = self._writer
        if writer is None or writer.is_closing():
            raise StoreUnavailable("the writer process is not reachable", RETRY_AFTER_S)
        self._next += 1
        number = self._next
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Answer] = loop.create_future()
        self._waiting[number] = fut
        if not self._pending:
            loop.call_soon(self._send_pending)
        self._pending.append(Submit(number, events))
        try:
            return await fut
        finally:
            self._waiting.pop(number, None)

    def _send_pending(self) -> None:
        """One frame with every submission of this loop turn; if the channel closed meanwhile, they fail (503)."""
        pending, self._pending = self._pending, []
        writer = self._writer
        if writer is not None and not writer.is_closing():
            writer.write(frame(pending))
            return
        lost = StoreUnavailable("the writer process is not reachable", RETRY_AFTER_S)
        for submit in pending:
            fut = self._waiting.get(submit.number)
            if fut is not None and not fut.done():
                fut.set_exception(lost)

    async def close(self) -> None:
        """Close the connection (answers still due fail with 503)."""
        self._closing = True
        if self._writer is not None:
            self._writer.close()
        if self._reading is not None:
            await asyncio.wait([self._reading])

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while (body := await read_frame(reader)) is not None:
                answer = _decode_answer(body)
                fut = self._waiting.get(answer.number)
                if fut is not None and not fut.done():
                    fut.set_result(answer)
        except (ValueError, msgspec.DecodeError, ConnectionError) as exc:
            log.error("writer channel: %s", exc)
        lost = StoreUnavailable("the writer process went away; retry", RETRY_AFTER_S)
        for fut in self._waiting.values():
            if not fut.done():
                fut.set_exception(lost)
        if self._writer is not None:
            self._writer.close()
        if not self._closing and self.on_lost is not None:
            self.on_lost()
