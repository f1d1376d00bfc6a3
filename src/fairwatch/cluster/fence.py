"""Fencing: a partition's owner commits only while its epoch is the newest in the `cluster_fence` row.

The lease in JetStream says who *should* own a partition; PostgreSQL decides who *can* write. On acquiring a
lease the new owner raises the row's epoch to its own (`claim`: nothing updated means a newer owner exists). Every
write transaction of the owner first reads the row `FOR SHARE` (`guard`): a stored epoch other than the owner's
raises `errors.Fenced` and the transaction rolls back. The share lock makes the claim wait for a transaction of
the old owner that already passed the guard, so a claim and the old owner's commits are strictly ordered: after
the claim returns, the old owner commits nothing more, however long it was paused.

Offsets: the last FW_EVENTS stream sequence of a partition is written in the same transaction as the events it
carried (`record_offset`, called by the pipeline's batch hook), so a redelivered message is recognised.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.dialects.postgresql import insert

from fairwatch.errors import Fenced
from fairwatch.store import schema

_F = schema.cluster_fence
_O = schema.cluster_offsets


class Fence:
    """The fencing state of one owned partition: its epoch and whether the lease is known to be lost."""

    def __init__(
        self,
        partition: str,
        epoch: int,
        owner: str,
        on_fenced: Callable[[], None] | None = None,
        lease_seconds: float = 5.0,
    ) -> None:
        self.partition = partition
        self.epoch = epoch
        self.owner = owner
        # An owner paused in the middle of a transaction holds its share lock and would keep a successor's claim
        # waiting: PostgreSQL ends such a session after a lease of idleness in the transaction (its work rolls
        # back), and a claim waits at most three leases for a lock.
        self.idle_ms = str(int(lease_seconds * 1000))
        self.claim_wait_ms = str(int(lease_seconds * 3000))
        self.on_fenced = on_fenced  # told (once per refusal) that a newer owner exists: stop the partition
        self.revoked = False  # set when the lease is lost: refuse at once, before the database is asked
        self.fenced = False  # set when a transaction found a newer epoch

    def claim(self, engine: Engine) -> bool:
        """Raise the partition's stored epoch to ours; False if the stored one is already newer or equal."""
        ins = insert(_F).values(
            partition=self.partition, epoch=self.epoch, owner=self.owner, since=time.time()
        )
        stmt = ins.on_conflict_do_update(
            index_elements=[_F.c.partition],
            set_={"epoch": ins.excluded.epoch, "owner": ins.excluded.owner, "since": ins.excluded.since},
            where=_F.c.epoch < ins.excluded.epoch,
        ).returning(_F.c.partition)
        with engine.begin() as conn:
            conn.execute(select(func.set_config("lock_timeout", self.claim_wait_ms, True)))
            return conn.execute(stmt).first() is not None

    def guard(self, conn: Connection) -> None:
        """First statement of every write transaction of the owner: refuse unless our epoch is the stored one."""
        if self.revoked:
            raise Fenced(f"partition {self.partition}: the lease of epoch {self.epoch} is lost", 1)
        idle = func.set_config("idle_in_transaction_session_timeout", self.idle_ms, True)
        q = select(_F.c.epoch, idle).where(_F.c.partition == self.partition).with_for_update(read=True, of=_F)
        row = conn.execute(q).first()
        found = None if row is None else row[0]
        if found != self.epoch:
            self.fenced = True
            if self.on_fenced is not None:
                self.on_fenced()
            raise Fenced(f"partition {self.partition}: epoch {self.epoch} was fenced off by epoch {found}", 1)


def record_offset(conn: Connection, partition: str, seq: int, epoch: int, now: float) -> None:
    """Store `seq` as the partition's last committed stream sequence (never lowering it), in the caller's
    transaction."""
    stmt = insert(_O).values(partition=partition, seq=seq, committed_at=now, epoch=epoch)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_O.c.partition],
        set_={
            "seq": stmt.excluded.seq,
            "committed_at": stmt.excluded.committed_at,
            "epoch": stmt.excluded.epoch,
        },
        where=_O.c.seq < stmt.excluded.seq,
    )
    conn.execute(stmt)


def stored_offset(engine: Engine, partition: str) -> int:
    """The partition's last committed stream sequence (0 before the first)."""
    with engine.connect() as conn:
        found = conn.execute(select(_O.c.seq).where(_O.c.partition == partition)).scalar_one_or_none()
    return int(found or 0)


def offsets(engine: Engine) -> dict[str, tuple[int, float, int]]:
    """Every partition's (seq, committed_at, epoch), for `fairwatch cluster status`."""
    with engine.connect() as conn:
        rows = conn.execute(select(_O.c.partition, _O.c.seq, _O.c.committed_at, _O.c.epoch)).all()
    return {str(r[0]): (int(r[1]), float(r[2]), int(r[3])) for r in rows}
