"""The cluster's checkpointer: whoever holds the `_checkpoint` lease signs the Merkle root over the audit chains' heads.

Every worker may run one; the lease in the fw_leases bucket (created when free, renewed with the last revision,
gone when not renewed within the bucket's TTL) makes exactly one of them sign at a time. The lease is renewed
again just before a root is stored, so a holder that stalled past its lease stores nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from nats.errors import Error as NatsError
from nats.js import JetStreamContext
from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from fairwatch.audit import load_key
from fairwatch.audit.roots import SignedRoot
from fairwatch.clock import Clock, SystemClock
from fairwatch.cluster import names
from fairwatch.errors import ConfigError
from fairwatch.settings import Settings
from fairwatch.store import SqlStore
from fairwatch.transparency import chainroots

log = logging.getLogger(__name__)


class Checkpointer:
    """Holds (or waits for) the `_checkpoint` lease and, while holding it, signs a root when one is due."""

    def __init__(
        self,
        js: JetStreamContext,
        store: SqlStore,
        key: Ed25519PrivateKey,
        owner: str,
        *,
        lease_seconds: float = 5.0,
        every: int = chainroots.ROOT_EVERY,
        seconds: float = chainroots.ROOT_SECONDS,
        clock: Clock | None = None,
    ) -> None:
        self.js = js
        self.store = store
        self.key = key
        self.owner = owner
        self.lease_seconds = lease_seconds
        self.every = every
        self.seconds = seconds
        self.clock = clock or SystemClock()
        self.revision: int | None = None  # the lease's revision while held
        self.problem: str | None = None  # why the chains could not be signed, last time it was tried
        self.signed = 0
        self._kv: KeyValue | None = None
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def for_settings(cls, js: JetStreamContext, settings: Settings, owner: str) -> Checkpointer:
        """A checkpointer on the cluster's PostgreSQL with the deployment key (`--key-file`), as a worker runs one:
        `checkpointer.start()` after connecting, `await checkpointer.stop()` before closing."""
        if settings.database_url is None or settings.key_file is None:
            raise ConfigError(["the checkpointer needs database_url and key_file"])
        store = SqlStore(settings.database_url, chain=names.GLOBAL)
        key = load_key(settings.key_file)
        return cls(js, store, key, owner, lease_seconds=settings.lease_seconds)

    @property
    def holding(self) -> bool:
        return self.revision is not None

    async def _bucket(self) -> KeyValue:
        if self._kv is None:
            self._kv = await self.js.key_value(names.LEASES_BUCKET)
        return self._kv

    async def hold(self) -> bool:
        """Take the lease when it is free, renew it when it is ours; False when another process holds it."""
        kv = await self._bucket()
        value = self.owner.encode()
        try:
            if self.revision is None:
                self.revision = await kv.create(names.CHECKPOINTER, value)
                log.info("checkpointer %s holds the lease (revision %d)", self.owner, self.revision)
            else:
                self.revision = await kv.update(names.CHECKPOINTER, value, last=self.revision)
        except KeyWrongLastSequenceError:
            if self.revision is not None:
                log.warning("checkpointer %s lost the lease", self.owner)
            self.revision = None
        return self.revision is not None

    async def step(self, force: bool = False) -> SignedRoot | None:
        """One round: hold the lease; if held and a root is due (or anything is new, with `force`), sign and
        store it. Returns the root stored, if any."""
        if not await self.hold():
            return None
        now = self.clock.now()
        heads = await asyncio.to_thread(self.store.audit_chain_heads)
        last = await asyncio.to_thread(self.store.latest_root)
        seconds = 0.0 if force else self.seconds
        if not chainroots.root_due(heads, last, now, self.every, seconds, announced_in=self.store.chain):
            return None
        outcome = await asyncio.to_thread(chainroots.prepare_root, self.store, self.key, now, heads)
        self.problem = outcome.problem
        if outcome.problem is not None:
            log.error("audit chains not signed: %s", outcome.problem)
            return None
        signed = outcome.signed
        if signed is None or not await self.hold():  # lost the lease while preparing: store nothing
            return None
        await asyncio.to_thread(self._store_root, signed)
        self.signed += 1
        return signed

    def _store_root(self, signed: SignedRoot) -> None:
        with self.store.transaction() as txn:
            chainroots.record(txn, signed, self.clock.now())

    def start(self) -> None:
        """Run rounds every third of the lease until `stop()`."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="fairwatch-checkpointer")

    async def _run(self) -> None:
        while True:
            try:
                await self.step()
            except (NatsError, OSError, TimeoutError) as exc:
                log.warning("checkpointer %s: %s: %s", self.owner, type(exc).__name__, exc)
            except Exception:
                log.exception("checkpointer %s failed", self.owner)
            await asyncio.sleep(self.lease_seconds / 3)

    async def stop(self) -> None:
        """Stop the rounds and give the lease up, so another process takes it at once."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.revision is not None:
            with contextlib.suppress(NatsError, OSError, TimeoutError):
                kv = await self._bucket()
                await kv.delete(names.CHECKPOINTER, last=self.revision)
            self.revision = None
