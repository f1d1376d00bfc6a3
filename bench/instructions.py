"""CPU instructions per event on a fixed in-process workload, counted by valgrind's callgrind: a figure that does
not depend on what else the machine runs (wall-clock figures on a shared machine are noise).

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=build/cg.%p \\
        .venv/bin/python bench/instructions.py {storm,batch100,single,workers} [--events N]

The script builds a real `App` (the demo rules, SQLite, synchronous=FULL) in a fresh data directory, warms it up,
then switches callgrind's instrumentation on (`callgrind_control -i on`) only around the measured part and prints
nothing itself: read "Collected" in valgrind's summary and divide by the events it names. Without valgrind it
runs the workload once (a smoke check). Loads:

- storm: the alarm storm of bench/load.py (panic presses of 8 sources, each alarm open), batches of 100 handed to
  the writer (`Pipeline.submit`), 16 in flight: dedup, insert, rules, alarm updates, occurrences, stream messages, commit.
- batch100: the ordinary events of bench/load.py in batches of 100, handed to the writer, 16 in flight.
- single: one event per `POST /api/v1/events` through the app's ASGI entry (token check, body, validation,
  writer, response), 64 requests in flight; no HTTP parsing or sockets (uvicorn is not in the loop).
- workers: one event per submission over the worker -> writer channel of `serve --workers N` (a Unix socket in
  this process; both ends counted), 64 in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import RULES

from fairwatch.access import create_token
from fairwatch.app import App
from fairwatch.events import validate_events
from fairwatch.ingest.channel import ChannelClient, ChannelServer
from fairwatch.model import Event, Role
from fairwatch.settings import Settings
from fairwatch.workers import writer_answer

IN_FLIGHT = 64  # single events: connections, as bench/load.py
BATCHES_IN_FLIGHT = 16  # batches of 100: connections, as bench/load.py


def storm_event(n: int) -> dict[str, Any]:
    return {"id": f"p{n}", "source": f"panic-{n % 8}", "type": "panic.pressed", "zone": f"z{n % 6}"}


def plain_event(n: int) -> dict[str, Any]:
    return {
        "id": f"e{n}",
        "source": f"counter-{n % 500}",
        "type": "crowd.density",
        "zone": f"z{n % 6}",
        "value": n % 3 + 0.5,
        "data": {"count": n % 500, "area": 120},
    }


def callgrind(on: bool) -> None:
    """Switch callgrind's instrumentation on or off for this process (nothing when not under valgrind)."""
    control = shutil.which("callgrind_control")
    if control is not None:
        subprocess.run([control, "-i", "on" if on else "off", str(os.getpid())], capture_output=True)


async def measured(work: Callable[[], Awaitable[None]]) -> None:
    callgrind(True)
    await work()
    callgrind(False)


async def run(load: str, events: int, data: Path) -> None:
    settings = Settings(data=data, rules=RULES, tick_seconds=3600.0)
    app = App.build(settings)
    await app.start()
    try:
        pipeline = app.pipeline
        now = app.ctx.clock.now()
        schemas, zones = app.ctx.schemas, app.ctx.zones

        def valid(raw: list[dict[str, Any]]) -> list[Event]:
            return validate_events(raw, now, 86400.0, schemas=schemas, zones=zones)

        if load in ("storm", "batch100"):
            make = storm_event if load == "storm" else plain_event
            warm = [valid([make(n) for n in range(b * 100, b * 100 + 100)]) for b in range(3)]
            batches = [
                valid([make(n) for n in range(b * 100, b * 100 + 100)]) for b in range(3, 3 + events // 100)
            ]
            for batch in warm:  # opens the storm's alarms; fills caches
                await pipeline.submit(batch)

            async def submit(batch: list[Event]) -> None:
                await pipeline.submit(batch)

            await measured(lambda: in_flight(submit, batches, BATCHES_IN_FLIGHT))
        elif load == "single":
            token = await pipeline.call(lambda txn, at: create_token(txn, "bench", Role.DEVICE, "bench", at))
            bodies = [orjson.dumps(plain_event(n)) for n in range(events + IN_FLIGHT)]
            entry = app.entry

            async def post(body: bytes) -> None:
                scope = {
                    "type": "http",
                    "asgi": {"version": "3.0"},
                    "http_version": "1.1",
                    "method": "POST",
                    "scheme": "http",
                    "path": "/api/v1/events",
                    "raw_path": b"/api/v1/events",
                    "query_string": b"",
                    "root_path": "",
                    "headers": [
                        (b"host", b"127.0.0.1"),
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"authorization", b"Bearer " + token.encode()),
                    ],
                    "client": ("127.0.0.1", 40000),
                    "server": ("127.0.0.1", 8000),
                    "state": {},
                }
                messages = [{"type": "http.request", "body": body, "more_body": False}]

                async def receive() -> dict[str, Any]:
                    return messages.pop() if messages else {"type": "http.disconnect"}

                status: list[int] = []

                async def send(message: dict[str, Any]) -> None:
                    if message["type"] == "http.response.start":
                        status.append(message["status"])

                await entry(scope, receive, send)
                if status != [202]:
                    raise SystemExit(f"POST /api/v1/events answered {status}")

            await in_flight(post, bodies[:IN_FLIGHT], IN_FLIGHT)
            await measured(lambda: in_flight(post, bodies[IN_FLIGHT:], IN_FLIGHT))
        elif load == "workers":
            server = ChannelServer(data / "channel.sock", writer_answer(pipeline.submit))
            await server.start()
            client = ChannelClient(data / "channel.sock")
            await client.connect()
            singles = [valid([plain_event(n)]) for n in range(events + IN_FLIGHT)]

            async def hand(events_: list[Event]) -> None:
                answer = await client.submit(events_)
                if answer.status != 202:
                    raise SystemExit(f"the writer answered {answer.status}")

            await in_flight(hand, singles[:IN_FLIGHT], IN_FLIGHT)
            await measured(lambda: in_flight(hand, singles[IN_FLIGHT:], IN_FLIGHT))
            await client.close()
            await server.stop()
        else:
            raise SystemExit(f"unknown load {load}")
        print(f"{load}: {len(pipeline.alarms.open)} open alarms at the end", file=sys.stderr)
    finally:
        await app.stop()
        app.store.close()


async def in_flight(fn: Callable[[Any], Awaitable[None]], items: list[Any], lanes: int) -> None:
    """`fn` over `items`, `lanes` at a time (as many connections)."""
    queue = iter(items)

    async def lane() -> None:
        for item in queue:
            await fn(item)

    await asyncio.gather(*(lane() for _ in range(lanes)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("load", choices=["storm", "batch100", "single", "workers"])
    parser.add_argument("--events", type=int, default=2000)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="fw-instr-"))
    try:
        asyncio.run(run(args.load, args.events, data))
    finally:
        shutil.rmtree(data, ignore_errors=True)
    print(f"{args.load}: {args.events} events measured", file=sys.stderr)


if __name__ == "__main__":
    main()
