"""Workers as processes (`python -m fairwatch serve --role worker ...`) on the real 3-node JetStream cluster and
PostgreSQL: kill -9 of a partition's owner -> another worker takes over within 15 s, rebuilds the rule state and
ends with the alarms a single-process `fairwatch replay` of the same events finds; SIGSTOP past the lease, a
takeover, SIGCONT -> the old owner commits nothing and gives the partition up."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from fairwatch.cluster import names
from fairwatch.cluster.localnats import LocalNats
from fairwatch.events.validate import rfc3339
from fairwatch.model import Event
from tests.cluster.worker_helpers import (
    Db,
    WorkerProcess,
    connect,
    forget_partitions,
    new_site,
    publish,
    register,
    replayed,
    until,
    worker_settings,
)

RULES = """
rules:
  - id: medical-cluster
    alarm: medical.cluster
    severity: high
    when: {type: report.medical, count: {gte: 3, within: 10m}}
    group_by: [site, zone]
"""
TAKEOVER_S = 15.0


@pytest.fixture(scope="module")
def db(pg_url: str) -> Iterator[Db]:
    d = Db(pg_url)
    yield d
    d.close()


def report(site: str, zone: str, n: int) -> Event:
    t = time.time()
    return Event(f"{site}-{zone}-{n}", f"steward-{zone}-{n}", "report.medical", t, t, site=site, zone=zone)


def stored(db: Db, sites: list[str]) -> set[tuple[str, tuple[tuple[str, str], ...], bool]]:
    rows: list[Any] = [r for s in sites for r in db.alarms(s)]
    return {(r.rule, tuple(sorted(orjson.loads(r.group_json).items())), bool(r.active)) for r in rows}


@pytest.mark.slow
async def test_kill_9_of_the_owner_another_takes_over_and_the_alarms_equal_a_replay(
    nats_cluster: LocalNats, pg_url: str, db: Db, tmp_path: Path
) -> None:
    urls = ",".join(nats_cluster.urls)
    nc, js = await connect(urls)
    workers = [
        WorkerProcess(worker_settings(tmp_path / f"w{i}", urls, pg_url, RULES), tmp_path / f"w{i}.log")
        for i in range(2)
    ]
    try:
        await forget_partitions(js)
        sites = [new_site() for _ in range(3)]
        await register(js, *sites)
        every = {*sites, names.GLOBAL}
        for w in workers:
            w.start()

        def owners() -> list[set[str]]:
            return [set(w.owned() or []) for w in workers]

        await until(
            lambda: set.union(*owners()) == every and all(owners()), 60, "both workers to own partitions"
        )
        sent: list[Event] = []
        # before the kill: zone a reaches the count, zone b has two of three
        for site in sites:
            for zone, n in (("a", 4), ("b", 2)):
                for i in range(n):
                    event = report(site, zone, i)
                    await publish(js, event)
                    sent.append(event)
        await until(lambda: sum(len(db.events(s)) for s in sites) == len(sent), 30, "the first events stored")
        victim = next(w for w in workers if sites[0] in (w.owned() or []))
        survivor = next(w for w in workers if w is not victim)
        victim.signal(signal.SIGKILL)
        killed = time.monotonic()
        # after the kill: zone b gets its third report (an alarm only if the count was rebuilt), zone c one
        for site in sites:
            for zone, i in (("b", 2), ("c", 0)):
                event = report(site, zone, i)
                await publish(js, event)
                sent.append(event)
        await until(
            lambda: every <= set(survivor.owned() or []), TAKEOVER_S, "the survivor to own every partition"
        )
        assert time.monotonic() - killed <= TAKEOVER_S
        await until(lambda: sum(len(db.events(s)) for s in sites) == len(sent), 30, "every event stored once")
        lines = [
            {
                "id": e.id,
                "source": e.source,
                "type": e.type,
                "time": rfc3339(e.time),
                "site": e.site,
                "zone": e.zone,
            }
            for e in sent
        ]
        expected = replayed(lines, workers[0].settings.rules or Path(), tmp_path)
        assert len(expected) == 2 * len(sites)  # zones a and b of every site
        await until(lambda: stored(db, sites) == expected, 20, "the alarms of a replay")
    finally:
        for w in workers:
            w.stop()
        await nc.close()


@pytest.mark.slow
async def test_sigstop_past_the_lease_then_sigcont_the_old_owner_commits_nothing(
    nats_cluster: LocalNats, pg_url: str, db: Db, tmp_path: Path
) -> None:
    urls = ",".join(nats_cluster.urls)
    nc, js = await connect(urls)
    first = WorkerProcess(worker_settings(tmp_path / "w1", urls, pg_url, RULES), tmp_path / "w1.log")
    second = WorkerProcess(worker_settings(tmp_path / "w2", urls, pg_url, RULES), tmp_path / "w2.log")
    try:
        await forget_partitions(js)
        site = new_site()
        await register(js, site)
        first.start()
        await until(lambda: site in (first.owned() or []), 60, "the first worker to own the partition")
        before = db.fence(site)
        for i in range(2):
            await publish(js, report(site, "a", i))
        await until(lambda: len(db.events(site)) == 2, 30, "the first events")
        first.signal(signal.SIGSTOP)
        second.start()
        await until(lambda: site in (second.owned() or []), 60, "the second worker to take over")
        after = db.fence(site)
        assert before is not None and after is not None and after > before
        seq = 0
        for i in range(2, 4):
            seq = await publish(js, report(site, "a", i))
        await until(lambda: db.offset(site) == (seq, after), 20, "the new owner's offset")
        first.signal(signal.SIGCONT)
        log = tmp_path / "w1.log"
        await until(
            lambda: f"partition {site}: lost" in log.read_text(), 20, "the old owner to stop the partition"
        )
        await asyncio.sleep(1.0)  # whatever the resumed process had in hand has been tried by now
        # nothing committed with the old epoch: the offset row is the new owner's (or a later one's), the events
        # are stored once and the alarm once
        offset = db.offset(site)
        assert offset is not None and offset[0] == seq and offset[1] >= after
        assert (db.fence(site) or 0) >= after
        assert sorted(db.events(site)) == sorted((f"{site}-a-{i}", f"steward-a-{i}") for i in range(4))
        assert len(db.alarms(site)) == 1
    finally:
        first.stop()
        second.stop()
        await nc.close()
