"""Signed roots over the heads of every audit chain (a cluster: one chain per partition plus `_global`).

`prepare_root` reads the chains' heads, verifies what each chain gained since the last signed root (a broken chain
is never signed), and signs the RFC 6962 root over the heads (`audit.roots`); the caller stores it. Reads only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fairwatch.audit import GENESIS_HASH, ChainVerifier
from fairwatch.audit.roots import (
    ROOT_ANNOUNCEMENT,
    ChainHead,
    SignedRoot,
    chain_label,
    root_problem,
    sign_root,
)
from fairwatch.model import AuditEntry, AuditRecord

ROOT_EVERY = 1000  # new records across all chains
ROOT_SECONDS = 30.0  # at most this long between a change and its signed root


class RootTxn(Protocol):
    """What storing a root writes (SqlTxn has it)."""

    def insert_root(self, signed: SignedRoot) -> None: ...

    def append_audit(self, entry: AuditEntry) -> AuditRecord: ...


class ChainReads(Protocol):
    """What signing a root reads (SqlStore has it)."""

    def audit_chain_heads(self) -> list[ChainHead]: ...

    def latest_root(self) -> SignedRoot | None: ...

    def iter_audit(self, start_seq: int = 1, chain: str | None = None) -> Iterator[AuditRecord]: ...


@dataclass(frozen=True, slots=True)
class RootOutcome:
    """A newly signed root to store, nothing to sign (both None), or why the chains cannot be signed."""

    signed: SignedRoot | None = None
    problem: str | None = None


def root_due(
    heads: list[ChainHead],
    last: SignedRoot | None,
    now: float,
    every: int = ROOT_EVERY,
    seconds: float = ROOT_SECONDS,
    announced_in: str | None = None,
) -> bool:
    """Due when any chain grew since the last root and either `every` records were added or `seconds` passed.

    The `root-signed` record that follows a root in chain `announced_in` does not count as new, or an idle log
    would be signed again every `seconds` for ever just to cover the previous announcement."""
    if not heads:
        return False
    if last is None:
        return True
    before = {h.chain: h.size for h in last.heads}
    grown = sum(h.size - before.get(h.chain, 0) for h in heads)
    if announced_in is not None and any(h.chain == announced_in for h in heads):
        grown -= 1
    return grown > 0 and (grown >= every or now - last.time >= seconds)


def record(txn: RootTxn, signed: SignedRoot, now: float) -> None:
    """Store a root made by `prepare_root` and announce it in the audit chain of `txn` (in one transaction)."""
    txn.insert_root(signed)
    details = {"root": signed.root, "chains": len(signed.heads), "time": signed.time}
    txn.append_audit(AuditEntry(now, "system", ROOT_ANNOUNCEMENT, "audit-root", details))


def prepare_root(
    store: ChainReads, key: Ed25519PrivateKey, now: float, heads: list[ChainHead] | None = None
) -> RootOutcome:
    """Verify each chain from the last root's head to its current head, then sign the root over the heads."""
    heads = store.audit_chain_heads() if heads is None else heads
    if not heads:
        return RootOutcome()
    last = store.latest_root()
    if last is not None:
        problem = root_problem(key.public_key(), last)
        if problem is not None:
            return RootOutcome(problem=f"the latest signed root {problem}")
        if last.heads == tuple(heads):
            return RootOutcome()
    now_names = {h.chain for h in heads}
    for old in last.heads if last is not None else ():
        if old.chain not in now_names:
            return RootOutcome(
                problem=f"{chain_label(old.chain)}: had {old.size} records at the last root, now none"
            )
    for head in heads:
        problem = _chain_problem(store, head, last.head(head.chain) if last is not None else None)
        if problem is not None:
            return RootOutcome(problem=problem)
    return RootOutcome(sign_root(key, heads, now))


def _chain_problem(store: ChainReads, head: ChainHead, old: ChainHead | None) -> str | None:
    name = chain_label(head.chain)
    if old is not None and head.size < old.size:
        return f"{name}: has {head.size} records but the last root signed {old.size} (chain truncated)"
    verifier = ChainVerifier(old.hash, old.size + 1) if old is not None else ChainVerifier(GENESIS_HASH, 1)
    for record in store.iter_audit(verifier.expected_seq, chain=head.chain):
        if record.seq > head.size:
            break
        if not verifier.feed(record):
            return f"{name}: {verifier.problem}"
    if verifier.expected_seq != head.size + 1 or verifier.last_hash != head.hash:
        return f"{name}: the records do not reach its head at seq {head.size} (chain changed while signing)"
    return None
