"""The tamper-evident audit log core: canonical JSON, the SHA-256 hash chain, RFC 6962 Merkle trees and
Ed25519-signed checkpoints, and the verifiers that name the first bad record. Pure: no database, no clock.
"""

from fairwatch.audit.canonical import canonical_json
from fairwatch.audit.chain import (
    GENESIS_HASH,
    ChainVerifier,
    VerifyResult,
    chain,
    record_bytes,
    record_hash,
    verify_chain,
)
from fairwatch.audit.checkpoint import (
    CHECKPOINT_HEADER,
    Checkpoint,
    checkpoint_message,
    sign_checkpoint,
    verify_against_checkpoint,
    verify_checkpoint,
)
from fairwatch.audit.history import LogReport, verify_log
from fairwatch.audit.keys import (
    key_id,
    load_key,
    load_or_create_key,
    public_key_b64,
    public_key_from_b64,
    public_key_raw,
)
from fairwatch.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MerkleTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    merkle_root,
    node_hash,
    record_leaf,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
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
