"""The running transparency service: checks at start, checkpoints and purges on a timer, export and proofs.

It sits below the API and the pipeline in the layers, so it sees them only through the `Host` protocol
(which `api.Context` satisfies); every write goes through the host's single writer.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fairwatch.alarms import AlarmService
from fairwatch.audit import Checkpoint, key_id, load_or_create_key, public_key_b64
from fairwatch.audit.roots import SignedRoot
from fairwatch.errors import InvalidInput, NotFound, Problem
from fairwatch.hosting import HostBase
from fairwatch.model import AuditEntry
from fairwatch.periodic import Periodic
from fairwatch.policy import HAZARD_CLASS_ORDER, POLICY_VERSION, lexicon_sha256
from fairwatch.rules import Engine, Rule
from fairwatch.schemas import Catalogue
from fairwatch.settings import Settings
from fairwatch.site import Site
from fairwatch.store import StateTxn, Txn
from fairwatch.transparency import checkpoints, definitions, export, retention
from fairwatch.transparency.compliance import Compliance, decide, integrity_check, policy_check
from fairwatch.transparency.proofs import Proven, Range, consistency_ranges, inclusion_ranges, prove

log = logging.getLogger(__name__)
T = TypeVar("T")
PROOF_CACHE = 128


class Writer(Protocol):
    """What the service needs of the pipeline."""

    @property
    def alarms(self) -> AlarmService: ...
    @property
    def engine(self) -> Engine: ...
    async def call(self, fn: Callable[[Txn, float], T]) -> T: ...


class Host(HostBase, Protocol):
    """What the service needs of the app's context (`api.Context` has all of it)."""

    @property
    def pipeline(self) -> Writer: ...


def key_path(settings: Settings) -> Path:
    """Where the deployment's signing key lives: `--key-file` (FAIRWATCH_KEY_FILE), else in the data directory."""
    return settings.key_file if settings.key_file is not None else settings.data / "keys" / "deployment.key"


