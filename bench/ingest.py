"""Ingest benchmark, side by side with Prometheus Alertmanager in one run; writes docs/benchmarks.md.

    make bench            (installs wrk and prometheus-alertmanager with apt-get if missing, then runs this)
    .venv/bin/python bench/ingest.py [--seconds S] [--rounds R] [--smoke]

Starts Alertmanager (Debian's package), Fairwatch with one process (`serve --workers 1`) and Fairwatch with one
HTTP worker per core (`serve --workers N`), all on loopback, Fairwatch with the demo rules on SQLite
(synchronous=FULL: every 2xx is committed). Then R times, alternating the servers within each load so that a busy
moment hurts all of them alike: single events (64 connections), batches of 100 and of 1,000, and an alarm storm
(every event matches an open alarm), each driven by wrk for S seconds with the same event shape (bench/load.py).
Reports per load and server the median and range of events/s, the ratio to Alertmanager, p99 latency, server CPU
(summed over its processes) and RSS; and for Fairwatch the p50/p99 from POST to the SSE message at 1,000 events/s.
`--smoke` is a short run (a few seconds a round) that writes build/benchmarks-smoke.md instead of the docs.
Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import ROUNDS, STORM, Result, Round, script, wrk
from servers import ROOT, Alertmanager, Fairwatch, Process

LOADS = [*ROUNDS, STORM]
_ids = itertools.count()


@dataclass
class Figures:
    """What one server did under one load, over the rounds."""

    runs: list[Result] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)  # % of one core, summed over the server's processes
    rss: list[float] = field(default_factory=list)  # MB, after the round

    def median(self) -> float:
        return statistics.median(r.events_per_s for r in self.runs) if self.runs else 0.0

    def span(self) -> str:
        rates = [r.events_per_s for r in self.runs]
        return f"{min(rates):,.0f}–{max(rates):,.0f}" if rates else ""

    def p99(self) -> float:
        return statistics.median(r.p99_ms for r in self.runs) if self.runs else 0.0

    def errors(self) -> str:
        notes = sorted({r.errors for r in self.runs if r.errors != "all 2xx"})
        return "; ".join(notes)


def measure(srv: Process, url: str, kind: str, rnd: Round, seconds: float, token: str, into: Figures) -> None:
    cpu0, t0 = srv.cpu_seconds(), time.monotonic()
    result = wrk(url, script(kind, rnd, token), seconds, rnd.connections)
    elapsed = time.monotonic() - t0
    into.runs.append(result)
    into.cpu.append(100 * (srv.cpu_seconds() - cpu0) / elapsed)
    into.rss.append(srv.rss_mb())


def event(trigger: bool = False) -> dict[str, object]:
    n = next(_ids)
    if trigger:
        return {"id": f"p{n}", "source": "panic-bench", "type": "panic.pressed", "zone": "food-court"}
    return {
        "id": f"b{n}",
        "source": f"counter-{n % 40}",
        "type": "crowd.density",
        "zone": f"z{n % 6}",
        "value": 1.5,
    }


async def latency(srv: Fairwatch, rate: int, seconds: float) -> tuple[float, float, int]:
    """p50/p99 ms from POST to the SSE message for a triggering event, under `rate` events/s of background load."""
    headers = {"Authorization": f"Bearer {srv.viewer}"}
    sent_at: dict[int, float] = {}
    got: list[float] = []
    ready = asyncio.Event()

    async def listen() -> None:
        async with (
            httpx.AsyncClient(timeout=None) as http,
            http.stream("GET", srv.url + "/api/v1/stream", headers=headers) as r,
        ):
            ready.set()
            async for line in r.aiter_lines():
                if line.startswith("data: ") and b"panic-bench" in line.encode():
                    msg = orjson.loads(line[6:])
                    count = msg["alarm"]["count"]
                    if count in sent_at:
                        got.append((time.perf_counter() - sent_at.pop(count)) * 1000)

    listener = asyncio.create_task(listen())
    await ready.wait()
    await asyncio.sleep(0.2)
    async with httpx.AsyncClient(base_url=srv.url, headers=headers, timeout=30) as http:
        # the panic alarm may already be open from earlier phases: learn its count first
        alarms = (await http.get("/api/v1/alarms", params={"type": "violence.panic_alarm"})).json()["alarms"]
        count = max(
            (a["count"] for a in alarms if a["state"] != "resolved" and "panic-bench" in a["sources"]),
            default=0,
        )  # the storm's own panic alarms are open too
        per_tick, tick = rate // 10, 0.1
        t_end = time.monotonic() + seconds
        next_at = time.monotonic()
        while time.monotonic() < t_end:
            batch = [event() for _ in range(per_tick - 1)]
            body = orjson.dumps([*batch, event(trigger=True)])
            count += 1
            sent_at[count] = time.perf_counter()
            device = {"Content-Type": "application/json", "Authorization": f"Bearer {srv.token}"}
            await http.post("/api/v1/events", content=body, headers=device)
            next_at += tick
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    await asyncio.sleep(0.5)
    listener.cancel()
    got.sort()
    if not got:
        return 0.0, 0.0, 0
    return statistics.median(got), got[min(len(got) - 1, int(len(got) * 0.99))], len(got)


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB RAM, Python {platform.python_version()}, {platform.system()}"


def run(seconds: float, rounds: int) -> dict[str, object]:
    cores = os.cpu_count() or 1
    am = Alertmanager()
    fw = (
        {1: Fairwatch(workers=1), cores: Fairwatch(workers=cores)} if cores > 1 else {1: Fairwatch(workers=1)}
    )
    servers: list[tuple[str, Process, str, str]] = []  # (label, process, kind, token)
    figures: dict[tuple[str, str], Figures] = {}
    sse: dict[str, tuple[float, float, int]] = {}
    try:
        am.start()
        servers.append(("Alertmanager", am, "alertmanager", ""))
        for n, srv in fw.items():
            srv.start()
            servers.append((f"Fairwatch, {n} worker{'s' if n > 1 else ''}", srv, "fairwatch", srv.token))
        started = {label: proc.rss_mb() for label, proc, _, _ in servers}
        for srv in fw.values():  # open the storm's alarms before the first round
            wrk(srv.url, script("fairwatch", STORM, srv.token), 1, 4)
        for r in range(rounds):
            for rnd in LOADS:
                order = servers if r % 2 == 0 else list(reversed(servers))
                for label, proc, kind, token in order:
                    url = proc.url  # type: ignore[attr-defined]
                    measure(
                        proc, url, kind, rnd, seconds, token, figures.setdefault((rnd.name, label), Figures())
                    )
                    print(
                        f"round {r + 1} {rnd.name} {label}: {figures[(rnd.name, label)].runs[-1].events_per_s:,.0f}/s",
                        flush=True,
                    )
        for n, srv in fw.items():
            sse[f"Fairwatch, {n} worker{'s' if n > 1 else ''}"] = asyncio.run(
                latency(srv, 1000, max(5.0, seconds))
            )
        alertmanager_version = am.version()
    finally:
        for _, proc, _, _ in servers:
            proc.stop()
        for srv in fw.values():
            srv.stop()
        am.stop()
    return {
        "labels": [label for label, *_ in servers],
        "figures": figures,
        "sse": sse,
        "started": started,
        "alertmanager": alertmanager_version,
        "cores": cores,
    }


def report(f: dict[str, object], seconds: float, rounds: int, command: str) -> list[str]:
    labels: list[str] = f["labels"]  # type: ignore[assignment]
    figures: dict[tuple[str, str], Figures] = f["figures"]  # type: ignore[assignment]
    sse: dict[str, tuple[float, float, int]] = f["sse"]  # type: ignore[assignment]
    started: dict[str, float] = f["started"]  # type: ignore[assignment]
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {machine()}; load average {os.getloadavg()[0]:.1f} at the end of the run.",
        f"Command: `{command}`, run on {time.strftime('%Y-%m-%d')}: {rounds} round{'s' if rounds != 1 else ''} of {seconds:g} s per load and"
        " server, alternating the servers within each load (the order reversed every other round).",
        f"Peer: Prometheus Alertmanager {f['alertmanager']} (Debian package, one node, a route to nowhere; it keeps"
        " alerts in memory and writes nothing to disk). Fairwatch: `serve --workers 1` and"
        f" `serve --workers {f['cores']}` with the demo rules (`riverside.rules.yaml`, 10 rules) on SQLite, WAL,"
        " synchronous=FULL: every 202 is sent after the commit of the events, their rule evaluation and alarms.",
        "Load: wrk (bench/load.py) on the same machine, competing with the servers for the cores; the same event"
        " shape for both (id, source, type, zone, value, a small `data` object; for Alertmanager the same fields"
        " as labels and annotations). The storm: every event is a panic button press of one of 8 sources, each"
        " with its alarm open (in Alertmanager, the same 8 alerts again and again).",
        "",
        "| load | server | events/s (median) | range | × Alertmanager | p99 latency | server CPU | RSS |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for rnd in LOADS:
        base = figures[(rnd.name, labels[0])].median()
        for label in labels:
            fig = figures[(rnd.name, label)]
            ratio = f"{fig.median() / base:.2f}" if base and label != labels[0] else ""
            note = f" ({fig.errors()})" if fig.errors() else ""
            lines.append(
                f"| {rnd.name} ({rnd.connections} connections) | {label} | {fig.median():,.0f}{note} | {fig.span()} |"
                f" {ratio} | {fig.p99():.1f} ms | {statistics.median(fig.cpu):.0f}% | {max(fig.rss):.0f} MB |"
            )
    lines += ["", "Events/s against the number of HTTP workers (medians):", ""]
    lines += ["| load | " + " | ".join(labels[1:]) + " |", "|---|" + "---|" * (len(labels) - 1)]
    for rnd in LOADS:
        lines.append(
            f"| {rnd.name} | "
            + " | ".join(f"{figures[(rnd.name, lb)].median():,.0f}" for lb in labels[1:])
            + " |"
        )
    lines += [
        "",
        "Event → SSE message for a triggering event under 1,000 events/s of other events (target p99 ≤ 50 ms):",
        "",
    ]
    for label, (p50, p99, n) in sse.items():
        lines.append(f"- {label}: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({n} samples)")
    lines += ["", "RSS at start: " + ", ".join(f"{label} {mb:.0f} MB" for label, mb in started.items()), ""]
    return lines


PROFILE = """## Where an event's CPU goes (py-spy)

