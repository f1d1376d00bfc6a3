"""The worked example in docs/audit.md is what the code produces."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fairwatch.audit import (
    chain,
    key_id,
    merkle_root,
    public_key_b64,
    record_bytes,
    record_leaf,
    sign_checkpoint,
)
from fairwatch.model import AuditEntry

DOC = (Path(__file__).parents[2] / "docs" / "audit.md").read_text(encoding="utf-8")
EXAMPLE_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def test_worked_example_values_appear_in_the_doc() -> None:
    r1 = chain(
        None, AuditEntry(1780000000.5, "op-1", "alarm-acknowledged", "alarm/7", {"note": "gate 3", "n": 2})
    )
    r2 = chain(r1, AuditEntry(1780000060.0, "op-2", "alarm-resolved", "alarm/7", {"disposition": "handled"}))
    root = merkle_root([record_leaf(r1), record_leaf(r2)])
    cp = sign_checkpoint(EXAMPLE_KEY, 2, root, 1780000100.0)
    values = [
        record_bytes(1, r1.time, r1.actor, r1.action, r1.object, r1.details).decode(),
        record_bytes(2, r2.time, r2.actor, r2.action, r2.object, r2.details).decode(),
        r1.hash,
        r2.hash,
        root.hex(),
        cp.signature,
        public_key_b64(EXAMPLE_KEY),
        key_id(EXAMPLE_KEY),
    ]
    assert [v for v in values if v not in DOC] == []
