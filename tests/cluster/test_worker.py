"""The cluster worker, in process, on a real 3-node JetStream cluster and PostgreSQL: events published as an
edge does become stored events and alarms; duplicates and redeliveries are stored once; committed changes go
out on FW_CHANGES; two workers split the partitions and never both own one; commands answer through the
owner's API (a stale version is a 409); a fenced owner commits nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from nats.errors import NoRespondersError

from fairwatch.cluster import names, wire
from fairwatch.cluster.localnats import LocalNats
from fairwatch.cluster.worker import Worker
from tests.cluster.worker_helpers import (
    Db,
    connect,
    fetch,
    forget_partitions,
    medical,
    new_site,
    publish,
    register,
    running,
    until,
    worker_settings,
)


@pytest.fixture(scope="module")
def db(pg_url: str) -> Iterator[Db]:
    d = Db(pg_url)
    yield d
    d.close()


async def request(nc: Any, partition: str, command: wire.Command) -> wire.Reply:
    """A command to the owner of `partition`, as an edge sends it; the owner's subscription may take a moment
    to reach the NATS node this client is on."""
    for _ in range(25):
        try:
            msg = await nc.request(names.command_subject(partition), wire.encode(command), timeout=5)
        except NoRespondersError:
            await asyncio.sleep(0.2)
            continue
        return wire.decode_reply(msg.data)
    raise AssertionError(f"no responder for {partition}")


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
            # `_global` starts last and slowest (its app runs the transparency jobs)
            await until(lambda: set(worker.owned()) >= {a, b, names.GLOBAL}, 20, "every partition served")
            # a redelivery of every message of the partition (as after a lost ack) stores nothing new
            runner = worker.runners[a]
            sub = await js.pull_subscribe(
                f"{names.EVENTS_PREFIX}.{a}", durable=None, stream=names.EVENTS_STREAM
            )
            again = await fetch(sub, 100, timeout=2)
            assert len(again) == 4
            assert await runner._handle(again)
            assert sorted(db.events(a)) == [(f"{a}-m{i}", f"steward-{i}") for i in range(3)]
            # the committed alarm changes went out on fw.ch.<partition>
            changes = await js.pull_subscribe(f"{names.CHANGES_PREFIX}.{a}", durable=None)
            got = [wire.decode_change(m.data) for m in await fetch(changes, 100, timeout=2)]
            assert [c.kind for c in got if c.kind == "alarm"] == ["alarm"]
            assert b'"raised"' in next(c.data for c in got if c.kind == "alarm")
    finally:
        await nc.close()


async def test_two_workers_split_the_partitions_and_never_both_own_one(
    nats_cluster: LocalNats, pg_url: str, db: Db, tmp_path: Path
) -> None:
    urls = ",".join(nats_cluster.urls)
    nc, js = await connect(urls)
    try:
        await forget_partitions(js)
        sites = [new_site() for _ in range(6)]
        await register(js, *sites)
        every = {*sites, names.GLOBAL}
        first = Worker(worker_settings(tmp_path / "1", urls, pg_url))
        second = Worker(worker_settings(tmp_path / "2", urls, pg_url))
        overlaps: list[set[str]] = []

        def split() -> bool:
            one, two = set(first.owned()), set(second.owned())
            if one & two:
                overlaps.append(one & two)
            return one | two == every and sorted((len(one), len(two))) == [3, 4]

        async with running(first):
            await until(lambda: set(first.owned()) == every, 30, "the first worker to own everything")
            async with running(second):
                await until(split, 40, "the partitions split 4 + 3")
                for site in sites:  # every partition evaluates, whoever owns it
                    for i in range(3):
                        await publish(js, medical(site, i))
                for _ in range(10):
                    split()
                    await asyncio.sleep(0.2)
                await until(lambda: all(len(db.alarms(s)) == 1 for s in sites), 30, "an alarm in every site")
                assert overlaps == []
                # the fencing rows agree: each partition's writer is the worker that says it owns it
                for worker in (first, second):
                    assert {p for p in worker.owned() if db.fence_owner(p) == worker.id} == set(
                        worker.owned()
                    )
    finally:
        await nc.close()


async def test_commands_run_through_the_owners_api_and_a_stale_version_is_a_409(
    nats_cluster: LocalNats, pg_url: str, db: Db, tmp_path: Path
) -> None:
    from fairwatch.access import create_token
    from fairwatch.model import Role
    from fairwatch.store import SqlStore

    urls = ",".join(nats_cluster.urls)
    nc, js = await connect(urls)
    store = SqlStore(pg_url)
    try:
        with store.transaction() as txn:
            token = create_token(txn, "op-" + new_site(), Role.OPERATOR, "test", time.time())
        await forget_partitions(js)
        site = new_site()
        await register(js, site)
        async with running(Worker(worker_settings(tmp_path, urls, pg_url))):
            for i in range(3):
                await publish(js, medical(site, i))
            await until(lambda: len(db.alarms(site)) == 1, 30, "the alarm")
            alarm = db.alarms(site)[0]
            auth = ("authorization", f"Bearer {token}")

            async def command(path: str, version: int, body: bytes = b"") -> wire.Reply:
                headers = [auth, ("if-match", f'"{version}"')]
                if body:
                    headers += [("content-type", "application/json"), ("content-length", str(len(body)))]
                return await request(nc, site, wire.Command("POST", path, headers, body))

            acked = await command(f"/api/v1/alarms/{alarm.id}/ack", alarm.version)
            assert acked.status == 200, acked.body
            assert orjson.loads(acked.body)["state"] == "acknowledged"
            stale = await command(f"/api/v1/alarms/{alarm.id}/comment", alarm.version, b'{"text": "late"}')
            assert stale.status == 409, stale.body
            assert orjson.loads(stale.body)["found_version"] == alarm.version + 1
            assert db.alarms(site)[0].version == alarm.version + 1  # nothing written by the stale one
            bad = wire.Command("POST", f"/api/v1/alarms/{alarm.id}/ack", [], b"")
            unauth = await request(nc, site, bad)
            assert unauth.status == 401
    finally:
        store.close()
        await nc.close()


async def test_a_fenced_owner_commits_nothing_and_gives_the_partition_up(
    nats_cluster: LocalNats, pg_url: str, db: Db, tmp_path: Path
) -> None:
    """The old owner is paused past its lease (it simply stops renewing), a new one takes the lease and claims
    the fence; when the old one resumes, its writes are refused and it reports the loss."""
    from sqlalchemy import create_engine

    from fairwatch.cluster.lease import Leases
    from fairwatch.cluster.partition import PartitionRunner
    from fairwatch.errors import Fenced

    urls = ",".join(nats_cluster.urls)
    nc, js = await connect(urls)
    engine = create_engine(pg_url)
    settings = worker_settings(tmp_path, urls, pg_url)
    site = new_site()
    kv = await js.key_value(names.LEASES_BUCKET)
    lost: list[str] = []
    old = new = None
    try:
        held = await Leases(kv, "old", 2.0).acquire(site)
        assert held is not None
        old = PartitionRunner(site, held.epoch, "old", settings, nc, js, engine, lost.append)
        await old.start()
        for i in range(2):
            await publish(js, medical(site, i))
        await until(lambda: len(db.events(site)) == 2, 20, "the old owner's events")
        # paused: no renewal; the lease expires and another worker takes it
        taken = None
        while taken is None:
            await asyncio.sleep(0.3)
            taken = await Leases(kv, "new", 2.0).acquire(site)
        assert taken.epoch > held.epoch
        new = PartitionRunner(site, taken.epoch, "new", settings, nc, js, engine, lambda _p: None)
        await new.start()
        assert db.fence(site) == taken.epoch
        # the old owner resumes with work in hand: an event batch and a redelivered message
        late = medical(site, 7)
        with pytest.raises(Fenced):
            await old.app.pipeline.submit([late])  # type: ignore[union-attr]
        assert (f"{site}-m7", "steward-7") not in db.events(site)
        seq = await publish(js, medical(site, 2))
        sub = await js.pull_subscribe(
            f"{names.EVENTS_PREFIX}.{site}", durable=None, stream=names.EVENTS_STREAM
        )
        msgs = await fetch(sub, 10, timeout=2)
        assert await old._handle(msgs) is False and set(lost) == {site}
        # the new owner stores the event once, with its epoch on the offset; the alarm is its
        await until(lambda: (db.offset(site) or (0, 0)) == (seq, taken.epoch), 20, "the new owner's offset")
        assert sorted(db.events(site)) == sorted((f"{site}-m{i}", f"steward-{i}") for i in range(3))
        await until(lambda: len(db.alarms(site)) == 1, 20, "the alarm raised by the new owner")
    finally:
        for runner in (old, new):
            if runner is not None:
                await runner.stop(lost=runner is old)
        engine.dispose()
        await nc.close()


async def test_changes_committed_but_never_published_are_published_by_the_successor_once(
    nats_cluster: LocalNats, pg_url: str, db: Db, tmp_path: Path
) -> None:
    """The owner commits an alarm and dies before publishing it (its forwarding task is gone); the successor
    publishes it from the outbox, once; a change both published is on the stream once (same Nats-Msg-Id)."""
    from sqlalchemy import create_engine

    from fairwatch.cluster.lease import Leases
    from fairwatch.cluster.partition import PartitionRunner
    from fairwatch.store import schema

    urls = ",".join(nats_cluster.urls)
    nc, js = await connect(urls)
    engine = create_engine(pg_url)
    settings = worker_settings(tmp_path, urls, pg_url)
    site = new_site()
    kv = await js.key_value(names.LEASES_BUCKET)
    old = new = None

    def outbox() -> int:
        return db.count(
            schema.cluster_changes.select().where(schema.cluster_changes.c.partition == site).subquery()
        )

    async def on_stream() -> list[wire.Change]:
        sub = await js.pull_subscribe(
            f"{names.CHANGES_PREFIX}.{site}", durable=None, stream=names.CHANGES_STREAM
        )
        try:
            return [wire.decode_change(m.data) for m in await fetch(sub, 100, timeout=2)]
        except TimeoutError:
            return []
        finally:
            await sub.unsubscribe()

    try:
        held = await Leases(kv, "old", 2.0).acquire(site)
        assert held is not None
        old = PartitionRunner(site, held.epoch, "old", settings, nc, js, engine, lambda _p: None)
        await old.start()
        # a first alarm goes out as usual and leaves no outbox row
        for i in range(3):
            await publish(js, medical(site, i, zone="north"))
        await until(lambda: len(db.alarms(site)) == 1, 20, "the first alarm")
        await until(lambda: outbox() == 0, 10, "the outbox swept")
        assert [c.kind for c in await on_stream()] == ["alarm"]
        # the owner dies between commit and publish: it still consumes and commits, but publishes nothing
        for task in old._tasks:
            if not task.get_name().startswith("events"):
                task.cancel()
        for i in range(3, 6):
            await publish(js, medical(site, i, zone="south"))
        await until(lambda: len(db.alarms(site)) == 2, 20, "the second alarm, committed")
        assert outbox() == 1 and len(await on_stream()) == 1
        old.fence.revoked = True  # dead: it commits nothing more
        taken = None
        while taken is None:
            await asyncio.sleep(0.3)
            taken = await Leases(kv, "new", 2.0).acquire(site)
        new = PartitionRunner(site, taken.epoch, "new", settings, nc, js, engine, lambda _p: None)
        await new.start()
        got = await on_stream()
        assert len(got) == 2 and all(c.kind == "alarm" for c in got)
        zones = [orjson.loads(c.data)["alarm"]["zone"] for c in got]
        assert zones == ["north", "south"]
        await until(lambda: outbox() == 0, 10, "the outbox emptied by the successor")
    finally:
        for runner in (old, new):
            if runner is not None:
                await runner.stop(lost=runner is old)
        engine.dispose()
        await nc.close()


async def test_a_phase_switched_through_the_global_owner_reaches_every_partition(
    nats_cluster: LocalNats, pg_url: str, db: Db, tmp_path: Path
) -> None:
    from fairwatch.access import create_token
    from fairwatch.model import Role
    from fairwatch.store import SqlStore

    calm = "rules:\n  - id: medical-cluster\n    alarm: medical.cluster\n    severity: high\n"
    calm += "    when: {type: report.medical, count: {gte: 5, within: 10m}}\n    group_by: [zone]\n"
    (tmp_path / "calm.yaml").write_text(calm)
    (tmp_path / "busy.yaml").write_text(calm.replace("gte: 5", "gte: 2"))
    phases = tmp_path / "run-of-show.yaml"
    phases.write_text("phases:\n  - {id: calm, rules: calm.yaml}\n  - {id: busy, rules: busy.yaml}\n")
    urls = ",".join(nats_cluster.urls)
    nc, js = await connect(urls)
    store = SqlStore(pg_url)
    try:
        with store.transaction() as txn:
            token = create_token(txn, "sup-" + new_site(), Role.SUPERVISOR, "test", time.time())
        await forget_partitions(js)
        site = new_site()
        await register(js, site)
        settings = worker_settings(tmp_path / "w", urls, pg_url, rules=None, phases=phases)
        worker = Worker(settings)
        async with running(worker):
            await until(lambda: {site, names.GLOBAL} <= set(worker.owned()), 30, "both partitions owned")
            body = b'{"phase": "busy", "reason": "crowd building"}'
            headers = [
                ("authorization", f"Bearer {token}"),
                ("content-type", "application/json"),
                ("content-length", str(len(body))),
            ]
            command = wire.Command("POST", "/api/v1/phase", headers, body)
            reply = await request(nc, names.GLOBAL, command)
            assert reply.status == 200, reply.body

            def current() -> str | None:
                runner = worker.runners.get(site)  # a lease lost under load and taken again is a new runner
                app = None if runner is None else runner.app
                return None if app is None or app.phases is None else app.phases.current.id

            await until(lambda: current() == "busy", 15, "the site's partition to take the phase")
            for i in range(2):
                await publish(js, medical(site, i))
            await until(lambda: len(db.alarms(site)) == 1, 20, "an alarm under the busy phase's rules")
    finally:
        store.close()
        await nc.close()


async def test_an_owner_paused_inside_a_transaction_does_not_hold_its_successor_back(
    nats_cluster: LocalNats, pg_url: str, db: Db, tmp_path: Path
) -> None:
    """Paused between its guard and its commit, the old owner holds the fencing row's share lock; PostgreSQL ends
    its idle transaction after a lease, the successor's claim goes through, and the old write never lands."""
    from sqlalchemy import create_engine

    from fairwatch.cluster.lease import Leases
    from fairwatch.cluster.partition import PartitionRunner
    from fairwatch.errors import StoreUnavailable

    urls = ",".join(nats_cluster.urls)
    nc, js = await connect(urls)
    engine = create_engine(pg_url)
    settings = worker_settings(tmp_path, urls, pg_url)
    site = new_site()
    kv = await js.key_value(names.LEASES_BUCKET)
    old = new = None
    try:
        held = await Leases(kv, "old", 2.0).acquire(site)
        assert held is not None
        old = PartitionRunner(site, held.epoch, "old", settings, nc, js, engine, lambda _p: None)
        await old.start()
        assert old.app is not None
        paused = old.app.store.transaction()
        txn = paused.__enter__()  # the guard ran: the share lock is held, and nothing more happens
        taken = None
        while taken is None:
            await asyncio.sleep(0.3)
            taken = await Leases(kv, "new", 2.0).acquire(site)
        new = PartitionRunner(site, taken.epoch, "new", settings, nc, js, engine, lambda _p: None)
        await asyncio.wait_for(new.start(), 30)
        assert db.fence(site) == taken.epoch
        with pytest.raises(StoreUnavailable):  # the old owner resumes: its transaction is gone
            try:
                txn.set_kv(f"late-{site}", "written by a paused owner")
            except Exception as exc:
                paused.__exit__(type(exc), exc, exc.__traceback__)
                raise AssertionError("the transaction's end did not fail") from exc
            paused.__exit__(None, None, None)
        assert new.app is not None and new.app.store.get_kv(f"late-{site}") is None
    finally:
        for runner in (old, new):
            if runner is not None:
                await runner.stop(lost=runner is old)
        engine.dispose()
        await nc.close()
