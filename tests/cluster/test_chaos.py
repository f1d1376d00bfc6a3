"""The chaos test of issue 12, on a local cluster: a 3-node JetStream cluster, PostgreSQL, 2 edges and 3 workers,
all real processes. A fixed event script across 20 sites goes through both edges (HTTP, retried with the same ids
until a 202) while, one after another: the owner of a partition is killed with SIGKILL, the JetStream meta
leader is killed with SIGKILL, a worker is stopped (SIGSTOP) past its lease and then resumed (SIGCONT), and an SSE
client moves from one edge to the other with its Last-Event-ID.

Pass: no acknowledged event is lost (each stored once); the alarms (rule, group, still active) equal `fairwatch
replay` of the same script; never two open alarms for one key; every partition's last commit carries its current
epoch (nothing from a fenced owner); the SSE ids across both connections have no gap and no duplicate; every audit
chain and the signed root verify; the killed owner's partition resumes (stores a new event) within 15 s.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from fairwatch.access import create_token
from fairwatch.audit.keys import load_or_create_key
from fairwatch.cluster import names
from fairwatch.cluster.localnats import LocalNats, free_port
from fairwatch.events.validate import rfc3339
from fairwatch.model import Role
from fairwatch.store import SqlStore, schema
from tests.cluster.worker_helpers import Alarm, Db, WorkerProcess, replayed, worker_settings
from tests.harness import TEST_SCHEMAS

RULES = """
rules:
  - id: panic
    alarm: violence.panic_alarm
    severity: high
    when: {type: panic.pressed}
    group_by: [site, source]
    clear: {type: panic.reset}
  - id: medical-cluster
    alarm: medical.cluster
    severity: high
    when: {type: report.medical, count: {gte: 3, within: 10m}}
    group_by: [site, zone]
