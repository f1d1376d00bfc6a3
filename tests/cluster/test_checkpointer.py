"""The leased checkpointer on a real 3-node JetStream cluster and PostgreSQL: only the holder of `_checkpoint` signs
the root over the chain heads; when it gives the lease up another takes over; the roots verify."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.js import JetStreamContext
from sqlalchemy import create_engine, text

from fairwatch.audit import load_or_create_key
from fairwatch.audit.roots import root_problem, verify_chains
from fairwatch.cluster import names, streams
from fairwatch.cluster.checkpointer import Checkpointer
from fairwatch.cluster.localnats import LocalNats
from fairwatch.model import AuditEntry
from fairwatch.settings import Settings
from fairwatch.store import SqlStore, schema

T0 = 1_780_000_000.0


class FakeClock:
    def __init__(self, now: float) -> None:
        self.t = now

    def now(self) -> float:
        return self.t


@pytest.fixture
def db(pg_url: str) -> Iterator[str]:
    name = "fw_" + uuid.uuid4().hex[:12]
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield pg_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture
async def js(nats_cluster: LocalNats) -> AsyncIterator[JetStreamContext]:
    nc = await streams.connect(",".join(nats_cluster.urls), "checkpointer-test")
    jsc = nc.jetstream()
    await streams.ensure(jsc, streams.Layout(replicas=3, lease_seconds=5))
    kv = await jsc.key_value(names.LEASES_BUCKET)
    await kv.purge(names.CHECKPOINTER)  # a lease left by an earlier test of the module
    yield jsc
    await nc.close()


def append(url: str, chain: str, n: int) -> None:
    store = SqlStore(url, chain=chain)
    for i in range(n):
        with store.transaction() as txn:
            txn.append_audit(AuditEntry(T0 + i, chain, "test-note", f"{chain}/{i}", {"i": i}))
    store.close()


async def test_only_the_lease_holder_signs_and_another_takes_over(
    js: JetStreamContext, db: str, tmp_path: Path
) -> None:
    key_file = tmp_path / "deployment.key"
    key = load_or_create_key(key_file)
    clock = FakeClock(T0 + 1000)
    one = Checkpointer(js, SqlStore(db, chain="_global"), key, "worker-0", lease_seconds=5, clock=clock)
    # the second as a worker makes it: from its settings (PostgreSQL, the deployment key file)
    two = Checkpointer.for_settings(
        js, Settings(database_url=db, key_file=key_file, lease_seconds=5), "worker-1"
    )
    two.clock = clock
    stores = [one.store, two.store]
    append(db, "_global", 2)
    append(db, "a", 3)

    first = await one.step(force=True)
    assert first is not None and one.holding
    assert await two.step(force=True) is None and not two.holding
    assert [(h.chain, h.size) for h in first.heads] == [("_global", 2), ("a", 3)]

    append(db, "b", 1)
    clock.t += 60  # a root is due; the holder signs it, the other still does not
    assert await two.step() is None
    second = await one.step()
    # each root is announced in the checkpointer's chain (_global): seq 3 announces the first root
    assert second is not None and [(h.chain, h.size) for h in second.heads] == [
        ("_global", 3),
        ("a", 3),
        ("b", 1),
    ]
    announcement = next(one.store.iter_audit(3))
    assert (announcement.action, announcement.details["root"]) == ("root-signed", first.root)
    assert await one.step(force=True) is None  # only the announcement is new: no new root

    await one.stop()  # gives the lease up
    append(db, "a", 1)  # chain a goes on at seq 4
    clock.t += 60
    third = await two.step()
    assert third is not None and two.holding and third.head("a") is not None
    assert third.head("a").size == 4

    roots = stores[0].list_roots()
    assert [r.root for r in roots] == [first.root, second.root, third.root]
    assert all(root_problem(key.public_key(), r) is None for r in roots)
    chains = ((h.chain, stores[0].iter_audit(1, chain=h.chain)) for h in stores[0].audit_chain_heads())
    assert verify_chains(chains, roots, key.public_key()).ok
    # a deleted root is named by the record that announced it
    with one.store.engine.begin() as conn:
        conn.execute(schema.audit_roots.delete().where(schema.audit_roots.c.root == second.root))
    chains = ((h.chain, stores[0].iter_audit(1, chain=h.chain)) for h in stores[0].audit_chain_heads())
    report = verify_chains(chains, stores[0].list_roots(), key.public_key())
    assert report.problems == (
        "chain _global: seq 4 announces a signed root that is no longer stored (root deleted)",
    )
    await two.stop()
    for s in stores:
        s.close()


async def test_a_holder_that_stalls_past_its_lease_loses_it_and_signs_nothing(
    js: JetStreamContext, db: str
) -> None:
    key = Ed25519PrivateKey.generate()
    clock = FakeClock(T0 + 1000)
    store = SqlStore(db, chain="_global")
    stalled, other = (
        Checkpointer(js, store, key, name, lease_seconds=5, clock=clock) for name in ("stalled", "other")
    )
    append(db, "a", 2)
    assert await stalled.step(force=True) is not None
    # the stalled holder renews no more; the bucket's TTL lets the lease go and the other takes it
    deadline = asyncio.get_running_loop().time() + 30
    while not await other.hold():
        assert asyncio.get_running_loop().time() < deadline, "the lease never expired"
        await asyncio.sleep(0.5)
    append(db, "a", 1)
    clock.t += 60
    assert await stalled.step() is None and not stalled.holding  # its renewal with the old revision fails
    signed = await other.step()
    assert signed is not None and signed.head("a") is not None and signed.head("a").size == 3  # type: ignore[union-attr]
    assert len(store.list_roots()) == 2
    await other.stop()
    store.close()
