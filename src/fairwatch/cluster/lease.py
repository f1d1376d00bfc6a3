"""Partition leases in the JetStream key-value bucket `fw_leases` (TTL = the lease length).

`acquire` is `kv.create(partition, worker)`: it succeeds only while the key is absent (never created, deleted
by a clean release, or expired because its owner stopped renewing). The revision it returns is the owner's
*epoch* (bucket revisions only grow, so a later owner always has a larger one). `renew` is
`kv.update(..., last=revision)` every third of the lease; a renewal refused (someone else's revision is there,
or the key expired) or no successful renewal for a whole lease (NATS unreachable) means the lease is lost, and
the owner stops the partition at once. Fencing in PostgreSQL (fence.py) makes the loss safe even when the owner
learns of it late (paused, partitioned).

Workers announce themselves in `fw_workers` (same TTL) so each can compute its fair share of the partitions.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field

from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import (
    BadRequestError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NoKeysError,
    NotFoundError,
)
from nats.js.kv import KeyValue

from fairwatch.cluster import names

log = logging.getLogger(__name__)

WORKERS_BUCKET = "fw_workers"  # key-value: worker id -> its /healthz address; TTL = lease seconds


@dataclass(slots=True)
class Lease:
    partition: str
    epoch: int  # the revision at creation
    revision: int  # the latest revision we wrote
    renewed: float = field(default_factory=time.monotonic)  # when the last renewal succeeded (monotonic)


class Leases:
    """One worker's view of the lease bucket."""

    def __init__(self, kv: KeyValue, worker: str, lease_seconds: float) -> None:
        self.kv = kv
        self.worker = worker
        self.lease_seconds = lease_seconds

    async def acquire(self, partition: str) -> Lease | None:
        """The lease of `partition` if nobody holds it, else None."""
        try:
            rev = await self.kv.create(partition, self.worker.encode())
        except (KeyWrongLastSequenceError, BadRequestError, KeyNotFoundError):
            # held; or (KeyNotFoundError) the holder's entry expired while `create` looked at it: ask again later
            return None
        return Lease(partition, rev, rev)

    async def renew(self, lease: Lease) -> bool:
        """Extend the lease; False once it is lost (refused, or not renewed for a whole lease)."""
        try:
            lease.revision = await self.kv.update(lease.partition, self.worker.encode(), last=lease.revision)
        except (KeyWrongLastSequenceError, BadRequestError):
            return False
        except (NatsError, TimeoutError, OSError) as exc:
            left = self.lease_seconds - (time.monotonic() - lease.renewed)
            log.warning("lease %s: renewal failed (%s); %.1f s left", lease.partition, exc, left)
            return left > 0
        lease.renewed = time.monotonic()
        return True

    def expired(self, lease: Lease) -> bool:
        """True when the last successful renewal is a whole lease ago (others may hold it by now)."""
        return time.monotonic() - lease.renewed >= self.lease_seconds

    async def release(self, lease: Lease) -> None:
        """Give the lease up (a clean stop or rebalancing): delete the key if it is still ours."""
        with contextlib.suppress(
            NatsError, TimeoutError, OSError, KeyWrongLastSequenceError, BadRequestError
        ):
            await self.kv.delete(lease.partition, last=lease.revision)

    async def holders(self) -> dict[str, str]:
        """partition -> worker for every lease held now."""
        out: dict[str, str] = {}
        for key in await keys(self.kv):
            with contextlib.suppress(KeyNotFoundError):
                entry = await self.kv.get(key)
                if entry.value:
                    out[key] = entry.value.decode()
        return out


async def keys(kv: KeyValue) -> list[str]:
    """The bucket's live keys ([] when it has none)."""
    try:
        return list(await kv.keys())
    except NoKeysError:
        return []


async def workers_bucket(js: JetStreamContext, lease_seconds: float, replicas: int) -> KeyValue:
    """The `fw_workers` bucket, created if missing."""
    try:
        return await js.key_value(WORKERS_BUCKET)
    except (NotFoundError, BadRequestError):
        config = KeyValueConfig(
            bucket=WORKERS_BUCKET, ttl=lease_seconds, replicas=replicas, storage=StorageType.FILE
        )
        return await js.create_key_value(config)


def all_partitions(found: list[str]) -> list[str]:
    """The partitions to own: those edges registered, plus `_global`."""
    return sorted({*found, names.GLOBAL} - {names.CHECKPOINTER})
