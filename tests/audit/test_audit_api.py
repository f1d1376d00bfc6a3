"""The public surface of fairwatch.audit is pinned: changing it is a deliberate act."""

from __future__ import annotations

import fairwatch.audit as audit

PUBLIC = [
    "CHECKPOINT_HEADER",
    "EMPTY_ROOT",
    "GENESIS_HASH",
    "ChainVerifier",
    "Checkpoint",
    "CompactRange",
    "LogReport",
    "MerkleTree",
    "VerifyResult",
    "canonical_json",
    "chain",
    "checkpoint_message",
    "consistency_proof",
    "inclusion_proof",
    "key_id",
    "leaf_hash",
    "load_key",
    "load_or_create_key",
    "merkle_root",
    "node_hash",
    "public_key_b64",
    "public_key_from_b64",
    "public_key_raw",
    "record_bytes",
    "record_hash",
    "record_leaf",
    "sign_checkpoint",
    "verify_against_checkpoint",
    "verify_chain",
    "verify_checkpoint",
    "verify_consistency",
    "verify_inclusion",
    "verify_log",
]


def test_all_is_pinned() -> None:
    assert audit.__all__ == PUBLIC


def test_every_public_callable_has_a_docstring() -> None:
    missing = [name for name in PUBLIC if callable(getattr(audit, name)) and not getattr(audit, name).__doc__]
    assert missing == []


def test_constants() -> None:
    assert (audit.GENESIS_HASH, audit.CHECKPOINT_HEADER) == ("0" * 64, "fairwatch-checkpoint/v1")
