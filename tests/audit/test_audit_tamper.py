"""Tampering with a 100,000-record log: every kind is found, and the first bad seq is named exactly."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fairwatch.audit import (
    Checkpoint,
    CompactRange,
    VerifyResult,
    chain,
    record_leaf,
    sign_checkpoint,
    verify_against_checkpoint,
    verify_chain,
)
from fairwatch.model import AuditEntry, AuditRecord
from tests.audit.audit_samples import BIG, at, delete, edit, extend, forged_after, renumber, replace

Log = list[AuditRecord]
PREV_WHY = "(record inserted, deleted or reordered)"


def _edit_details_byte(log: Log) -> Log:
    # one character of a nested string: "gate ✓" -> "gate ✔"
    old = at(log, 99_871)
    details = {**old.details, "note": old.details["note"].replace("✓", "✔")}
    return edit(log, 99_871, details=details)


def _insert(log: Log, seq: int) -> Log:
    # a record that chains perfectly after seq-1, put in front of the original seq; nothing renumbered
    forged = forged_after(at(log, seq - 1)) if seq > 1 else chain(None, AuditEntry(0.0, "x", "y", "z"))
    return [*log[: seq - 1], forged, *log[seq - 1 :]]


def _insert_renumbered(log: Log, seq: int) -> Iterable[AuditRecord]:
    forged = forged_after(at(log, seq - 1))
    return itertools.chain(log[: seq - 1], [forged], renumber(log[seq - 1 :], seq + 1))


def _delete_renumbered(log: Log, seq: int) -> Iterable[AuditRecord]:
    return itertools.chain(log[: seq - 1], renumber(log[seq:], seq))


def _swap(log: Log, seq: int) -> Log:
    return [*log[: seq - 1], at(log, seq + 1), at(log, seq), *log[seq + 1 :]]


def _swap_contents(log: Log, seq: int) -> Log:
    # the pair's contents trade places but each keeps the seq of its slot, so seqs still count up
    a, b = at(log, seq), at(log, seq + 1)
    swapped = replace(log, seq, dataclasses.replace(b, seq=seq))
    return replace(swapped, seq + 1, dataclasses.replace(a, seq=seq + 1))


CHAIN_CASES: list[tuple[str, Callable[[Log], Iterable[AuditRecord]], int, str]] = [
    # (id, tamper, first bad seq, problem)
    ("details-one-char", _edit_details_byte, 99_871, "seq 99871: hash mismatch (record edited)"),
    ("actor", lambda log: edit(log, 2, actor="someone-else"), 2, "seq 2: hash mismatch (record edited)"),
    (
        "action",
        lambda log: edit(log, 4_000, action="rule-deleted"),
        4_000,
        "seq 4000: hash mismatch (record edited)",
    ),
    (
        "time",
        lambda log: edit(log, 3, time=at(log, 3).time + 1e-6),
        3,
        "seq 3: hash mismatch (record edited)",
    ),
    (
        "stored-hash",
        lambda log: edit(log, 500, hash="f" * 64),
        500,
        "seq 500: hash mismatch (record edited)",
    ),
    (
        "deleted-first",
        lambda log: delete(log, 1),
        1,
        "seq 1: expected seq 1, found 2 (record deleted or reordered)",
    ),
    (
        "deleted-middle",
        lambda log: delete(log, 50_000),
        50_000,
        "seq 50000: expected seq 50000, found 50001 (record deleted or reordered)",
    ),
    (
        "deleted-then-renumbered",
        lambda log: _delete_renumbered(log, 61_234),
        61_234,
        f"seq 61234: prev_hash does not match the hash of seq 61233 {PREV_WHY}",
    ),
    # a well-formed inserted record chains perfectly to its predecessor, so the first record that
    # fails is the displaced original right after it; "found" names the seq now held twice
    (
        "inserted-first",
        lambda log: _insert(log, 1),
        2,
        "seq 2: expected seq 2, found 1 (record inserted or reordered)",
    ),
    (
        "inserted-middle",
        lambda log: _insert(log, 7_777),
        7_778,
        "seq 7778: expected seq 7778, found 7777 (record inserted or reordered)",
    ),
    (
        "inserted-then-renumbered",
        lambda log: _insert_renumbered(log, 30_000),
        30_001,
        f"seq 30001: prev_hash does not match the hash of seq 30000 {PREV_WHY}",
    ),
    (
        "swapped-pair",
        lambda log: _swap(log, 8_888),
        8_888,
        "seq 8888: expected seq 8888, found 8889 (record deleted or reordered)",
    ),
    (
        "swapped-pair-contents",
        lambda log: _swap_contents(log, 888),
        888,
        f"seq 888: prev_hash does not match the hash of seq 887 {PREV_WHY}",
    ),
    (
        "swapped-last-pair",
        lambda log: _swap(log, BIG - 1),
        BIG - 1,
        "seq 99999: expected seq 99999, found 100000 (record deleted or reordered)",
    ),
]


@pytest.mark.parametrize(
    ("tamper", "bad_seq", "problem"), [c[1:] for c in CHAIN_CASES], ids=[c[0] for c in CHAIN_CASES]
)
def test_tampering_is_found_at_the_first_bad_seq(
    big_log: Log, tamper: Callable[[Log], Iterable[AuditRecord]], bad_seq: int, problem: str
) -> None:
    result = verify_chain(tamper(big_log))
    assert (result.ok, result.checked, result.first_bad_seq, result.problem) == (
        False,
        bad_seq - 1,
        bad_seq,
        problem,
    )


def test_untouched_big_log_verifies(big_log: Log) -> None:
    assert verify_chain(iter(big_log)) == VerifyResult(True, BIG, None, None, big_log[-1].hash)


# --- against a signed checkpoint kept elsewhere ---------------------------------------------------------

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
NOW = 1_790_000_000.0


@pytest.fixture(scope="module")
def checkpoints(big_log: Log) -> dict[int, Checkpoint]:
    """Signed checkpoints of the untouched log at sizes 60,000 and 100,000."""
    compact, roots = CompactRange(), {}
    for record in big_log:
        compact.append(record_leaf(record))
        if compact.size in (60_000, BIG):
            roots[compact.size] = compact.root()
    return {size: sign_checkpoint(KEY, size, root, NOW) for size, root in roots.items()}


_REWRITES: dict[int, Log] = {}


def _rewrite_from(log: Log, seq: int) -> Log:
    """Edit one record and recompute every hash after it: a consistent chain, not the checkpointed one."""
    if seq not in _REWRITES:  # memoised: re-chaining ~45,000 records is the slow part
        old = at(log, seq)
        changed = AuditEntry(
            old.time, old.actor, old.action, old.object, {**old.details, "note": "rewritten"}
        )
        _REWRITES[seq] = extend(log[: seq - 1], iter([changed, *_entries_of(log[seq:])]))
    return _REWRITES[seq]


def _entries_of(records: Log) -> list[AuditEntry]:
    return [AuditEntry(r.time, r.actor, r.action, r.object, r.details) for r in records]


REWRITTEN = (
    "the Merkle root of seq 1..{size} does not match the signed checkpoint "
    "(log rewritten since the checkpoint)"
)

CHECKPOINT_CASES: list[tuple[str, Callable[[Log], Log], int, VerifyResult]] = [
    # (id, tamper, checkpoint size, expected result; last_hash is compared separately)
    ("untouched", lambda log: log, BIG, VerifyResult(True, BIG, None, None)),
    (
        "truncated",
        lambda log: log[:99_000],
        BIG,
        VerifyResult(
            False,
            99_000,
            99_001,
            "seq 99001: log ends after 99000 records but the checkpoint covers 100000 "
            "(log truncated: seq 99001..100000 missing)",
        ),
    ),
    (
        "rewritten",
        lambda log: _rewrite_from(log, 55_555),
        BIG,
        VerifyResult(False, BIG, None, REWRITTEN.format(size=BIG)),
    ),
    (
        "rewritten-before-older-checkpoint",
        lambda log: _rewrite_from(log, 55_555),
        60_000,
        VerifyResult(False, 60_000, None, REWRITTEN.format(size=60_000)),
    ),
]


@pytest.mark.parametrize(
    ("tamper", "size", "expected"), [c[1:] for c in CHECKPOINT_CASES], ids=[c[0] for c in CHECKPOINT_CASES]
)
def test_against_checkpoint(
    big_log: Log,
    checkpoints: dict[int, Checkpoint],
    tamper: Callable[[Log], Log],
    size: int,
    expected: VerifyResult,
) -> None:
    result = verify_against_checkpoint(iter(tamper(big_log)), checkpoints[size], KEY.public_key())
    assert dataclasses.replace(result, last_hash="") == dataclasses.replace(expected, last_hash="")


def test_rewrite_fools_the_chain_alone(big_log: Log) -> None:
    # why checkpoints exist: a recomputed chain is internally consistent
    assert verify_chain(iter(_rewrite_from(big_log, 55_555))).ok
