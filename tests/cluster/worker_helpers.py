"""Shared pieces of the worker tests: settings, publishing as an edge does, reading PostgreSQL, waiting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson
from nats.js import JetStreamContext
from nats.js.errors import ServiceUnavailableError
from sqlalchemy import create_engine, func, select

from fairwatch.audit.keys import load_or_create_key
from fairwatch.cluster import names, streams, wire
from fairwatch.model import Event
from fairwatch.settings import Settings
from fairwatch.store import schema
from tests.harness import TEST_SCHEMAS

RULES = """
rules:
  - id: medical-cluster
    alarm: medical.cluster
    severity: high
    when: {type: report.medical, count: {gte: 3, within: 10m}}
    group_by: [zone]
"""


def worker_settings(tmp: Path, nats_urls: str, pg_url: str, rules_text: str = RULES, **over: Any) -> Settings:
    tmp.mkdir(parents=True, exist_ok=True)
    rules = tmp / "rules.yaml"
    rules.write_text(rules_text)
    key = tmp / "deploy.key"
    load_or_create_key(key)
    base: dict[str, Any] = {
        "role": "worker",
        "nats": nats_urls,
        "database_url": pg_url,
        "key_file": key,
        "rules": rules,
        "schemas": TEST_SCHEMAS,
        "lease_seconds": 2.0,
        "stream_replicas": 3,
        "data": tmp / "data",
    }
    base.update(over)
    return Settings(**base)


def new_site() -> str:
    return "s" + uuid.uuid4().hex[:10]


def medical(site: str, i: int, zone: str = "camping", when: float | None = None) -> Event:
    t = time.time() if when is None else when
    return Event(f"{site}-m{i}", f"steward-{i}", "report.medical", t, t, site=site, zone=zone)


async def publish(js: JetStreamContext, event: Event, msg_id: str | None = None) -> int:
    """Publish as an edge does (one message per event, Nats-Msg-Id `<source>:<id>`); the stream sequence."""
    ack = await js.publish(
        names.event_subject(event), wire.encode(event), headers={names.MSG_ID: msg_id or names.msg_id(event)}
    )
    return int(ack.seq)


async def register(js: JetStreamContext, *sites: str) -> None:
    """Register partitions as an edge does when it first publishes to them."""
    kv = await js.key_value(names.PARTITIONS_BUCKET)
    for site in sites:
        await kv.put(names.partition_of(site), site.encode())


async def forget_partitions(js: JetStreamContext) -> None:
    """Empty the partition registry (earlier tests of the module registered theirs)."""
    kv = await js.key_value(names.PARTITIONS_BUCKET)
    try:
        keys = await kv.keys()
    except Exception:
        return
    for key in keys:
        await kv.purge(key)


async def connect(urls: str) -> tuple[Any, JetStreamContext]:
    nc = await streams.connect(urls, "test")
    js = nc.jetstream()
    await streams.ensure(js, streams.Layout(replicas=3, lease_seconds=2.0))
    return nc, js


async def fetch(sub: Any, batch: int, timeout: float = 2.0, patience: float = 20.0) -> list[Any]:
    """`sub.fetch(batch, timeout)`, asked again while JetStream answers 503: a new consumer on a replicated
    stream is not served until its leader is elected, which takes a while on a busy machine."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return list(await sub.fetch(batch, timeout=timeout))
        except ServiceUnavailableError:
            if time.monotonic() >= deadline:
                raise
            await asyncio.sleep(0.3)


