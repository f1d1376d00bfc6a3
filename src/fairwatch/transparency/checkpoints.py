"""Signed Merkle checkpoints of the audit log (RS-8), extended incrementally from the last one.

The tree state after each checkpoint (the CompactRange roots) is stored with it, so a new checkpoint hashes
only the records written since; the chain of those records is verified on the way, and a broken chain is
never signed.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fairwatch.audit import (
    GENESIS_HASH,
    ChainVerifier,
    Checkpoint,
    CompactRange,
    record_leaf,
    sign_checkpoint,
    verify_checkpoint,
)
from fairwatch.model import AuditEntry
from fairwatch.store import CheckpointTxn, StoredCheckpoint, TransparencyReads

CHECKPOINT_EVERY = 1000  # records
CHECKPOINT_SECONDS = 300.0


def checkpoint_due(head_seq: int, last: Checkpoint | None, now: float, force: bool = False) -> bool:
    """Due after CHECKPOINT_EVERY new records, or CHECKPOINT_SECONDS after the last checkpoint if any are new
    (or whenever any are new, with `force`, as at start).

    The `checkpoint-signed` record right after a checkpoint does not count as new, or an idle log would be
    checkpointed every five minutes for ever just to cover the previous announcement.
    """
    if last is None:
        return head_seq > 0
    pending = head_seq - (last.size + 1)
    if pending <= 0:
        return False
    return force or pending >= CHECKPOINT_EVERY or now - last.time >= CHECKPOINT_SECONDS


@dataclass(frozen=True, slots=True)
class Outcome:
    """A newly signed checkpoint to store, nothing new to sign (both None), or why the log cannot be signed."""

    stored: StoredCheckpoint | None = None
    problem: str | None = None


def prepare(store: TransparencyReads, key: Ed25519PrivateKey, now: float) -> Outcome:
    """Sign a checkpoint over every record so far, extending the stored tree state; verify the chain on the way.

    Reads only: on SQLite a read inside the writer's transaction would wait for that very transaction, so the
    checkpoint is made first and stored by `record`. Records appended meanwhile are simply left to the next one.
    """
    stored = store.latest_checkpoint()
    start = _resume(stored, key)
    if isinstance(start, str):
        return Outcome(problem=start)
    compact, verifier = start
    before = compact.size
    for record in store.iter_audit(before + 1):
        if not verifier.feed(record):
            return Outcome(problem=verifier.problem)
        compact.append(record_leaf(record))
    if compact.size == before:
        return Outcome()
    cp = sign_checkpoint(key, compact.size, compact.root(), now)
    return Outcome(StoredCheckpoint(cp, verifier.last_hash, tuple(compact.hashes)))


def record(txn: CheckpointTxn, stored: StoredCheckpoint, now: float) -> Checkpoint:
    """Store a checkpoint made by `prepare` and announce it in the audit log."""
    cp = stored.checkpoint
    txn.insert_checkpoint(stored)
    details = {"size": cp.size, "root": cp.root}
    txn.append_audit(AuditEntry(now, "system", "checkpoint-signed", f"checkpoint/{cp.size}", details))
    return cp


def _resume(
    stored: StoredCheckpoint | None, key: Ed25519PrivateKey
) -> tuple[CompactRange, ChainVerifier] | str:
    """The tree and chain state at the last checkpoint, or why it cannot be trusted."""
    if stored is None:
        return CompactRange(), ChainVerifier(GENESIS_HASH, 1)
    cp = stored.checkpoint
    if not verify_checkpoint(key.public_key(), cp):
        return (
            f"stored checkpoint of size {cp.size} does not verify with the deployment key (forged or altered)"
        )
    try:
        compact = CompactRange.resume(cp.size, stored.compact)
    except ValueError as exc:
        return f"stored checkpoint of size {cp.size}: tree state unusable ({exc})"
    if compact.root().hex() != cp.root:
        return f"stored checkpoint of size {cp.size}: tree state does not match its signed root (altered)"
    return compact, ChainVerifier(stored.last_hash, cp.size + 1)
