"""Flame graphs of a loaded Fairwatch server with py-spy: single events, batches of 100 and an alarm storm.

    .venv/bin/python bench/profile.py [--workers N] [--seconds S]

Writes docs/img/flame-<round>[-wN].svg. py-spy samples every process of the server (the writer and its HTTP
workers) while wrk sends the load of bench/load.py; read the figures as relative cost (the machine may be busy).
Needs py-spy (`pip install py-spy`) and wrk.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import ROUNDS, STORM, Round, script, wrk
from servers import ROOT, Fairwatch

RATE = 200  # samples per second and thread
PROFILED = {"single": ROUNDS[0], "batch100": ROUNDS[1], "storm": STORM}


# Where an event's CPU goes: the first of these frames found in a sample's stack names its part.
PARTS = [
    ("commit (fsync, in a thread)", ("DefaultDialect.do_commit",)),
    ("alarms (dedupe, updates, occurrence rows)", ("AlarmService.apply_decisions",)),
    ("SSE encoding and fan-out", ("App._assemble.<locals>.publish",)),
    ("rule evaluation", ("Engine.evaluate",)),
    ("store: dedup query and insert", ("SqlTxn.insert_events", "SqlTxn.existing_event_keys")),
    ("writer: the rest of the transaction", ("Pipeline._run",)),
    ("validation and rights guard", ("validate_events",)),
    ("JSON decode and input check", ("decode_body",)),
    ("body read", ("read_json_body",)),
    ("token check", ("TokenCache.role", "authorize")),
    ("channel to the writer", ("ChannelClient", "ChannelServer", "Outbox")),
    ("relay to the writer", ("Proxy.__call__",)),
    ("response", ("Response.__call__",)),
    ("HTTP parsing, sockets, event loop", ("Runner.run",)),
]


def breakdown(raw: Path, rate: int, events: float, process: str | None = None) -> list[tuple[str, float]]:
    """µs of CPU per event for each part, from py-spy's raw (collapsed) stacks of `events` events; of one
    process only when `process` is given ("writer", or "worker" for the HTTP workers together)."""
    counts: dict[str, int] = {}
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        if process is not None and _process(frames) != process:
            continue
        names = [f.split(" (")[0] for f in frames]
        part = next((p for p, frames in PARTS if any(f.startswith(frames) for f in names)), "other threads")
        counts[part] = counts.get(part, 0) + int(n)
    return [
        (p, counts.get(p, 0) / rate / events * 1e6)
        for p, _ in [*PARTS, ("other threads", ())]
        if counts.get(p)
    ]


def _process(frames: list[str]) -> str:
    """py-spy names the process first, and a child process after its parent: the writer is the server's own
    process, its HTTP workers are its children."""
    return "writer" if sum(f.startswith("process ") for f in frames) <= 1 else "worker"


def profile(name: str, rnd: Round, workers: int, seconds: float, raw: bool = False) -> Path:
    suffix = "" if workers == 1 else f"-w{workers}"
    out = ROOT / "docs" / "img" / f"flame-{name}{suffix}.svg"
    if raw:
        out = ROOT / "build" / f"profile-{name}{suffix}.txt"
        out.parent.mkdir(exist_ok=True)
    srv = Fairwatch(workers=workers)
    srv.start()
    try:
        wrk(srv.url, script("fairwatch", rnd, srv.token), 2)  # warm up (and open the storm's alarms)
        spy = subprocess.Popen(
            [
                pyspy(),
                "record",
                "--pid",
                str(srv.pid),
                "--subprocesses",
                "--rate",
                str(RATE),
                "--duration",
                str(round(seconds)),
                "--format",
                "raw" if raw else "flamegraph",
                "--output",
                str(out),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        result = wrk(srv.url, script("fairwatch", rnd, srv.token), seconds + 1, rnd.connections)
        spy.wait(seconds * 4 + 30)
    finally:
        srv.stop()
    print(f"{rnd.name}: {result.events_per_s:,.0f} events/s under py-spy -> {out.relative_to(ROOT)}")
    if raw:
        events = result.events_per_s * seconds
        processes = [None] if workers == 1 else [None, "writer", "worker"]
        for process in processes:
            parts = breakdown(out, RATE, events, process)
            total = sum(us for _, us in parts)
            who = "" if process is None else f" ({process}{'s together' if process == 'worker' else ''})"
            print(f"  CPU per event{who}: {total:.1f} µs: " + "; ".join(f"{p} {us:.1f}" for p, us in parts))
    return out


def pyspy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=1, help="HTTP workers (default 1: one process)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--only", choices=sorted(PROFILED), action="append")
    parser.add_argument(
        "--breakdown", action="store_true", help="raw stacks to build/ and µs per event by part"
    )
    args = parser.parse_args()
    for name in args.only or PROFILED:
        profile(name, PROFILED[name], args.workers, args.seconds, args.breakdown)


if __name__ == "__main__":
    main()
