"""Streaming proofs equal the in-memory MerkleTree's for every shape of tree, and name a short log."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from fairwatch.audit import MerkleTree, verify_consistency, verify_inclusion
from fairwatch.errors import NotFound
from fairwatch.transparency.proofs import consistency_ranges, inclusion_ranges, prove

SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 31, 100]


def hashes(n: int) -> list[tuple[int, str]]:
    return [(i, hashlib.sha256(str(i).encode()).hexdigest()) for i in range(1, n + 1)]


@pytest.mark.parametrize("n", SIZES, ids=[f"n{n}" for n in SIZES])
def test_inclusion_proofs_match_the_tree_and_verify(n: int) -> None:
    log = hashes(n)
    tree = MerkleTree(bytes.fromhex(h) for _, h in log)
    for index in range(n):
        proven = prove(log, n, inclusion_ranges(index, n), [n])
        assert proven.ranges == tree.inclusion_proof(index)
        assert proven.prefixes[n] == tree.root()
        leaf = bytes.fromhex(log[index][1])
        assert verify_inclusion(leaf, index, n, proven.ranges, tree.root())


@pytest.mark.parametrize("n", SIZES, ids=[f"n{n}" for n in SIZES])
def test_consistency_proofs_match_the_tree_and_verify(n: int) -> None:
    log = hashes(n)
    tree = MerkleTree(bytes.fromhex(h) for _, h in log)
    for m in range(n + 1):
        proven = prove(log, n, consistency_ranges(m, n), [m, n])
        assert proven.ranges == tree.consistency_proof(m)
        old_root = MerkleTree(bytes.fromhex(h) for _, h in log[:m]).root()
        assert proven.prefixes[m] == old_root
        assert verify_consistency(m, n, old_root, tree.root(), proven.ranges)


def test_only_the_asked_prefix_of_a_longer_log_is_read() -> None:
    log = hashes(10)
    proven = prove(iter(log), 4, consistency_ranges(2, 4), [2, 4])
    assert proven.prefixes[4] == MerkleTree(bytes.fromhex(h) for _, h in log[:4]).root()


@pytest.mark.parametrize(
    ("log", "size", "message"),
    [
        # the log ends early: records were cut off the end
        (hashes(3), 5, "the audit log has no record seq 4: it holds fewer than the 5 records asked for"),
        # seq 3 was deleted from the middle
        (
            [h for h in hashes(5) if h[0] != 3],
            5,
            "the audit log has no record seq 3: it holds fewer than the 5 records asked for",
        ),
        # an empty log
        ([], 1, "the audit log has no record seq 1: it holds fewer than the 1 records asked for"),
    ],
    ids=["truncated", "gap", "empty"],
)
def test_a_short_log_is_named(log: list[tuple[int, str]], size: int, message: str) -> None:
    with pytest.raises(NotFound) as info:
        prove(log, size, consistency_ranges(1, size), [size])
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: inclusion_ranges(5, 5), "leaf index 5 is outside a tree of size 5"),
        (lambda: inclusion_ranges(-1, 5), "leaf index -1 is outside a tree of size 5"),
        (lambda: consistency_ranges(6, 5), "old size 6 is outside 0..5"),
        (
            lambda: prove(hashes(4), 4, [(0, 2), (1, 3)], []),
            "proof ranges overlap or are empty: [(0, 2), (1, 3)]",
        ),
        (lambda: prove(hashes(4), 4, [(2, 2)], []), "proof ranges overlap or are empty: [(2, 2)]"),
    ],
    ids=["index-at-size", "negative-index", "old-size-too-big", "overlap", "empty-range"],
)
def test_impossible_proofs_are_refused(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == message
