"""NATS gone for longer than the lease: the worker stops its partitions (it can no longer prove it owns them);
when NATS is back it takes them again, from the stored offset, and what is published then is stored.
A module of its own: it takes the whole JetStream cluster down."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fairwatch.cluster.localnats import LocalNats
from fairwatch.cluster.worker import Worker
from tests.cluster.worker_helpers import (
    Db,
    connect,
    medical,
    new_site,
    publish,
    register,
    until,
    worker_settings,
)


@pytest.mark.slow
async def test_a_worker_cut_off_from_nats_past_its_lease_stops_and_resumes_when_it_is_back(
    nats_cluster: LocalNats, pg_url: str, tmp_path: Path
) -> None:
    urls = ",".join(nats_cluster.urls)
    nc, js = await connect(urls)
    db = Db(pg_url)
    site = new_site()
    await register(js, site)
    await nc.close()
    worker = Worker(worker_settings(tmp_path, urls, pg_url))
    task = asyncio.create_task(worker.run())
    try:
        await until(lambda: site in worker.owned(), 30, "the partition owned")
        epoch = db.fence(site)
        for i in range(len(nats_cluster.nodes)):
            nats_cluster.kill(i)
        await until(lambda: worker.owned() == [], 20, "the worker to stop its partitions")
        for i in range(len(nats_cluster.nodes)):
            nats_cluster.start(i)
        await asyncio.to_thread(nats_cluster.wait_ready)
        await until(lambda: site in worker.owned(), 60, "the partition owned again")
        assert (db.fence(site) or 0) > (epoch or 0)  # a new epoch: a new lease
        nc, js = await connect(urls)
        for i in range(3):
            await publish(js, medical(site, i))
        await nc.close()
        await until(lambda: len(db.alarms(site)) == 1, 30, "the alarm after the outage")
        assert sorted(db.events(site)) == sorted((f"{site}-m{i}", f"steward-{i}") for i in range(3))
    finally:
        worker.request_stop()
        await asyncio.wait_for(task, 60)
        db.close()