"""
SITES = [f"venue-{i:02d}" for i in range(20)]
LEASE_S = 2.0
RESUME_S = 15.0

pytestmark = pytest.mark.slow


@pytest.fixture
def nats(tmp_path: Path) -> Iterator[LocalNats]:
    """A cluster of its own: this test kills its leader."""
    cluster = LocalNats(tmp_path / "nats", size=3)
    cluster.start_all()
    try:
        yield cluster
    finally:
        cluster.stop_all()


def script(phase: int, t0: float) -> list[dict[str, Any]]:
    """The events of one phase (0-3) for every site: three panic buttons pressed in even phases and reset in odd
    ones (button 3 only in phases 0 and 1), and one medical report in zone a (phases 0-2: three make an alarm) or
    zone b (phases 1 and 3: two, no alarm)."""
    out: list[dict[str, Any]] = []
    when = rfc3339(t0 + phase)
    kind = "panic.pressed" if phase % 2 == 0 else "panic.reset"
    buttons = (1, 2, 3) if phase <= 1 else (1, 2)
    zones = {0: ["a"], 1: ["a", "b"], 2: ["a"], 3: ["b"]}[phase]
    for site in SITES:
        out += [
            {
                "id": f"{site}-p{b}-{phase}",
                "source": f"{site}-panic-{b}",
                "type": kind,
                "site": site,
                "time": when,
            }
            for b in buttons
        ]
        out += [
            {"id": f"{site}-m{z}-{phase}", "source": f"{site}-steward-{z}{phase}", "type": "report.medical"}
            | {"site": site, "zone": z, "time": when}
            for z in zones
        ]
    return out


class Edge:
    """`python -m fairwatch serve --role edge` as a child process."""

    def __init__(self, env: dict[str, str], data: Path, log: Path) -> None:
        self.port = free_port()
        args = [sys.executable, "-m", "fairwatch", "serve", "--role", "edge", "--port", str(self.port)]
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [*args, "--data", str(data)], env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def post(edge: Edge, token: str, batch: list[dict[str, Any]]) -> int:
    """POST a batch; the HTTP status, or 0 when the connection failed."""
    conn = http.client.HTTPConnection("127.0.0.1", edge.port, timeout=10)
    try:
        body = orjson.dumps(batch)
        conn.request(
            "POST",
            "/api/v1/events",
            body,
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        response.read()
        return int(response.status)
    except OSError:
        return 0
    finally:
        conn.close()


def send(edges: list[Edge], token: str, events: list[dict[str, Any]], acked: list[dict[str, Any]]) -> None:
    """Batches of 8, alternating edges; each batch is retried with the same ids (on the other edge too) until a
    202. Only a 202 acknowledges."""
    for n, start in enumerate(range(0, len(events), 8)):
        batch = events[start : start + 8]
        deadline = time.monotonic() + 60
        attempt = 0
        while True:
            status = post(edges[(n + attempt) % len(edges)], token, batch)
            if status == 202:
                acked.extend(batch)
                break
            assert status in (0, 503), f"batch {n}: HTTP {status}"
            assert time.monotonic() < deadline, f"batch {n} not accepted within 60 s (last {status})"
            attempt += 1
            time.sleep(0.2)


class SseClient:
    """Reads `id:` lines of /api/v1/stream on one edge in a thread until closed."""

    def __init__(self, edge: Edge, token: str, last_id: int | None) -> None:
        self.ids: list[int] = []
        self.conn = http.client.HTTPConnection("127.0.0.1", edge.port, timeout=30)
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last_id is not None:
            headers["Last-Event-ID"] = str(last_id)
        self.conn.request("GET", "/api/v1/stream", headers=headers)
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        # closing the connection from the test thread may race the reader inside http.client (AttributeError)
        with contextlib.suppress(OSError, ValueError, AttributeError, http.client.HTTPException):
            for raw in self.response:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("id:"):
                    self.ids.append(int(line[3:].strip()))

    def close(self) -> None:
        with contextlib.suppress(OSError):
            sock = self.conn.sock
            if sock is not None:
                sock.shutdown(2)
        self.conn.close()
        self.thread.join(timeout=5)


def stored_alarms(db: Db) -> set[Alarm]:
    rows = [r for s in SITES for r in db.alarms(s)]
    return {(r.rule, tuple(sorted(orjson.loads(r.group_json).items())), bool(r.active)) for r in rows}


def stored_keys(db: Db) -> set[tuple[str, str]]:
    e = schema.events.c
    with db.engine.connect() as conn:
        rows = conn.execute(select(e.eid, e.source).where(e.site.in_(SITES))).all()
    return {(r[0], r[1]) for r in rows}


def wait(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_chaos(nats: LocalNats, pg_url: str, tmp_path: Path) -> None:
    urls = ",".join(nats.urls)
    key = tmp_path / "deploy.key"
    load_or_create_key(key)
    init = subprocess.run(
        [
            sys.executable,
            "-m",
            "fairwatch",
            "cluster",
            "init",
            "--nats",
            urls,
            "--database-url",
            pg_url,
            "--key-file",
            str(key),
        ],
        capture_output=True,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    db = Db(pg_url)
    tokens = SqlStore(pg_url)
    with tokens.transaction() as txn:
        device = create_token(txn, "chaos-device", Role.DEVICE, "test", time.time())
        viewer = create_token(txn, "chaos-operator", Role.OPERATOR, "test", time.time())
    tokens.close()
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    env = dict(
        os.environ,
        FAIRWATCH_NATS=urls,
        FAIRWATCH_DATABASE_URL=pg_url,
        FAIRWATCH_KEY_FILE=str(key),
        FAIRWATCH_RULES=str(rules),
        FAIRWATCH_SCHEMAS=str(TEST_SCHEMAS),
        FAIRWATCH_LEASE_SECONDS=str(LEASE_S),
    )
    workers = [
        WorkerProcess(
            worker_settings(tmp_path / f"w{i}", urls, pg_url, RULES, key_file=key), tmp_path / f"w{i}.log"
        )
        for i in range(3)
    ]
    edges: list[Edge] = []
    sse: list[SseClient] = []
    try:
        for w in workers:
            w.start()
        edges = [Edge(env, tmp_path / f"e{i}", tmp_path / f"e{i}.log") for i in range(2)]
        wait(lambda: all(e.healthy() for e in edges), 60, "both edges")
        t0 = time.time()
        acked: list[dict[str, Any]] = []
        sse.append(SseClient(edges[0], viewer, None))

        # phase 0, then SIGKILL the owner of the first site's partition
        send(edges, device, script(0, t0), acked)
        every = {names.partition_of(x) for x in SITES}
        wait(
            lambda: (
                all(w.owned() for w in workers) and every <= {p for w in workers for p in w.owned() or []}
            ),
            60,
            "every partition owned, by all three workers",
        )
        victim = next(w for w in workers if SITES[0] in (w.owned() or []))
        victim.signal(signal.SIGKILL)
        killed = time.monotonic()
        probe = {"id": "probe", "source": f"{SITES[0]}-probe", "type": "door.opened", "site": SITES[0]}
        send(edges, device, [probe], acked)
        wait(lambda: ("probe", probe["source"]) in stored_keys(db), RESUME_S, "the killed owner's partition")
        assert time.monotonic() - killed <= RESUME_S

        # phase 1, then SIGKILL the JetStream meta leader (two of three nodes keep quorum)
        send(edges, device, script(1, t0), acked)
        leader = nats.leader()
        assert leader is not None
        nats.kill(leader)
        # the SSE client moves to the other edge with its Last-Event-ID
        wait(lambda: len(sse[0].ids) > 0, 30, "SSE messages on the first edge")
        sse[0].close()
        sse.append(SseClient(edges[1], viewer, sse[0].ids[-1]))

        # phase 2 while the leader is down; then a worker stopped past its lease
        send(edges, device, script(2, t0), acked)
        nats.start(leader)
        survivors = [w for w in workers if w is not victim]
        wait(lambda: any(w.owned() for w in survivors), 30, "the survivors to own partitions again")
        paused = next(w for w in survivors if w.owned())
        held = set(paused.owned() or [])
        paused.signal(signal.SIGSTOP)
        time.sleep(0.5)  # a COMMIT it sent before the stop has reached PostgreSQL
        before_stop = {p: (db.offset(p), db.fence(p)) for p in held - {names.GLOBAL}}
        send(edges, device, script(3, t0), acked)
        time.sleep(LEASE_S * 3)
        paused.signal(signal.SIGCONT)

        # every acknowledged event stored once
        expected_keys = {(e["id"], e["source"]) for e in acked}
        with contextlib.suppress(AssertionError):
            wait(lambda: stored_keys(db) == expected_keys, 90, "every acknowledged event stored")
        missing = expected_keys - stored_keys(db)
        assert not missing, f"{len(missing)} acknowledged events not stored, e.g. {sorted(missing)[:5]}"
        e = schema.events.c
        with db.engine.connect() as conn:
            total = conn.execute(
                select(func.count()).select_from(schema.events).where(e.site.in_(SITES))
            ).scalar()
        assert total == len(expected_keys)

        # the alarms of a replay of the same script
        script_only = [x for x in acked if x["id"] != "probe"]
        want = replayed(script_only, rules, tmp_path)
        assert len(want) == len(SITES) * 4  # three buttons and zone a in every site
        with contextlib.suppress(AssertionError):
            wait(lambda: stored_alarms(db) == want, 30, "the alarms of a replay")
        got = stored_alarms(db)
        assert got == want, f"only stored: {got - want}; only replayed: {want - got}"

        # never two open alarms for one key
        a = schema.alarms.c
        with db.engine.connect() as conn:
            doubles = conn.execute(
                select(a.key, func.count()).where(a.active.is_(True)).group_by(a.key).having(func.count() > 1)
            ).all()
        assert doubles == []

        # nothing from a fenced epoch: a partition whose last commit is by an older epoch than its fence was
        # last written before the newer owner's claim; the paused worker's partitions were taken over
        o, f = schema.cluster_offsets.c, schema.cluster_fence.c
        with db.engine.connect() as conn:
            rows = conn.execute(
                select(o.partition, o.epoch, o.committed_at, f.epoch, f.since).join(
                    schema.cluster_fence, f.partition == o.partition
                )
            ).all()
        for partition, epoch, committed_at, fence_epoch, since in rows:
            assert epoch <= fence_epoch and (epoch == fence_epoch or committed_at <= since), partition
        assert any((db.fence(p) or 0) > (epoch or 0) for p, (_, epoch) in before_stop.items()), "no takeover"
        # once resumed, the paused worker finds its leases gone ("lease lost" at its next renewal, "lost" when the
        # partition has stopped); on a busy machine that may come after the checks above
        log = tmp_path / f"w{workers.index(paused)}.log"

        def noticed() -> bool:
            text = log.read_text(errors="replace")
            return any(
                f"partition {p}: lease lost" in text or f"partition {p}: lost" in text
                for p in held - {names.GLOBAL}
            )

        wait(noticed, 60, "the paused worker to find its leases lost")

        # SSE: no gap, no duplicate across the move
        stream_last = db_changes_last(urls)
        wait(lambda: sse[-1].ids and sse[-1].ids[-1] >= stream_last, 30, "the SSE client to catch up")
        ids = sse[0].ids + sse[1].ids
        assert len(ids) == len(set(ids))
        assert ids == list(range(ids[0], ids[-1] + 1)), "a gap in the SSE ids"

        # every chain and the signed root verify
        verify = subprocess.run(
            [
                sys.executable,
                "-m",
                "fairwatch",
                "audit",
                "verify",
                "--database-url",
                pg_url,
                "--key-file",
                str(key),
            ],
            capture_output=True,
        )
        assert verify.returncode == 0, verify.stdout + verify.stderr
        with db.engine.connect() as conn:
            roots = conn.execute(select(func.count()).select_from(schema.audit_roots)).scalar()
        assert roots and roots > 0
    finally:
        for client in sse:
            client.close()
        for edge in edges:
            edge.stop()
        for w in workers:
            w.stop()
        db.close()


def db_changes_last(urls: str) -> int:
    """The last sequence of the change stream, read through the NATS monitoring of any node (no client needed)."""
    import asyncio

    from fairwatch.cluster import streams

    async def last() -> int:
        nc = await streams.connect(urls, "chaos-check")
        try:
            info = await nc.jetstream().stream_info(names.CHANGES_STREAM)
            return int(info.state.last_seq)
        finally:
            await nc.close()

    return asyncio.run(last())