Flame graphs, recorded with `make profile` (`bench/profile.py`; wrk load of bench/load.py, py-spy at 200 Hz over
every process of the server): one process — [single events](img/flame-single.svg),
[batches of 100](img/flame-batch100.svg), [alarm storm](img/flame-storm.svg); two HTTP workers and the writer —
[single events](img/flame-single-w2.svg), [batches of 100](img/flame-batch100-w2.svg),
[alarm storm](img/flame-storm-w2.svg). `bench/profile.py --breakdown` sorts every sample into the part of the
path it belongs to and divides by the events sent: CPU µs per event. Taken on the shared 2-core machine while other
work ran (load average 12–13), so absolute figures are inflated; the proportions are what to read. The table and
the flame graphs were taken before the changes counted in instructions below.

| part of the path | one process, single events | one process, batches of 100 | 2 workers + writer, single events |
|---|---|---|---|
| HTTP parsing, socket I/O, event loop (uvicorn, uvloop) | 39 | 2.0 | 216 |
| response | 28 | 0.9 | 81 |
| token check | 24 | 0.2 | 10 |
| body read | 4.9 | 0.2 | 8.0 |
| JSON decode and input check | 0.6 | 1.2 | 2.0 |
| validation and rights guard | 5.7 | 8.1 | 20 |
| channel to the writer (frames, system calls) | — | — | 115 |
| store: dedup query and insert | 17 | 11 | 29 |
| rule evaluation (10 rules) | 3.6 | 5.0 | 8.0 |
| writer: the rest of the transaction | 23 | 2.0 | 40 |
| commit (fsync, in a thread) | 32 | 1.4 | 90 |
| other threads | 46 | 2.8 | 94 |
| **total CPU per event** | **223** | **34** | **711** |

