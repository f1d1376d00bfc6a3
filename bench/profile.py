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

PROFILED = {"single": ROUNDS[0], "batch100": ROUNDS[1], "storm": STORM}


def profile(name: str, rnd: Round, workers: int | None, seconds: float) -> Path:
    suffix = "" if workers in (None, 1) else f"-w{workers}"
    out = ROOT / "docs" / "img" / f"flame-{name}{suffix}.svg"
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
                "200",
                "--duration",
                str(round(seconds)),
                "--format",
                "flamegraph",
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
    parser.add_argument("--workers", type=int, default=None, help="HTTP workers (default: one process)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--only", choices=sorted(PROFILED), action="append")
    args = parser.parse_args()
    for name in args.only or PROFILED:
        profile(name, PROFILED[name], args.workers, args.seconds)


if __name__ == "__main__":
    main()
