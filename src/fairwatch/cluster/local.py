"""`fairwatch cluster up` / `cluster down` (what `make cluster` and `make cluster-stop` run): a whole cluster on
loopback for trying it out.

`up` starts a 3-node JetStream cluster (`LocalNats`), a throwaway PostgreSQL (initdb and pg_ctl), runs `cluster
init`, then 2 edges and 3 workers with the Riverside demo (site, rules, action cards) and the simulator sending
through the first edge. Every process runs in a session of its own and outlives the command; their ids go to
`<root>/state.json`, which `down` reads to end exactly those processes (SIGTERM, then SIGKILL after a grace
period) and remove the throwaway data. Logs stay in `<root>/logs/`.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fairwatch.access import create_token, save_user
from fairwatch.cluster import status
from fairwatch.cluster.localnats import LocalNats, free_port
from fairwatch.errors import ConfigError
from fairwatch.model import Role
from fairwatch.settings import Settings
from fairwatch.store import SqlStore

STATE = "state.json"
READY_S = 60.0
STOP_S = 15.0


@dataclass
class Proc:
    role: str  # nats, edge, worker, simulator
    pid: int
    log: str
    url: str = ""


@dataclass
class State:
    root: str
    database_url: str
    nats: list[str]
    pg_data: str
    pg_as_user: list[str]
    processes: list[Proc] = field(default_factory=list)

    def write(self) -> None:
        path = Path(self.root) / STATE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(_plain(self), indent=2), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def read(cls, root: Path) -> State | None:
        try:
            data = json.loads((root / STATE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        procs = [Proc(**p) for p in data.pop("processes")]
        return cls(**data, processes=procs)


def _plain(state: State) -> dict[str, Any]:
    out = dict(state.__dict__)
    out["processes"] = [p.__dict__ for p in state.processes]
    return out


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise ConfigError([f"{name} not found: install PostgreSQL (apt-get install postgresql)"])
    return path


def start_postgres() -> tuple[str, str, list[str]]:
    """A private PostgreSQL on a free loopback port in a temporary folder (readable by the `postgres` user when
    run as root): (URL, data folder, the prefix that runs its tools as that user)."""
    root = Path(tempfile.mkdtemp(prefix="fw-cluster-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()
    run = subprocess.run
    run(
        [*as_user, _pg_bin("initdb"), "-D", str(data), "-A", "trust", "-U", "fairwatch"],
        check=True,
        capture_output=True,
    )
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
    run(
        [*as_user, _pg_bin("pg_ctl"), "-D", str(data), "-o", opts, "-w", "-l", str(root / "log"), "start"],
        check=True,
        capture_output=True,
    )
    return f"postgresql+psycopg://fairwatch@127.0.0.1:{port}/postgres", str(data), as_user


def stop_postgres(data: str, as_user: list[str]) -> None:
    """Stop it and remove its folder."""
    subprocess.run([*as_user, _pg_bin("pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"], capture_output=True)
    shutil.rmtree(Path(data).parent, ignore_errors=True)


def _spawn(role: str, args: list[str], env: dict[str, str], log: Path, url: str = "") -> Proc:
    with open(log, "ab") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "fairwatch", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Proc(role, child.pid, str(log), url)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as r:
            return bool(r.status == 200)
    except OSError:
        return False


@dataclass
class Started:
    """What `start` brings up, for a caller that drives the cluster itself (bench/cluster.py): the state, the NATS
    nodes (to find and kill the meta leader), the environment the edges and workers run with, and tokens."""

    state: State
    nats: LocalNats
    env: dict[str, str]
    device: str
    operator: str
    password: str


def up(
    root: Path, port: int = 8080, workers: int = 3, edges: int = 2, say: Callable[[str], None] = print
) -> State:
    """Start everything (see the module); returns the state written to `<root>/state.json`."""
    started = start(root, port, workers, edges, say, simulator=True)
    state, nats, password, operator = started.state, started.nats, started.password, started.operator
    logs = root / "logs"
    for proc in state.processes:
        if proc.role == "edge":
            say(f"console: {proc.url}/  user: operator  password: {password}")
    say(f"operator token: {operator}")
    say(f"NATS: {','.join(nats.urls)}   PostgreSQL: {state.database_url}")
    say(f"status: fairwatch cluster status --nats {','.join(nats.urls)} --database-url {state.database_url}")
    say(f"logs in {logs}; stop everything with: make cluster-stop")
    return state


def start(
    root: Path,
    port: int = 8080,
    workers: int = 3,
    edges: int = 2,
    say: Callable[[str], None] = print,
    simulator: bool = True,
) -> Started:
    """What `up` does without its closing lines; `simulator=False` starts no simulator."""
    from fairwatch.sim import demo_cards_path, demo_checklists_path, demo_rules_path, demo_site_path

    old = State.read(root)
    if old is not None and any(alive(p) for p in old.processes):
        raise ConfigError(
            [f"a local cluster is running already (state {root / STATE}): run make cluster-stop"]
        )
    for i in range(edges):
        if not _free(port + i):
            raise ConfigError([f"port {port + i} on 127.0.0.1 is in use: pass --port"])
    shutil.rmtree(root, ignore_errors=True)
    logs = root / "logs"
    logs.mkdir(parents=True)
    say("starting a 3-node NATS JetStream cluster ...")
    nats = LocalNats(root / "nats", size=3)
    nats.start_all()
    state = State(str(root), "", nats.urls, "", [])
    state.processes += [Proc("nats", n.process.pid, str(n.folder / "log")) for n in nats.nodes if n.process]
    state.write()
    try:
        say("starting PostgreSQL ...")
        state.database_url, state.pg_data, state.pg_as_user = start_postgres()
        state.write()
        key = root / "deploy.key"
        settings = Settings(database_url=state.database_url, nats=",".join(nats.urls), key_file=key)
        made = asyncio.run(status.init(settings))
        say(f"cluster init: made {len(made)} (streams, buckets, tables, the deployment key {key})")
        device, operator, password = _accounts(state.database_url)
        env = dict(os.environ)
        env.update(
            FAIRWATCH_NATS=",".join(nats.urls),
            FAIRWATCH_DATABASE_URL=state.database_url,
            FAIRWATCH_KEY_FILE=str(key),
            FAIRWATCH_SITE=str(demo_site_path()),
            FAIRWATCH_RULES=str(demo_rules_path()),
            FAIRWATCH_CARDS=str(demo_cards_path()),
            FAIRWATCH_FIELD_CHECKLISTS=str(demo_checklists_path()),
            FAIRWATCH_HOST="127.0.0.1",
        )
        for i in range(workers):
            p = free_port()
            args = ["serve", "--role", "worker", "--port", str(p), "--data", str(root / f"worker{i + 1}")]
            state.processes.append(
                _spawn("worker", args, env, logs / f"worker{i + 1}.log", f"http://127.0.0.1:{p}")
            )
        for i in range(edges):
            p = port + i
            args = ["serve", "--role", "edge", "--port", str(p), "--data", str(root / f"edge{i + 1}")]
            state.processes.append(
                _spawn("edge", args, env, logs / f"edge{i + 1}.log", f"http://127.0.0.1:{p}")
            )
        state.write()
        say(f"starting {workers} workers and {edges} edges ...")
        _wait(state)
        if simulator:
            first = next(proc.url for proc in state.processes if proc.role == "edge")
            sim = ["simulate", "--url", first, "--token", device, "--scenario", "riverside"]
            state.processes.append(_spawn("simulator", sim, env, logs / "simulator.log"))
            state.write()
    except BaseException:
        down(root, say=lambda _line: None)
        raise
    return Started(state, nats, env, device, operator, password)


def respawn(proc: Proc, env: dict[str, str], args: list[str]) -> Proc:
    """Start `proc`'s role again with `args` (after it was killed), logging to the same file."""
    return _spawn(proc.role, args, env, Path(proc.log), proc.url)