Instruction counts on a fixed in-process workload (`bench/instructions.py`; callgrind counts the instructions of
the measured part only, so the figures do not depend on what else the machine runs; user-space only: system calls,
fsync and context switches are not in them). Reproduce with

    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/tmp/cg.%p \\
        .venv/bin/python bench/instructions.py LOAD --events 3200

and divide "Collected" by 3,200 (3,200 and 6,400 events give the same count per event within 0.3 %). Before:
branch `integ` at 75b7a18; after: this change.

| load (3,200 events, demo rules, SQLite, synchronous=FULL) | before | after | change |
|---|---|---|---|
| storm: panic presses of 8 sources, each alarm open, batches of 100, 16 in flight, to the writer | 539,065 | 354,320 | -34 % |
| batch100: ordinary events, batches of 100, 16 in flight, to the writer | 173,091 | 172,537 | 0 % |
| single: one event per `POST /api/v1/events` through the ASGI entry (no uvicorn), 64 in flight | 501,032 | 475,292 | -5 % |
| workers: one event per submission over the worker -> writer channel, both ends, 64 in flight | 356,895 | 316,144 | -11 % |

The single-event path per request (one process), measured natively with `timeit`: the token check is the marker
`stat` (~1.4 µs), the token's SHA-256 (~0.5 µs) and the header lookup (~1.3 µs); building the 202 response is
~1.2 µs. These are a small part of a request; the 24 µs and 28 µs of the table above are py-spy samples under load,
where `Response.__call__` includes uvicorn's socket write and the `stat` waits on a busy kernel. Left as they are:
the `stat` is what makes a revocation by the CLI (another process) refuse the very next request, and remembering
it for one loop turn would cost a scheduled callback per turn, about what the `stat` costs. The per-submission
cost that did go: the writer counted accepted and duplicate events with two labelled-metric look-ups per
submission; it now counts once per commit.