async def until(check: Callable[[], Awaitable[bool]] | Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if asyncio.iscoroutine(got):
            got = await got
        if got:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Db:
    """Reads of the shared PostgreSQL, by site."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url)
        schema.metadata.create_all(self.engine)
        schema.create_cluster_tables(self.engine)

    def events(self, site: str) -> list[tuple[str, str]]:
        e = schema.events.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(e.eid, e.source).where(e.site == site).order_by(e.seq)).all()
        return [(r[0], r[1]) for r in rows]

    def alarms(self, site: str) -> list[Any]:
        a = schema.alarms.c
        with self.engine.connect() as conn:
            return list(conn.execute(select(schema.alarms).where(a.site == site).order_by(a.id)).all())

    def offset(self, partition: str) -> tuple[int, int] | None:
        o = schema.cluster_offsets.c
        with self.engine.connect() as conn:
            row = conn.execute(select(o.seq, o.epoch).where(o.partition == partition)).first()
        return (int(row[0]), int(row[1])) if row else None

    def fence(self, partition: str) -> int | None:
        f = schema.cluster_fence.c
        with self.engine.connect() as conn:
            return conn.execute(select(f.epoch).where(f.partition == partition)).scalar_one_or_none()

    def fence_owner(self, partition: str) -> str | None:
        f = schema.cluster_fence.c
        with self.engine.connect() as conn:
            return conn.execute(select(f.owner).where(f.partition == partition)).scalar_one_or_none()

    def count(self, table: Any) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    def close(self) -> None:
        self.engine.dispose()


class WorkerProcess:
    """`python -m fairwatch serve --role worker ...` as a child process with /healthz on a free port."""

    def __init__(self, settings: Settings, log: Path) -> None:
        from fairwatch.cluster.localnats import free_port

        self.settings = settings
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        s = self.settings
        assert s.nats and s.database_url and s.key_file and s.rules and s.schemas
        args = [sys.executable, "-m", "fairwatch", "serve", "--role", "worker", "--nats", s.nats]
        args += ["--database-url", s.database_url, "--key-file", str(s.key_file), "--port", str(self.port)]
        args += ["--rules", str(s.rules), "--schemas", str(s.schemas), "--data", str(s.data)]
        env = dict(os.environ, FAIRWATCH_LEASE_SECONDS=str(s.lease_seconds))
        out = open(self.log, "ab")  # noqa: SIM115 - the child keeps it
        self.process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
        out.close()
        return self

    def owned(self) -> list[str] | None:
        """The partitions /healthz names, or None while it does not answer."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as r:
                return list(orjson.loads(r.read())["partitions"])
        except (OSError, ValueError):
            return None

    def signal(self, sig: int) -> None:
        assert self.process is not None
        os.kill(self.process.pid, sig)

    def stop(self) -> None:
        p = self.process
        if p is None:
            return
        if p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p.pid, signal.SIGCONT)
            p.terminate()
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.process = None


Alarm = tuple[str, tuple[tuple[str, str], ...], bool]  # rule, group, still active


def replayed(events: list[dict[str, Any]], rules: Path, tmp: Path) -> set[Alarm]:
    """What `fairwatch replay --json` finds in `events` (HTTP-contract dicts): the last state of each (rule,
    group). A raise after a clear reopens the live alarm where replay books a second one, so compare per key."""
    lines = tmp / "replayed.jsonl"
    lines.write_text("".join(json.dumps(e) + "\n" for e in events))
    env = dict(os.environ, FAIRWATCH_SCHEMAS=str(TEST_SCHEMAS), FAIRWATCH_DATA=str(tmp / "replay-data"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "fairwatch",
            "replay",
            "--rules",
            str(rules),
            "--events",
            str(lines),
            "--json",
        ],
        capture_output=True,
        env=env,
        check=True,
    )
    doc = json.loads(done.stdout.decode().strip().splitlines()[0])
    last: dict[tuple[str, tuple[tuple[str, str], ...]], bool] = {}
    for a in sorted(doc["alarms"], key=lambda a: str(a["raised_at"])):
        last[(a["rule"], tuple(sorted(a["group"].items())))] = a["cleared_at"] is None
    return {(rule, group, active) for (rule, group), active in last.items()}


@contextlib.asynccontextmanager
async def running(worker: Any) -> Any:
    """An in-process `cluster.worker.Worker` running on the test's loop until the block ends."""
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        worker.request_stop()
        await asyncio.wait_for(task, 30)