class Transparency:
    """Owns the deployment key, the compliance verdict, the type history and the checkpoint timer."""

    def __init__(
        self,
        host: Host,
        current_types: Iterable[Mapping[str, Any]],
        rules: Sequence[Rule],
        site: Site | None = None,
        schemas: Catalogue | None = None,
    ) -> None:
        self.host = host
        self.site = site
        self.schemas = schemas
        self.current = {str(t["id"]): dict(t) for t in current_types}
        self.rules = tuple(rules)
        self.site_types = frozenset(i for i, t in self.current.items() if t.get("origin") != "builtin")
        self.key: Ed25519PrivateKey | None = None
        # False in a cluster's `_global` app: there one signed root covers every chain (cluster/checkpointer.py),
        # so no single-chain checkpoint is signed here (it would name one chain's records as "the log")
        self.checkpoints = True
        self.compliance = Compliance(0.0)
        self.types: dict[str, dict[str, Any]] = {}
        self.latest: Checkpoint | None = None
        self._head: export.Head | None = None
        self._last_purge: float | None = None
        self._timer = Periodic("transparency", host.settings.tick_seconds, self._jobs)
        self.configuration: definitions.Hashes | None = None
        self._engine_seen: Engine | None = None
        self._configuring = asyncio.Lock()
        self._proofs: OrderedDict[tuple[Any, ...], Proven] = OrderedDict()
        self._proving = asyncio.Semaphore(1)
        self._signing = asyncio.Lock()
        self._linking = asyncio.Lock()

    # -- lifecycle -----------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Load or create the key, run the checks, record the types and the configuration in force, sign a first
        checkpoint, start the timer."""
        store = self.host.store
        self.key = load_or_create_key(key_path(self.host.settings))
        stored = store.latest_checkpoint()
        self.latest = stored.checkpoint if stored is not None else None
        integrity = integrity_check(store, self.key.public_key())
        policy = policy_check(self.current.values(), self.rules)
        await self._apply(decide(self.host.clock.now(), policy, integrity, self.site_types))
        await self._record_types()
        self.configuration = definitions.last_recorded(store.history(definitions.OBJECT))
        self._head = export.Head.loads(store.get_kv(export.HEAD_KEY))
        self._last_purge = retention.last_purge(store)
        await self.sync_configuration()
        await self.maybe_checkpoint(force=True)
        self._timer.start()

    async def stop(self) -> None:
        """Stop the timer."""
        await self._timer.stop()

    async def _jobs(self) -> None:
        # the tick setting paces timers everywhere; both checks are one indexed read when nothing is due
        for job in (self.sync_configuration, self.maybe_checkpoint, self.maybe_purge):
            try:
                await job()
            except Exception:
                log.exception("transparency job %s failed", job.__name__)

    async def _record_types(self) -> None:
        """Add to the audit log whatever changed in the taxonomy since it was last recorded."""
        store = self.host.store
        history = export.fold_history(store.history(export.TAXONOMY_OBJECT))
        change = export.history_change(history, self.current)
        if change is not None:
            details = {"policy_version": POLICY_VERSION, **change}
            entry = (export.RECORDED, export.TAXONOMY_OBJECT, details)
            await self.host.pipeline.call(
                lambda txn, now: txn.append_audit(AuditEntry(now, "system", *entry))
            )
            history = export.fold_history(store.history(export.TAXONOMY_OBJECT))
        self.types = history

    def _schemas(self, rules: Sequence[Rule]) -> dict[str, Any] | None:
        """The declared schema of each event type the rules listen to (RS-10, RS-15); the engine's derived
        readings (`@occupancy`, `@density`) have none."""
        if self.schemas is None:
            return None
        used = dict.fromkeys(t for rule in rules for t in rule.event_types())
        derived = {"fields": "derived by the engine"}
        return {t: self.schemas[t].as_dict() if t in self.schemas else {"type": t, **derived} for t in used}

    async def sync_configuration(self) -> bool:
        """When the writer runs another engine (rules loaded, phase switched): record the rules, zones and event
        schemas in force if they differ from the last record, and sign a checkpoint over it at once (RS-15).
        True when the engine had changed."""
        async with self._configuring:
            engine = self.host.pipeline.engine
            if engine is self._engine_seen:
                return False
            hashes = definitions.in_force(
                engine.ruleset.rules, self.site, self._schemas(engine.ruleset.rules)
            )
            if hashes != self.configuration:
                details: dict[str, Any] = {"policy_version": POLICY_VERSION, **hashes}
                await self.host.pipeline.call(
                    lambda txn, now: txn.append_audit(
                        AuditEntry(now, "system", definitions.RECORDED, definitions.OBJECT, details)
                    )
                )
                self.configuration = hashes
            self._engine_seen = engine
        if self.key is not None:  # not before start: start signs its own first checkpoint
            await self.maybe_checkpoint(force=True)
        return True

    async def _apply(self, compliance: Compliance) -> None:
        """Make a verdict current: block its types in the alarm service and audit it."""
        self.compliance = compliance
        self.host.pipeline.alarms.block_types(compliance.blocked)
        details = compliance.as_dict()
        if not compliance.ok:
            log.error(
                "non-compliant: %s", "; ".join(compliance.policy_problems + compliance.integrity_problems)
            )
        await self.host.pipeline.call(
            lambda txn, now: txn.append_audit(
                AuditEntry(now, "system", "compliance-checked", "compliance", details)
            )
        )

    # -- timers ----------------------------------------------------------------------------------------------
    async def maybe_checkpoint(self, force: bool = False) -> Checkpoint | None:
        """Sign a checkpoint when one is due, or when anything is new with `force`; never over a log found broken."""
        async with self._signing:
            key, store = self.key, self.host.store
            if key is None or not self.checkpoints or self.compliance.integrity_problems:
                return None
            head = store.audit_head()
            at = self.host.clock.now()
            if not checkpoints.checkpoint_due(head.seq if head else 0, self.latest, at, force):
                return None
            outcome = checkpoints.prepare(store, key, at)
            if outcome.problem is not None:
                problem = f"audit log: {outcome.problem}"
                await self._apply(self.compliance.with_integrity_problem(problem, self.site_types))
                return None
            stored = outcome.stored
            if stored is None:
                return None
            self.latest = await self.host.pipeline.call(lambda txn, now: checkpoints.record(txn, stored, now))
            return self.latest

    async def maybe_purge(self) -> retention.PurgeReport | None:
        """Run the daily retention purge when due; returns what it deleted, or None."""
        if not retention.purge_due(self._last_purge, self.host.clock.now()):
            return None
        settings = self.host.settings
        report = await self.host.pipeline.call(
            lambda txn, now: retention.purge(txn, retention.Cutoffs.at(settings, now))
        )
        self._last_purge = report.cutoffs.now
        log.info(retention.describe(report))
        return report

    # -- the export ------------------------------------------------------------------------------------------
    def body(self) -> dict[str, Any]:
        """The current export without its link to the previous one."""
        key = self.key
        deployment = {"key_id": key_id(key), "public_key": public_key_b64(key)} if key else {}
        policy = {
            "version": POLICY_VERSION,
            "lexicon_sha256": lexicon_sha256(),
            "hazard_classes": HAZARD_CLASS_ORDER,
        }
        configuration = definitions.published(self.configuration or {})
        doc = export.body(
            self.types,
            policy,
            deployment,
            self.latest,
            self.compliance.as_dict(),
            configuration,
            self._root(),
        )
        return export.sign(doc, key) if key is not None else doc

    def _root(self) -> SignedRoot | None:
        """The latest signed root over the audit chains' heads, where the store keeps them (a cluster's)."""
        latest_root = getattr(self.host.store, "latest_root", None)
        return latest_root() if latest_root is not None else None

    async def document(self) -> bytes:
        """The export's bytes; when its content changed, the new link is stored first. A configuration change
        not yet recorded is recorded (and checkpointed) before."""
        await self.sync_configuration()
        async with self._linking:
            data, head = export.link(self.body(), self._head)
            if head != self._head:
                await self.host.pipeline.call(lambda txn, _now: self._store_link(txn, head))
                self._head = head
        return data

    @staticmethod
    def _store_link(txn: StateTxn, head: export.Head) -> None:
        txn.set_kv(export.HEAD_KEY, head.dumps())
        txn.set_kv(export.LINK_PREFIX + head.sha256, head.previous or "")

    # -- proofs ----------------------------------------------------------------------------------------------
    def log_size(self) -> int:
        """How many audit records there are now."""
        head = self.host.store.audit_head()
        return head.seq if head else 0

    async def heads(self) -> dict[str, Any]:
        """Every audit chain's live size and head hash (unsigned), where the store keeps chains."""
        reads = getattr(self.host.store, "audit_chain_heads", None)
        found = await asyncio.to_thread(reads) if reads is not None else []
        return {"heads": [h.as_dict() for h in found]}

    async def head(self) -> dict[str, Any]:
        """The live log's size and (unsigned) Merkle root, computed from the records themselves."""
        size = self.log_size()
        proven = await self._prove(size, [], [size])
        return {"size": size, "root": proven.prefixes[size].hex()}

    async def inclusion(self, seq: int, size: int | None) -> dict[str, Any]:
        """RFC 6962 inclusion proof of record `seq` in the tree of the first `size` records."""
        if size is None:
            size = self.latest.size if self.latest is not None else self.log_size()
        self._within("size", size)
        if not 1 <= seq <= size:
            raise InvalidInput([Problem("seq", seq, f"must be between 1 and size ({size})")], "invalid query")
        proven = await self._prove(size, inclusion_ranges(seq - 1, size), [size])
        proof = [h.hex() for h in proven.ranges]
        return {"seq": seq, "size": size, "root": proven.prefixes[size].hex(), "proof": proof}

    async def consistency(self, first: int, second: int | None) -> dict[str, Any]:
        """RFC 6962 consistency proof from the tree of `first` records to that of `second` (default: all)."""
        size = self.log_size() if second is None else second
        self._within("to", size)
        if first > size:
            raise InvalidInput([Problem("from", first, f"must not exceed to ({size})")], "invalid query")
        proven = await self._prove(size, consistency_ranges(first, size), [first, size])
        return {
            "from": first,
            "to": size,
            "root_from": proven.prefixes[first].hex(),
            "root_to": proven.prefixes[size].hex(),
            "proof": [h.hex() for h in proven.ranges],
        }

    def _within(self, name: str, size: int) -> None:
        have = self.log_size()
        if size > have:
            raise NotFound(f"{name}={size} is beyond the audit log, which has {have} records")

    async def _prove(self, size: int, ranges: list[Range], prefixes: list[int]) -> Proven:
        """Proofs read the first `size` records once, in a worker thread, one at a time; results are cached."""
        key = (size, tuple(ranges), tuple(sorted(set(prefixes))))
        async with self._proving:
            cached = self._proofs.get(key)
            if cached is None:
                leaves = self.host.store.audit_hashes(1, size)
                cached = await asyncio.to_thread(prove, leaves, size, ranges, prefixes)
                self._proofs[key] = cached
                if len(self._proofs) > PROOF_CACHE:
                    self._proofs.popitem(last=False)
            self._proofs.move_to_end(key)
        return cached
