"""Signed checkpoints: an Ed25519 signature over the log's size and Merkle root.

A copy kept outside the database reveals truncation or a rewrite of the records it covers.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from fairwatch.audit.chain import ChainVerifier, VerifyResult
from fairwatch.audit.keys import key_id
from fairwatch.audit.merkle import CompactRange, record_leaf
from fairwatch.model import AuditRecord

CHECKPOINT_HEADER = "fairwatch-checkpoint/v1"
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The log had `size` records with Merkle root `root` (hex) at `time`; signed (base64) by `key_id`."""

    size: int
    root: str
    time: float
    key_id: str
    signature: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, as published in the taxonomy export."""
        return {
            "size": self.size,
            "root": self.root,
            "time": self.time,
            "key_id": self.key_id,
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checkpoint:
        """Inverse of `as_dict`; raises KeyError/TypeError/ValueError on a malformed dict."""
        size, root, time = int(data["size"]), str(data["root"]), float(data["time"])
        return cls(size, root, time, str(data["key_id"]), str(data["signature"]))


def checkpoint_message(size: int, root: str, time: float) -> bytes:
    """The bytes signed: header, size, root hex, time (as canonical JSON writes it), each plus a newline."""
    time_text = orjson.dumps(float(time)).decode("ascii")
    return f"{CHECKPOINT_HEADER}\n{size}\n{root}\n{time_text}\n".encode("ascii")


def sign_checkpoint(private_key: Ed25519PrivateKey, size: int, root: bytes | str, time: float) -> Checkpoint:
    """Sign the log's size and Merkle root (raw bytes or lowercase hex) at `time`."""
    root_hex = root.hex() if isinstance(root, bytes) else root
    if size < 0 or not _HEX64.fullmatch(root_hex) or not math.isfinite(time):
        raise ValueError(
            f"cannot sign size {size}, root {root_hex!r}, time {time!r}: "
            "need size >= 0, 64 lowercase hex digits and a finite time"
        )
    signature = private_key.sign(checkpoint_message(size, root_hex, time))
    sig_b64 = base64.b64encode(signature).decode("ascii")
    return Checkpoint(size, root_hex, float(time), key_id(private_key), sig_b64)


def verify_checkpoint(public_key: Ed25519PublicKey, cp: Checkpoint) -> bool:
    """True when `cp` is well formed, names this key, and its signature verifies."""
    if cp.key_id != key_id(public_key) or cp.size < 0 or not _HEX64.fullmatch(cp.root):
        return False
    try:
        signature = base64.b64decode(cp.signature, validate=True)
        public_key.verify(signature, checkpoint_message(cp.size, cp.root, cp.time))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def verify_against_checkpoint(
    records: Iterable[AuditRecord], cp: Checkpoint, public_key: Ed25519PublicKey
) -> VerifyResult:
    """Verify the whole chain from seq 1 and that its first `cp.size` records have the checkpoint's root."""
    if not verify_checkpoint(public_key, cp):
        problem = (
            f"checkpoint of size {cp.size} does not verify with key {key_id(public_key)} (forged or altered)"
        )
        return VerifyResult(False, 0, None, problem)
    verifier, compact = ChainVerifier(), CompactRange()
    for record in records:
        if not verifier.feed(record):
            return verifier.result()
        if compact.size < cp.size:
            compact.append(record_leaf(record))
            if compact.size == cp.size and compact.root().hex() != cp.root:
                return _rewritten(verifier, cp)
    if compact.size < cp.size:
        return _truncated(verifier, cp)
    if cp.size == 0 and compact.root().hex() != cp.root:
        return _rewritten(verifier, cp)
    return verifier.result()


def _truncated(verifier: ChainVerifier, cp: Checkpoint) -> VerifyResult:
    have = verifier.checked
    missing = f"seq {cp.size}" if have + 1 == cp.size else f"seq {have + 1}..{cp.size}"
    problem = (
        f"seq {have + 1}: log ends after {have} records but the checkpoint covers {cp.size} "
        f"(log truncated: {missing} missing)"
    )
    return VerifyResult(False, have, have + 1, problem, verifier.last_hash)


def _rewritten(verifier: ChainVerifier, cp: Checkpoint) -> VerifyResult:
    problem = (
        f"the Merkle root of seq 1..{cp.size} does not match the signed checkpoint "
        "(log rewritten since the checkpoint)"
    )
    return VerifyResult(False, verifier.checked, None, problem, verifier.last_hash)
