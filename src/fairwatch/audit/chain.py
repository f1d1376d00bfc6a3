"""The hash chain: each record's hash covers the previous hash and the record's canonical JSON."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fairwatch.audit.canonical import canonical_json
from fairwatch.errors import InvalidInput
from fairwatch.model import AuditEntry, AuditRecord

GENESIS_HASH = "0" * 64


def record_bytes(
    seq: int, time: float, actor: str, action: str, object: str, details: dict[str, Any]
) -> bytes:
    """The canonical JSON of a record's content (everything but `prev_hash` and `hash`)."""
    # time is forced to float because a REAL column hands 1700000000 back as 1700000000.0,
    # and the two serialise differently; seq is forced to int for the same reason.
    content = {
        "seq": int(seq),
        "time": float(time),
        "actor": actor,
        "action": action,
        "object": object,
        "details": details,
    }
    return canonical_json(content)


def record_hash(
    prev_hash: str, seq: int, time: float, actor: str, action: str, object: str, details: dict[str, Any]
) -> str:
    """SHA-256 over the 32 raw bytes of `prev_hash` followed by the record's canonical JSON, as hex."""
    digest = hashlib.sha256(_hash_bytes(prev_hash))
    digest.update(record_bytes(seq, time, actor, action, object, details))
    return digest.hexdigest()


def _hash_bytes(hex_hash: str) -> bytes:
    # the round trip admits only 64 lowercase hex digits: the chain compares hashes as strings,
    # so "AB.." and "ab.." must not both pass
    try:
        raw = bytes.fromhex(hex_hash)
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != 32 or raw.hex() != hex_hash:
        raise ValueError(f"not a SHA-256 hex digest: {hex_hash!r}")
    return raw


def chain(prev: AuditRecord | None, entry: AuditEntry, seq: int | None = None) -> AuditRecord:
    """Chain `entry` after `prev` (or after the genesis hash when `prev` is None) into a record."""
    expected = prev.seq + 1 if prev is not None else 1
    if seq is None:
        seq = expected
    elif prev is not None and seq != expected:
        raise ValueError(f"seq {seq} cannot follow seq {prev.seq}; expected {expected}")
    prev_hash = prev.hash if prev is not None else GENESIS_HASH
    time = float(entry.time)
    digest = record_hash(prev_hash, seq, time, entry.actor, entry.action, entry.object, entry.details)
    return AuditRecord(seq, time, entry.actor, entry.action, entry.object, entry.details, prev_hash, digest)


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of a verification: `checked` records verified good before the first bad one (if any).

    `last_hash` is the hash of the last good record, so a caller can verify the next page with
    `verify_chain(page, start_prev_hash=result.last_hash, start_seq=start_seq + result.checked)`.
    """

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    last_hash: str = GENESIS_HASH


class ChainVerifier:
    """Checks records one at a time, holding only the previous hash; stops at the first problem."""

    __slots__ = (
        "_last_raw",
        "checked",
        "expected_seq",
        "first_bad_seq",
        "last_hash",
        "problem",
        "start_is_genesis",
    )

    def __init__(self, start_prev_hash: str = GENESIS_HASH, start_seq: int = 1) -> None:
        self.last_hash = start_prev_hash
        self._last_raw: bytes | None = None  # raw form of last_hash once a record has been verified
        self.expected_seq = start_seq
        self.start_is_genesis = start_prev_hash == GENESIS_HASH and start_seq == 1
        self.checked = 0
        self.first_bad_seq: int | None = None
        self.problem: str | None = None

    def feed(self, record: AuditRecord) -> bool:
        """Check the next record; False (and `problem` set) when it does not extend the verified prefix."""
        if self.problem is not None:
            return False
        outcome = self._check(record)
        if isinstance(outcome, str):
            self.first_bad_seq = self.expected_seq
            self.problem = f"seq {self.expected_seq}: {outcome}"
            return False
        self.last_hash, self._last_raw = record.hash, outcome
        self.expected_seq += 1
        self.checked += 1
        return True

    def _check(self, record: AuditRecord) -> bytes | str:
        """The record's raw hash if it extends the chain, else what is wrong with it."""
        seq = self.expected_seq
        if record.seq != seq:
            return _seq_problem(seq, record.seq)
        if record.prev_hash != self.last_hash:
            return self._prev_problem(seq)
        try:
            prev_raw = self._last_raw if self._last_raw is not None else _hash_bytes(self.last_hash)
            content = record_bytes(
                seq, record.time, record.actor, record.action, record.object, record.details
            )
        except (ValueError, TypeError, InvalidInput) as exc:
            return f"record cannot be hashed ({exc}) (record edited)"
        raw = hashlib.sha256(prev_raw + content).digest()
        return raw if raw.hex() == record.hash else "hash mismatch (record edited)"

    def _prev_problem(self, seq: int) -> str:
        why = "record inserted, deleted or reordered"
        if self.checked == 0 and self.start_is_genesis:
            return f"prev_hash is not the genesis hash ({why})"
        return f"prev_hash does not match the hash of seq {seq - 1} ({why})"

    def result(self) -> VerifyResult:
        """The verdict so far."""
        ok = self.problem is None
        return VerifyResult(ok, self.checked, self.first_bad_seq, self.problem, self.last_hash)


def _seq_problem(expected: int, found: int) -> str:
    why = "record deleted or reordered" if found > expected else "record inserted or reordered"
    return f"expected seq {expected}, found {found} ({why})"


def verify_chain(
    records: Iterable[AuditRecord], start_prev_hash: str = GENESIS_HASH, start_seq: int = 1
) -> VerifyResult:
    """Verify records in order, streaming; names the first seq that does not extend the verified prefix."""
    verifier = ChainVerifier(start_prev_hash, start_seq)
    for record in records:
        if not verifier.feed(record):
            break
    return verifier.result()
