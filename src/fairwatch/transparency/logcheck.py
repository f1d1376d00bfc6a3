"""`fairwatch audit verify`: the stored audit log against the whole stored checkpoint history (RS-8).

The pure work is `audit.verify_log`; this adds what only the store has: the tree state kept with each
checkpoint (which the next checkpoint extends) must reproduce its signed root.
"""

from __future__ import annotations

from dataclasses import replace

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fairwatch.audit import CompactRange, LogReport, load_key, public_key_from_b64, verify_chain, verify_log
from fairwatch.audit.history import label
from fairwatch.audit.roots import ChainsReport, verify_chains
from fairwatch.errors import ConfigError
from fairwatch.settings import Settings
from fairwatch.store import SqlStore, Store, StoredCheckpoint
from fairwatch.transparency.service import key_path


def verification_key(settings: Settings, public_key_b64: str | None) -> tuple[Ed25519PublicKey | None, str]:
    """The key to check signatures with and where it came from: the given public key, else the deployment key
    file (never created here); (None, why) when there is none. A malformed key is a ConfigError."""
    if public_key_b64 is not None:
        try:
            return public_key_from_b64(public_key_b64), "--public-key"
        except ValueError as exc:
            raise ConfigError([f"--public-key: {exc}"]) from None
    path = key_path(settings)
    if not path.exists():
        return None, f"{path} does not exist; give --public-key"
    return load_key(path).public_key(), str(path)


def check_store(store: Store, public_key: Ed25519PublicKey | None, key_source: str) -> LogReport:
    """Verify the chain and every checkpoint; without a key, a log that has checkpoints cannot pass."""
    stored = store.list_checkpoints()
    if public_key is None:
        result = verify_chain(store.iter_audit())
        problems = [] if result.ok else [str(result.problem)]
        if stored:
            problems.append(
                f"{len(stored)} signed checkpoints cannot be checked: no deployment key ({key_source})"
            )
        return LogReport(result.checked, 0, tuple(problems))
    report = verify_log(store.iter_audit(), [s.checkpoint for s in stored], public_key)
    state = [p for n, s in enumerate(stored, 1) if (p := _tree_state_problem(n, s))]
    return replace(report, problems=report.problems + tuple(state)) if state else report


def _tree_state_problem(number: int, stored: StoredCheckpoint) -> str | None:
    cp = stored.checkpoint
    try:
        root = CompactRange.resume(cp.size, stored.compact).root().hex()
    except ValueError:
        root = None
    if root == cp.root:
        return None
    return f"{label(number, cp)}: the stored tree state does not reproduce its signed root (altered)"


def has_chains(store: SqlStore) -> bool:
    """True when the log is a cluster's: chains other than the single process's "", or signed roots."""
    return any(h.chain != "" for h in store.audit_chain_heads()) or store.latest_root() is not None


def check_chains(store: SqlStore, public_key: Ed25519PublicKey | None, key_source: str) -> ChainsReport:
    """Verify every audit chain from seq 1 and every signed root against the chains' records and the key."""
    heads = store.audit_chain_heads()
    chains = ((h.chain, store.iter_audit(1, chain=h.chain)) for h in heads)
    return verify_chains(chains, store.list_roots(), public_key, key_source)
