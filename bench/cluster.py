"""Cluster benchmark (issue 12): events/s through 1 and 2 edges, the commit rate and lag behind them, and the time
to fail over; writes docs/benchmarks-cluster.md.

    make bench-cluster
    .venv/bin/python bench/cluster.py [--seconds S] [--rounds R] [--trials T] [--out PATH]

Starts a local cluster as `fairwatch cluster up` does (`fairwatch.cluster.local.start`, no simulator): 3 NATS
JetStream nodes, PostgreSQL, `cluster init`, 3 workers, 2 edges, the Riverside demo rules; and, as the reference,
Alertmanager as bench/ingest.py starts it. Then R rounds, alternating the targets within each load (the order
reversed every other round): batches of 100 and single events with wrk (bench/load.py's script, each event naming
one of 20 sites so that every partition works) through 1 edge, through 2 edges at once (two wrk processes, the
connections split) and to Alertmanager. Per run: accepted events/s (202s only), events/s committed (rows added to
PostgreSQL's events table during the load window) and the lag after the load (until every partition's committed
offset reaches the last sequence of its subject in the stream). Then, under a light load, T trials of: SIGKILL the
worker owning the partition of venue-00, time until a probe event sent after the kill is committed (the worker is
started again between trials); and T trials of: SIGKILL the JetStream meta leader, time until an edge answers 202
again (the node is started again between trials). Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import Result, Round, script, wrk
from servers import ROOT, Alertmanager, free_port

from fairwatch.cluster import local, names, streams
from fairwatch.store import schema
from ingest import machine

SITES = [f"venue-{i:02d}" for i in range(20)]
LOADS = [Round("batches of 100", 100, 16), Round("single events", 1, 64)]
TARGETS = ["Alertmanager", "Fairwatch, 1 edge", "Fairwatch, 2 edges"]
LAG_MAX_S = 120.0
FAILOVER_MAX_S = LAG_MAX_S  # the same cap: a wait that gave up reads "> 120"
_runs = itertools.count()
DEMO_ZONES = ["camping", "car-park", "food-court", "main-stage", "north-gate", "river-walk"]
ZONES = "local zones = {" + ", ".join(f'"{z}"' for z in DEMO_ZONES) + "}"


def cluster_script(kind: str, rnd: Round, token: str, tag: str) -> str:
    """bench/load.py's script with a site (one of 20) in every event and ids unique to this run (`tag`)."""
    lua = script(kind, rnd, token)
    if kind == "alertmanager":
        site = '"source":"counter-%d","site":"venue-%02d",'
        shape = lua.replace('"source":"counter-%d",', site, 1)
        out = shape.replace("n % 40, n % 6,", "n % 40, n % 20, n % 6,", 1)
    else:  # the demo site map names its zones: six of them instead of z0-z5
        shape = lua.replace('"source":"counter-%d",', '"source":"counter-%d","site":"venue-%02d",', 1)
        shape = shape.replace('"zone":"z%d"', '"zone":"%s"', 1).replace(
            "local n = 0", f"local n = 0\n{ZONES}", 1
        )
        out = shape.replace("n % 40, n % 6,", "n % 40, n % 20, zones[n % 6 + 1],", 1)
    out = out.replace('"w" .. tid', f'"{tag}" .. tid', 1)
    if out.count("venue-%02d") != 1 or "n % 20" not in out or tag not in out:
        raise RuntimeError("bench/load.py's script changed: cluster_script no longer fits it")
    return out


@dataclass
class Figures:
    accepted: list[float] = field(default_factory=list)
    committed: list[float] = field(default_factory=list)
    lag: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    errors: set[str] = field(default_factory=set)


def num(x: float, fmt: str) -> str:
    return fmt.format(x) if x != float("inf") else f"> {LAG_MAX_S:g}"  # a wait that gave up


def med(xs: list[float], fmt: str = "{:,.0f}") -> str:
    return num(statistics.median(xs), fmt) if xs else "—"


