"""The cluster worker, in process, on a real 3-node JetStream cluster and PostgreSQL: events published as an
edge does become stored events and alarms; duplicates and redeliveries are stored once; committed changes go
out on FW_CHANGES; two workers split the partitions and never both own one; commands answer through the
owner's API (a stale version is a 409); a fenced owner commits nothing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from fairwatch.cluster import names, wire
from fairwatch.cluster.localnats import LocalNats
from fairwatch.cluster.worker import Worker
from tests.cluster.worker_helpers import (
    Db,
    connect,
    forget_partitions,
    medical,
    new_site,
    publish,
    register,
    until,
    worker_settings,
)


@pytest.fixture(scope="module")
def db(pg_url: str) -> Iterator[Db]:
    d = Db(pg_url)
    yield d
    d.close()


@contextlib.asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[Worker]:
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        worker.request_stop()
        await asyncio.wait_for(task, 30)


async def test_published_events_become_events_and_alarms_once_and_changes_go_out(
    nats_cluster: LocalNats, pg_url: str, db: Db, tmp_path: Path
) -> None:
    urls = ",".join(nats_cluster.urls)
    nc, js = await connect(urls)
    try:
        await forget_partitions(js)
        a, b = new_site(), new_site()
        await register(js, a, b)
        worker = Worker(worker_settings(tmp_path, urls, pg_url))
        async with running(worker):
            for i in range(3):
                await publish(js, medical(a, i))
                await publish(js, medical(b, i))
            # the same event again: within the stream's duplicate window, and under another message id
            await publish(js, medical(a, 0))
            await publish(js, medical(a, 0), msg_id="retried-elsewhere")
            await until(lambda: len(db.alarms(a)) == 1 and len(db.alarms(b)) == 1, 30, "one alarm per site")
            assert sorted(db.events(a)) == [(f"{a}-m{i}", f"steward-{i}") for i in range(3)]
            # same rule, same zone name, two sites: two alarms (the dedup key names the partition)
            alarms = db.alarms(a) + db.alarms(b)
            assert {r.rule for r in alarms} == {"medical-cluster"} and len({r.key for r in alarms}) == 2
            last = (await js.get_last_msg(names.EVENTS_STREAM, f"{names.EVENTS_PREFIX}.{a}")).seq
            await until(lambda: (db.offset(a) or (0, 0))[0] == last, 10, "the offset of the last message")
            assert set(worker.owned()) >= {a, b, names.GLOBAL}
            # a redelivery of every message of the partition (as after a lost ack) stores nothing new
            runner = worker.runners[a]
            sub = await js.pull_subscribe(
                f"{names.EVENTS_PREFIX}.{a}", durable=None, stream=names.EVENTS_STREAM
            )
            again = await sub.fetch(100, timeout=2)
            assert len(again) == 4
            assert await runner._handle(again)
            assert sorted(db.events(a)) == [(f"{a}-m{i}", f"steward-{i}") for i in range(3)]
            # the committed alarm changes went out on fw.ch.<partition>
            changes = await js.pull_subscribe(f"{names.CHANGES_PREFIX}.{a}", durable=None)
            got = [wire.decode_change(m.data) for m in await changes.fetch(100, timeout=2)]
            assert [c.kind for c in got if c.kind == "alarm"] == ["alarm"]
            assert b'"raised"' in next(c.data for c in got if c.kind == "alarm")
    finally:
        await nc.close()
