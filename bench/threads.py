"""CPU time of each process and thread of a loaded Fairwatch server, per event, read from /proc.

    .venv/bin/python bench/threads.py [--loads single,batch100,storm] [--workers 1 2] [--seconds 10]

py-spy's samples (bench/profile.py) say where the time goes but count a thread waiting on the GIL or on a disk as
busy; the kernel's utime + stime say how much CPU each thread really used. This starts the server as `make
bench` does, sends the load of bench/load.py with wrk, and prints, for the writer process (its main thread and
the thread that commits) and each HTTP worker, the share of a core it used and its CPU µs per event.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import ROUNDS, STORM, script, wrk
from servers import Fairwatch

TICK = os.sysconf("SC_CLK_TCK")
LOADS = {"single": ROUNDS[0], "batch100": ROUNDS[1], "storm": STORM}
Key = tuple[int, int, str]  # process, thread, thread name


def children(pid: int) -> list[int]:
    """`pid` and every process below it."""
    out = [pid]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out += children(int(entry))
    return out


def cpu(pids: list[int]) -> dict[Key, float]:
    """CPU seconds (user + system) of every thread of `pids`."""
    out: dict[Key, float] = {}
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
            except OSError:
                continue
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat.rsplit(")", 1)[1].split()
            out[(pid, int(tid), name)] = (int(fields[11]) + int(fields[12])) / TICK
    return out


def measure(load: str, workers: int, seconds: float) -> None:
    rnd = LOADS[load]
    srv = Fairwatch(workers=workers)
    srv.start()
    try:
        wrk(srv.url, script("fairwatch", rnd, srv.token), 2)  # warm up (and open the storm's alarms)
        pids = children(srv.pid)
        before, start = cpu(pids), time.monotonic()
        result = wrk(srv.url, script("fairwatch", rnd, srv.token), seconds, rnd.connections)
        after, took = cpu(pids), time.monotonic() - start
    finally:
        srv.stop()
    events = result.events_per_s * seconds
    print(f"{rnd.name}, {workers} worker(s): {result.events_per_s:,.0f} events/s")
    for key, total in sorted(after.items()):
        used = total - before.get(key, 0.0)
        if used < 0.01:
            continue
        who = "writer" if key[0] == srv.pid else f"HTTP worker {key[0]}"
        print(
            f"  {who:20} thread {key[1]:>7}  {used / took:6.1%} of a core  {used / events * 1e6:7.1f} µs/event"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--loads", default="single,batch100,storm")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    for workers in args.workers:
        for load in args.loads.split(","):
            measure(load, workers, args.seconds)


if __name__ == "__main__":
    main()