def span(xs: list[float], fmt: str = "{:,.0f}") -> str:
    return f"{num(min(xs), fmt)}–{num(max(xs), fmt)}" if xs else ""


class Bench:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.c = local.start(root, port=free_port(), workers=3, edges=2, say=print, simulator=False)
        self.engine = create_engine(self.c.state.database_url)
        self.edges = [p.url for p in self.c.state.processes if p.role == "edge"]
        self.probe_ids = itertools.count()

    # --- reading the cluster -------------------------------------------------------------------------------
    def events(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(schema.events)).scalar_one())

    def offsets(self) -> dict[str, int]:
        o = schema.cluster_offsets.c
        with self.engine.connect() as conn:
            return {str(r[0]): int(r[1]) for r in conn.execute(select(o.partition, o.seq)).all()}

    def stream_last(self) -> dict[str, int]:
        """The last sequence of each site's subject in the events stream."""

        async def read() -> dict[str, int]:
            nc = await streams.connect(self.c.nats.urls, "bench-cluster")
            try:
                js = nc.jetstream()
                out = {}
                for site in SITES:
                    p = names.partition_of(site)
                    with contextlib.suppress(Exception):
                        msg = await js.get_last_msg(names.EVENTS_STREAM, f"{names.EVENTS_PREFIX}.{p}")
                        out[p] = int(msg.seq or 0)
                return out
            finally:
                await nc.close()

        return asyncio.run(read())

    def owners(self) -> dict[str, local.Proc]:
        out = {}
        for p in self.c.state.processes:
            if p.role != "worker":
                continue
            try:
                with urllib.request.urlopen(f"{p.url}/healthz", timeout=1) as r:
                    for part in json.loads(r.read())["partitions"]:
                        out[part] = p
            except (OSError, ValueError):
                continue
        return out

    def settled(self, timeout: float = 90.0) -> None:
        """Until every site's partition is owned and every worker owns some."""
        deadline = time.monotonic() + timeout
        want = {names.partition_of(s) for s in SITES}
        while time.monotonic() < deadline:
            owners = self.owners()
            workers = {p.pid for p in self.c.state.processes if p.role == "worker"}
            if want <= set(owners) and {p.pid for p in owners.values()} == workers:
                return
            time.sleep(0.3)
        owned = sorted(self.owners())
        raise RuntimeError(f"the workers did not take every partition: owned {owned}")

    # --- sending ---------------------------------------------------------------------------------------------
    def event(self, site: str, source: str) -> dict[str, object]:
        n = next(self.probe_ids)
        return {
            "id": f"p{n}",
            "source": source,
            "site": site,
            "type": "crowd.density",
            "zone": DEMO_ZONES[n % 6],
            "value": 1.5,
            "data": {"count": 1, "area": 120},
        }

    def post(self, http: httpx.Client, edge: str, batch: list[dict[str, object]]) -> int:
        try:
            r = http.post(
                f"{edge}/api/v1/events", json=batch, headers={"Authorization": f"Bearer {self.c.device}"}
            )
            return r.status_code
        except httpx.HTTPError:
            return 0

    def wait_lag(self) -> float:
        """Seconds until every partition's committed offset reaches its subject's last sequence."""
        t0 = time.monotonic()
        last = self.stream_last()
        while time.monotonic() - t0 < LAG_MAX_S:
            offsets = self.offsets()
            if all(offsets.get(p, 0) >= seq for p, seq in last.items()):
                return time.monotonic() - t0
            time.sleep(0.1)
        return float("inf")

    # --- load ------------------------------------------------------------------------------------------------
    def load(self, target: str, rnd: Round, seconds: float, am: Alertmanager, into: Figures) -> None:
        run = next(_runs)
        if target == "Alertmanager":
            result = wrk(
                am.url, cluster_script("alertmanager", rnd, "", f"r{run}-"), seconds, rnd.connections
            )
            into.accepted.append(result.events_per_s)
            into.p99.append(result.p99_ms)
            if result.errors != "all 2xx":
                into.errors.add(result.errors)
            return
        edges = self.edges[:1] if target.endswith("1 edge") else self.edges
        conns = rnd.connections // len(edges)
        results: list[Result] = []

        def one(i: int, url: str) -> None:
            lua = cluster_script("fairwatch", rnd, self.c.device, f"r{run}e{i}-")
            results.append(wrk(url, lua, seconds, conns, threads=2 // len(edges)))

        before, t0 = self.events(), time.monotonic()
        threads = [threading.Thread(target=one, args=(i, u)) for i, u in enumerate(edges)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed, after = time.monotonic() - t0, self.events()
        into.accepted.append(sum(r.events_per_s for r in results))
        into.committed.append((after - before) / elapsed)
        into.p99.append(max(r.p99_ms for r in results))
        into.errors.update(r.errors for r in results if r.errors != "all 2xx")
        into.lag.append(self.wait_lag())

    # --- failover --------------------------------------------------------------------------------------------
    def light_load(self, stop: threading.Event) -> None:
        """One event per site every 0.1 s through the second edge (200 events/s)."""
        with httpx.Client(timeout=5) as http:
            while not stop.is_set():
                self.post(http, self.edges[-1], [self.event(s, f"{s}-light") for s in SITES])
                stop.wait(0.1)

    def committed(self, source: str) -> bool:
        e = schema.events.c
        with self.engine.connect() as conn:
            return conn.execute(select(e.eid).where(e.source == source).limit(1)).first() is not None

    def respawn(self, old: local.Proc, args: list[str]) -> None:
        new = local.respawn(old, self.c.env, args)
        self.c.state.processes[self.c.state.processes.index(old)] = new
        self.c.state.write()

    def owner_failover(self, trial: int) -> float:
        site = SITES[0]
        self.wait_lag()  # the backlog of the load rounds first
        self.settled()
        victim = self.owners()[names.partition_of(site)]
        i = [p for p in self.c.state.processes if p.role == "worker"].index(victim)
        os.killpg(victim.pid, signal.SIGKILL)
        killed = time.monotonic()
        source = f"{site}-probe-{trial}"
        took = float("inf")
        with httpx.Client(timeout=5) as http:
            while time.monotonic() - killed < FAILOVER_MAX_S:
                self.post(http, self.edges[0], [self.event(site, source)])
                if self.committed(source):
                    took = time.monotonic() - killed
                    break
                time.sleep(0.1)
        port = victim.url.rsplit(":", 1)[1]
        args = ["serve", "--role", "worker", "--port", port, "--data", str(self.root / f"worker{i + 1}")]
        self.respawn(victim, args)
        self.settled()
        return took

    def leader_failover(self) -> tuple[float, int]:
        """Seconds until an edge answers 202 after the meta leader's SIGKILL, and the non-202 answers before."""
        nats = self.c.nats
        leader = nats.leader()
        if leader is None:
            raise RuntimeError("no JetStream meta leader")
        nats.kill(leader)
        killed = time.monotonic()
        refused, took = 0, float("inf")
        with httpx.Client(timeout=5) as http:
            while time.monotonic() - killed < FAILOVER_MAX_S:
                if self.post(http, self.edges[0], [self.event(SITES[1], f"{SITES[1]}-leader")]) == 202:
                    took = time.monotonic() - killed
                    break
                refused += 1
                time.sleep(0.05)
        nats.start(leader)
        nats.wait_ready()
        node = nats.nodes[leader]
        assert node.process is not None
        old = next(
            p for p in self.c.state.processes if p.role == "nats" and p.log == str(node.folder / "log")
        )
        self.c.state.processes[self.c.state.processes.index(old)] = local.Proc(
            "nats", node.process.pid, old.log
        )
        self.c.state.write()
        time.sleep(2)
        return took, refused

    def stop(self) -> None:
        self.engine.dispose()
        local.down(self.root, say=print)


def run(seconds: float, rounds: int, trials: int) -> dict[str, object]:
    am = Alertmanager()
    root = Path(tempfile.mkdtemp(prefix="fw-bench-cluster-"))
    load_start = os.getloadavg()
    figures: dict[tuple[str, str], Figures] = {}
    owner: list[float] = []
    leader: list[tuple[float, int]] = []
    bench: Bench | None = None
    stopped = ""
    lost = 0
    try:
        am.start()
        bench = Bench(root)
        with httpx.Client(timeout=10) as http:  # register every partition with the edges
            for edge in bench.edges:
                r = http.post(
                    f"{edge}/api/v1/events",
                    json=[bench.event(s, f"{s}-warm") for s in SITES],
                    headers={"Authorization": f"Bearer {bench.c.device}"},
                )
                if r.status_code != 202:
                    raise RuntimeError(f"warm-up through {edge}: HTTP {r.status_code} {r.text[:500]}")
        bench.settled()
        for edge in bench.edges:  # warm both edges up
            wrk(edge, cluster_script("fairwatch", LOADS[0], bench.c.device, "warm-"), 2, 4)
        bench.wait_lag()
        for r in range(rounds):
            for rnd in LOADS:
                order = TARGETS if r % 2 == 0 else list(reversed(TARGETS))
                for target in order:
                    fig = figures.setdefault((rnd.name, target), Figures())
                    bench.load(target, rnd, seconds, am, fig)
                    lag = f", lag {fig.lag[-1]:.1f} s" if fig.lag else ""
                    print(f"round {r + 1} {rnd.name} {target}: {fig.accepted[-1]:,.0f}/s{lag}", flush=True)
        lost = sum(
            line.count(": lost") + line.count("lease lost")
            for log in (root / "logs").glob("worker*.log")
            for line in log.read_text(errors="replace").splitlines()
        )
        stop = threading.Event()
        light = threading.Thread(target=bench.light_load, args=(stop,))
        light.start()
        try:
            for t in range(trials):
                owner.append(bench.owner_failover(t))
                print(f"owner failover {t + 1}: {owner[-1]:.2f} s", flush=True)
            for t in range(trials):
                leader.append(bench.leader_failover())
                print(f"meta leader failover {t + 1}: {leader[-1][0]:.2f} s", flush=True)
        except (
            RuntimeError
        ) as e:  # e.g. the cluster did not settle again after a trial: report what was measured
            stopped = str(e)
            print(f"failover trials stopped: {e}", flush=True)
        finally:
            stop.set()
            light.join()
        alertmanager = am.version()
    finally:
        if bench is not None:
            bench.stop()
        am.stop()
    return {
        "figures": figures,
        "owner": owner,
        "leader": leader,
        "alertmanager": alertmanager,
        "stopped": stopped,
        "lost": lost,
        "load": (load_start, os.getloadavg()),
    }


def report(f: dict[str, object], seconds: float, rounds: int, trials: int, command: str) -> list[str]:
    figures: dict[tuple[str, str], Figures] = f["figures"]  # type: ignore[assignment]
    owner: list[float] = f["owner"]  # type: ignore[assignment]
    leader: list[tuple[float, int]] = f["leader"]  # type: ignore[assignment]
    start, end = f["load"]  # type: ignore[misc]

    def secs(xs: list[float]) -> str:
        return f"{med(xs, '{:.2f}')} s ({span(xs, '{:.2f}')} s)"

    lines = [
        "# Benchmarks: a cluster",
        "",
        f"Machine: {machine()}; load average (1, 5, 15 min) {start[0]:.1f}, {start[1]:.1f}, {start[2]:.1f} at"
        f" the start and {end[0]:.1f}, {end[1]:.1f}, {end[2]:.1f} at the end.",
        f"Command: `{command}`, run on {time.strftime('%Y-%m-%d')}: {rounds} rounds of {seconds:g} s per load and"
        " target, alternating the targets within each load (the order reversed every other round).",
        "Cluster: as `fairwatch cluster up` starts it (`fairwatch.cluster.local.start`, no simulator): 3 NATS"
        " JetStream nodes, PostgreSQL (throwaway, local), 3 workers, 2 edges, the Riverside demo rules (10 rules)."
        " Load: wrk with bench/load.py's script, each event naming one of 20 sites (20 partitions); through 2"
        " edges: two wrk processes at once, the connections split. Reference: Alertmanager"
        f" {f['alertmanager']}, one node, as bench/ingest.py runs it, with the same wrk load (the site as a label).",
        "",
        "- **accepted**: events/s answered 202 (an edge answers 202 once JetStream has stored the event, before a"
        " worker commits it); for Alertmanager, events/s answered 200.",
        "- **committed**: rows added to PostgreSQL's events table during the load window, per second.",
        "- **p99 latency**: wrk's; through 2 edges, the higher of the two wrk processes'.",
        "- **lag after the load**: from the end of the load until every partition's committed offset reaches the"
        f" last sequence of its subject in the events stream (given up after {LAG_MAX_S:g} s: `> {LAG_MAX_S:g}`).",
        "",
        "| load | target | accepted events/s (median) | range | committed events/s (median) | range |"
        " lag after the load (median, range) | p99 latency |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for rnd in LOADS:
        for target in TARGETS:
            if (rnd.name, target) not in figures:  # --rounds 0: failover only
                continue
            fig = figures[(rnd.name, target)]
            note = f" ({'; '.join(sorted(fig.errors))})" if fig.errors else ""
            lag = secs(fig.lag) if fig.lag else "—"
            lines.append(
                f"| {rnd.name} ({rnd.connections} connections) | {target} | {med(fig.accepted)}{note} |"
                f" {span(fig.accepted)} | {med(fig.committed)} | {span(fig.committed)} | {lag} |"
                f" {med(fig.p99, '{:.1f}')} ms |"
            )
    lines += [
        "",
        "Lease losses logged by the workers during the load rounds (`partition P: lost` or `lease lost`: a renewal"
        f" that came too late; another worker then takes the partition): {f['lost']}.",
        "",
        f"Failover, under a light load (20 events every 0.1 s through the second edge), {trials} trials each:",
        "",
        f"- SIGKILL of the worker owning venue-00's partition -> a probe event sent after the kill is committed:"
        f" median {secs(owner)}; the lease lasts `lease_seconds` (5 s by default) and a worker takes a free"
        " partition on its next turn, so much of this is waiting for the lease to expire. The worker is started"
        " again between trials.",
        "- SIGKILL of the JetStream meta leader -> an edge answers 202 again: median"
        f" {secs([t for t, _ in leader])}; answers other than 202 before it: "
        + ", ".join(str(n) for _, n in leader)
        + ". The node is started again between trials.",
        *([f"- The failover trials stopped early: {f['stopped']}."] if f["stopped"] else []),
        "",
        "All these processes (3 NATS nodes, PostgreSQL, 2 edges, 3 workers, wrk and Alertmanager) share the 2 cores:"
        " these figures show what the mechanism costs (the hop through JetStream, the commit in PostgreSQL, the"
        " handover of a partition), not a gain from scaling out. A second edge adds a process competing for the"
        " same cores; it can only pay on machines with cores to spare.",
        "",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per round, load and target")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--trials", type=int, default=5, help="failover trials of each kind")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks-cluster.md")
    parser.add_argument("--wait-max", type=float, default=120.0, help="give up a lag or failover wait after")
    args = parser.parse_args()
    globals().update(LAG_MAX_S=args.wait_max, FAILOVER_MAX_S=args.wait_max)
    command = "make bench-cluster"
    if (args.seconds, args.rounds, args.trials, args.wait_max) != (10.0, 3, 5, 120.0):
        command = (
            f".venv/bin/python bench/cluster.py --seconds {args.seconds:g} --rounds {args.rounds}"
            f" --trials {args.trials} --wait-max {args.wait_max:g}"
        )
    lines = report(
        run(args.seconds, args.rounds, args.trials), args.seconds, args.rounds, args.trials, command
    )
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