**Against the goal (≥ 1.0× Alertmanager).** Not reached in any run taken here. In the smoke run of 2026-12-05
(load average 2–5) one process made 0.33× Alertmanager for single events and 0.58× for batches of 100; two workers
0.19× and 0.46×. Two workers help the alarm storm (5,600 -> 10,500 events/s: validation and the HTTP side leave
the writer) and the event -> SSE latency (p99 29 -> 17 ms), not single events: with 64 and with 256 connections
one process and two workers were within 10 % of each other (5,379 against 5,138, 7,513 against 6,890 events/s),
the servers' processes together using 70–90 % of the two cores and wrk the rest. On two cores shared with the load
generator there is no idle core for a second HTTP process to use, and each request pays the hand-off to the
writer (below). The quiet run of `make bench` gives the figures to judge. Memory: each worker loads the
configuration and the rights guard's lexicon (~170 MB each), so `--workers 2` takes ~3x the RSS of one process.

What limits each figure:
- **Single events, one process**: almost all of the cost is per request, not per event: HTTP parsing and socket
  writes, the response, and one writer transaction per group commit (the commit's fsync runs in a thread). One
  Python process uses one core; Alertmanager (Go) uses both.
- **Single events, N workers**: each request now crosses two more process boundaries (worker -> writer -> worker:
  a frame each way, `StreamWriter.write` in [flame-single-w2](img/flame-single-w2.svg)) and three processes plus
  wrk share two cores, so each wake-up is a context switch. On two cores the parallel parsing gains less than the
  hand-off costs; the layout pays where cores outnumber the writer's needs (the writer's share per event is
  ~100 µs of the 711). Frames of many requests are written in one system call per loop turn (`channel.Outbox`),
  and every submission waiting at one turn of a worker's loop now goes in one `Submit` frame (one encode, one
  frame, one write; the writer still answers each request on its own, so a refused one fails only itself): -11 %
  instructions per event on the in-process channel load below, plus the system calls and wake-ups saved, which
  instruction counts do not show.
- **Batches**: per-event work dominates: the SQLite insert through SQLAlchemy's `executemany` (~11 µs, a third
  of it statement compilation/caching) and validation with the rights guard (~8 µs); JSON decoding (orjson) is
  ~1 µs. Typed msgspec decoding was not adopted: validation must name every problem with its index, field and
  value (closed schemas, the person-data ban), which a typed decode that stops at the first error does not give,
  and the decode share it would replace is small. msgspec carries the validated events to the writer instead.
  With workers, validation moves off the writer.
- **Alarm storm** ([flame-storm](img/flame-storm.svg), taken before the change below): each matching event is an
  alarm change. Occurrence rows are one `executemany` per commit and each alarm is updated once per commit
  (`AlarmService` collects the touched alarms). The stream now carries, of an alarm's consecutive `repeated`
  changes in one commit, only the last (`alarms.stream_changes`; the console merges an alarm by id; raised,
  escalated, reactivated, cleared and every operator action are streamed as before, and notifications and
  webhooks still get every change), so `change_json` runs once per alarm per commit instead of once per event; a
  repeat no longer builds audit details it does not write, and the change metrics are counted once per kind per
  commit: -34 % instructions per storm event (table below). What remains per event is the rule evaluation with
  its explanation text (`rules/explain.py`), `dedupe.apply` (its `dataclasses.replace` of the alarm is ~14 % of the
  storm writer under cProfile: 4.9 µs against 2.2 µs for a direct constructor call, left as it is because a direct
  call would silently reset any field added to `Alarm` later), the `AlarmChange` each listener gets, and the
  occurrence row (building it is ~0.4 µs; its `executemany` is shared with the commit).
"""


CLUSTER = """## A cluster

3 NATS nodes, PostgreSQL, 3 workers and 2 edges on this machine: events/s through 1 and 2 edges, committed
events/s and lag, and the time to fail over, with Alertmanager as the reference in the same run — in
[benchmarks-cluster.md](benchmarks-cluster.md) (`make bench-cluster`, bench/cluster.py).
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds per round, load and server")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--smoke", action="store_true", help="3 s rounds, 1 round, report to build/")
    args = parser.parse_args()
    seconds, rounds = (3.0, 1) if args.smoke else (args.seconds, args.rounds)
    command = "make bench" if not args.smoke else "bench/ingest.py --smoke"
    lines = report(run(seconds, rounds), seconds, rounds, command)
    notes = ROOT / "docs" / "benchmarks-notes.md"
    text = "\n".join(lines) + "\n" + PROFILE + "\n" + (notes.read_text() if notes.exists() else "")
    if (ROOT / "docs" / "benchmarks-cluster.md").exists():  # written by bench/cluster.py (make bench-cluster)
        text += "\n" + CLUSTER
    out = ROOT / ("build/benchmarks-smoke.md" if args.smoke else "docs/benchmarks.md")
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
