"""Verify the whole audit log against every signed checkpoint, in one streaming pass.

The chain alone cannot show records cut off the end or a rewrite with every hash recomputed; the checkpoint
history can. Each checkpoint must verify with the deployment key, and its Merkle root must be the root of the
first `size` records. Because every root is recomputed from the same growing prefix of records, checkpoints
that all match are consistent with each other (each earlier tree is a prefix of each later one); a checkpoint
that no longer matches while a later one does is named as an inconsistent pair (the log was rewritten and
signed again). A `checkpoint-signed` record must announce a checkpoint that is still there.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fairwatch.audit.chain import ChainVerifier
from fairwatch.audit.checkpoint import Checkpoint, verify_checkpoint
from fairwatch.audit.keys import key_id
from fairwatch.audit.merkle import CompactRange, record_leaf
from fairwatch.model import AuditRecord

ANNOUNCEMENT = "checkpoint-signed"


@dataclass(frozen=True, slots=True)
class LogReport:
    """What `verify_log` found: how many records and checkpoints it checked, and every problem by name."""

    records: int
    checkpoints: int
    problems: tuple[str, ...]
    latest: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        """True when the chain and every checkpoint verified."""
        return not self.problems

    def summary(self) -> str:
        """One line for an intact log."""
        text = f"audit log OK: {self.records} records verified"
        if self.latest is None:
            return text
        n, cp = self.checkpoints, self.latest
        plural = "s" if n != 1 else ""
        return f"{text} against {n} signed checkpoint{plural} (latest #{n} covers {cp.size}, key {cp.key_id})"


def label(number: int, cp: Checkpoint) -> str:
    """`checkpoint #3 (2026-12-05T05:47:56Z)`: its place in the history (1 = oldest) and its time."""
    when = datetime.datetime.fromtimestamp(cp.time, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"checkpoint #{number} ({when})"


def verify_log(
    records: Iterable[AuditRecord], checkpoints: Sequence[Checkpoint], public_key: Ed25519PublicKey
) -> LogReport:
    """Verify the chain from seq 1 and every checkpoint (signature, size, root); streaming, O(log n) memory."""
    history = sorted(checkpoints, key=lambda cp: cp.size)
    problems = [p for n, cp in enumerate(history, 1) if (p := _signature_problem(n, cp, public_key))]
    walk = _Walk(history)
    for record in records:
        if not walk.feed(record):
            break
    problems += walk.problems()
    return LogReport(walk.chain.checked, len(history), tuple(problems), history[-1] if history else None)


def _signature_problem(number: int, cp: Checkpoint, public_key: Ed25519PublicKey) -> str | None:
    if verify_checkpoint(public_key, cp):
        return None
    return (
        f"{label(number, cp)} of size {cp.size} does not verify with the deployment key "
        f"{key_id(public_key)} (forged or altered)"
    )


class _Walk:
    """One pass over the records: the chain, the growing Merkle tree, and each checkpoint as its size is reached."""

    def __init__(self, history: list[Checkpoint]) -> None:
        self.history = history
        self.by_size = {cp.size: cp for cp in history}
        self.chain = ChainVerifier()
        self.compact = CompactRange()
        self.next = 0  # index into history of the next checkpoint to reach
        self.mismatched: list[int] = []  # history indexes whose root differs from the records
        self.matched: list[int] = []
        self.announcements: list[str] = []
        self._skip_empty()

    def _skip_empty(self) -> None:
        while self.next < len(self.history) and self.history[self.next].size == self.compact.size:
            self._reach(self.next)
            self.next += 1

    def feed(self, record: AuditRecord) -> bool:
        if not self.chain.feed(record):
            return False
        self.compact.append(record_leaf(record))
        self._skip_empty()
        if record.action == ANNOUNCEMENT:
            self._check_announcement(record)
        return True

    def _reach(self, index: int) -> None:
        (self.matched if self.compact.root().hex() == self.history[index].root else self.mismatched).append(
            index
        )

    def _check_announcement(self, record: AuditRecord) -> None:
        details = record.details
        size = details.get("size")
        cp = self.by_size.get(size) if isinstance(size, int) else None
        if cp is None:
            self.announcements.append(
                f"seq {record.seq} announces a checkpoint of size {size} that is no longer stored "
                "(checkpoint deleted)"
            )
        elif details.get("root") != cp.root:
            self.announcements.append(
                f"seq {record.seq} announces a checkpoint of size {size} with another root than the stored one "
                "(checkpoint replaced)"
            )

    def problems(self) -> list[str]:
        if self.chain.problem is not None:
            return [self.chain.problem, *self.announcements]
        found = [self._rewritten(i) for i in self.mismatched]
        if self.next < len(self.history):
            found.append(self._truncated())
        return found + self.announcements

    def _rewritten(self, index: int) -> str:
        cp = self.history[index]
        text = (
            f"records 1..{cp.size} do not match the root signed by {label(index + 1, cp)} "
            "(log rewritten since the checkpoint)"
        )
        later = [i for i in self.matched if i > index]
        if later:
            other = self.history[later[0]]
            text += (
                f"; {label(later[0] + 1, other)} of size {other.size} matches them, so the two checkpoints are "
                "inconsistent (log rewritten and signed again)"
            )
        return text

    def _truncated(self) -> str:
        latest = len(self.history)
        cp, have = self.history[-1], self.compact.size
        missing = f"seq {cp.size}" if have + 1 == cp.size else f"seq {have + 1}..{cp.size}"
        return (
            f"the log has {have} records but {label(latest, cp)} signed {cp.size} "
            f"(log truncated: {missing} missing)"
        )