def _accounts(url: str) -> tuple[str, str, str]:
    """The simulator's device token, an operator token and the console user's password."""
    store = SqlStore(url)
    try:
        now = time.time()
        with store.transaction() as txn:
            device = create_token(txn, "cluster-simulator", Role.DEVICE, "cluster-up", now)
            operator = create_token(txn, "cluster-operator", Role.OPERATOR, "cluster-up", now)
            password = secrets.token_urlsafe(12)
            save_user(txn, "operator", Role.SUPERVISOR, password, "cluster-up", now)
        return device, operator, password
    finally:
        store.close()


def _wait(state: State) -> None:
    """Until every edge and worker answers /healthz; a process that exits is an error naming its log."""
    deadline = time.monotonic() + READY_S
    waiting = [p for p in state.processes if p.role in ("edge", "worker")]
    while waiting:
        for p in list(waiting):
            if not alive(p):
                tail = Path(p.log).read_text(errors="replace").strip().splitlines()[-5:]
                raise ConfigError([f"{p.role} (pid {p.pid}) exited: see {p.log}", *tail])
            if _ready(f"{p.url}/healthz"):
                waiting.remove(p)
        if time.monotonic() > deadline:
            raise ConfigError(
                [f"{p.role} at {p.url} not up after {READY_S:.0f} s: see {p.log}" for p in waiting]
            )
        time.sleep(0.2)


def _free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is no owner
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


_NAMES = {"nats": b"nats-server", "edge": b"fairwatch", "worker": b"fairwatch", "simulator": b"fairwatch"}


def alive(p: Proc) -> bool:
    """Whether the process of `p` still runs (and is still ours: its command line names what it was)."""
    try:
        cmdline = Path(f"/proc/{p.pid}/cmdline").read_bytes()
        stat = Path(f"/proc/{p.pid}/stat").read_text()
    except OSError:
        return False
    zombie = stat.rsplit(")", 1)[-1].split()[0] == "Z"
    return not zombie and _NAMES.get(p.role, b"fairwatch") in cmdline


def down(root: Path, say: Callable[[str], None] = print) -> int:
    """End every process `up` started under `root` and remove the throwaway data; returns how many were running."""
    state = State.read(root)
    if state is None:
        say(f"no local cluster under {root}")
        return 0
    order = {"simulator": 0, "edge": 1, "worker": 2, "nats": 3}
    procs = sorted(state.processes, key=lambda p: order.get(p.role, 9))
    running = [p for p in procs if alive(p)]
    for group in ("simulator", "edge", "worker", "nats"):
        members = [p for p in running if p.role == group]
        for p in members:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_S
        while any(alive(p) for p in members) and time.monotonic() < deadline:
            time.sleep(0.1)
        for p in members:
            if alive(p):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
    if state.pg_data:
        stop_postgres(state.pg_data, state.pg_as_user)
    for name in ("nats", "deploy.key"):
        target = root / name
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
    for folder in root.glob("edge*"):
        shutil.rmtree(folder, ignore_errors=True)
    for folder in root.glob("worker*"):
        shutil.rmtree(folder, ignore_errors=True)
    (root / STATE).unlink(missing_ok=True)
    say(f"stopped {len(running)} processes and PostgreSQL; logs kept in {root / 'logs'}")
    return len(running)
