"""RFC 6962 Merkle trees: known answers, all proofs up to 40 leaves against the RFC, 100,000 leaves."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import pytest

from fairwatch.audit import (
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
from tests.audit.audit_samples import build


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


# --- RFC 6962 §2.1 written out as recursive definitions: the reference the fast code must agree with ---


def _k(n: int) -> int:
    """Largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: Sequence[bytes]) -> bytes:
    if not d:
        return sha(b"")
    if len(d) == 1:
        return sha(b"\x00" + d[0])
    k = _k(len(d))
    return sha(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


def ref_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


LEAVES = [bytes([i % 256, i // 256]) * (i % 3 + 1) for i in range(40)]

# --- known answers -------------------------------------------------------------------------------------

# the leaves and roots of the Certificate Transparency reference tests (RFC 6962 implementations)
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


@pytest.mark.parametrize("n", range(9), ids=[f"n={n}" for n in range(9)])
def test_certificate_transparency_roots(n: int) -> None:
    assert merkle_root(CT_LEAVES[:n]).hex() == CT_ROOTS[n]
    assert MerkleTree(CT_LEAVES[:n]).root().hex() == CT_ROOTS[n]


A, B, C, D, E = (bytes([x]) for x in b"abcde")


def _l(x: bytes) -> bytes:
    return sha(b"\x00" + x)


def _n(left: bytes, right: bytes) -> bytes:
    return sha(b"\x01" + left + right)


BY_HAND: list[tuple[str, list[bytes], bytes]] = [
    # (id, leaves, root written out with hashlib)
    ("empty", [], sha(b"")),
    ("one", [A], _l(A)),
    ("two", [A, B], _n(_l(A), _l(B))),
    ("three", [A, B, C], _n(_n(_l(A), _l(B)), _l(C))),
    ("four", [A, B, C, D], _n(_n(_l(A), _l(B)), _n(_l(C), _l(D)))),
    ("five", [A, B, C, D, E], _n(_n(_n(_l(A), _l(B)), _n(_l(C), _l(D))), _l(E))),
]


@pytest.mark.parametrize(("leaves", "root"), [c[1:] for c in BY_HAND], ids=[c[0] for c in BY_HAND])
def test_roots_by_hand(leaves: list[bytes], root: bytes) -> None:
    assert merkle_root(leaves) == root
    assert MerkleTree(leaves).root() == root


def test_hash_primitives() -> None:
    assert (leaf_hash(A), node_hash(A, B), EMPTY_ROOT) == (sha(b"\x00a"), sha(b"\x01ab"), sha(b""))


def test_proofs_by_hand() -> None:
    tree = MerkleTree([A, B, C, D, E])
    assert tree.inclusion_proof(2) == [_l(D), _n(_l(A), _l(B)), _l(E)]
    assert tree.inclusion_proof(4) == [_n(_n(_l(A), _l(B)), _n(_l(C), _l(D)))]
    assert tree.consistency_proof(3) == [_l(C), _l(D), _n(_l(A), _l(B)), _l(E)]
    assert tree.consistency_proof(4) == [_l(E)]


def test_record_leaf_is_the_raw_chain_hash() -> None:
    record = build(1)[0]
    assert record_leaf(record) == bytes.fromhex(record.hash)


# --- every proof up to 40 leaves -----------------------------------------------------------------------

SIZES = list(range(1, 41))


@pytest.mark.parametrize("n", SIZES, ids=[f"n={n}" for n in SIZES])
def test_roots_agree_with_the_rfc(n: int) -> None:
    compact = CompactRange()
    for leaf in LEAVES[:n]:
        compact.append(leaf)
    expected = ref_mth(LEAVES[:n])
    assert (MerkleTree(LEAVES[:n]).root(), compact.root(), merkle_root(LEAVES[:n])) == (expected,) * 3


@pytest.mark.parametrize("n", SIZES, ids=[f"n={n}" for n in SIZES])
def test_every_inclusion_proof(n: int) -> None:
    tree, root = MerkleTree(LEAVES[:n]), ref_mth(LEAVES[:n])
    for i in range(n):
        proof = tree.inclusion_proof(i)
        assert proof == ref_path(i, LEAVES[:n]), i
        assert verify_inclusion(LEAVES[i], i, n, proof, root), i


@pytest.mark.parametrize("n", SIZES, ids=[f"n={n}" for n in SIZES])
def test_every_consistency_proof(n: int) -> None:
    tree, root_n = MerkleTree(LEAVES[:n]), ref_mth(LEAVES[:n])
    for m in range(1, n + 1):
        proof = tree.consistency_proof(m)
        assert proof == (ref_proof(m, LEAVES[:n]) if m < n else []), m
        assert verify_consistency(m, n, ref_mth(LEAVES[:m]), root_n, proof), m
    assert tree.consistency_proof(0) == []
    assert verify_consistency(0, n, EMPTY_ROOT, root_n, [])


InclusionArgs = tuple[bytes, int, int, list[bytes], bytes]  # leaf, index, size, proof, root
ConsistencyArgs = tuple[int, int, bytes, bytes, list[bytes]]  # m, n, root_m, root_n, proof


def _flip(proof: list[bytes], i: int) -> list[bytes]:
    return [p if j != i else bytes([p[0] ^ 1]) + p[1:] for j, p in enumerate(proof)]


def _inclusion_forgeries(
    leaf: bytes, i: int, n: int, proof: list[bytes], root: bytes
) -> dict[str, InclusionArgs]:
    forged: dict[str, InclusionArgs] = {
        "other-leaf": (leaf + b"x", i, n, proof, root),
        "other-root": (leaf, i, n, proof, sha(root)),
        "extra-node": (leaf, i, n, [*proof, root], root),
        "index-outside": (leaf, n, n, proof, root),
        "leaf-hash-given-as-data": (leaf_hash(leaf), i, n, proof, root),
    }
    if proof:
        forged["dropped-last"] = (leaf, i, n, proof[:-1], root)
        forged["dropped-first"] = (leaf, i, n, proof[1:], root)
    for j in range(len(proof)):
        forged[f"flipped-{j}"] = (leaf, i, n, _flip(proof, j), root)
    for other in (i - 1, i + 1):
        if 0 <= other < n:
            forged[f"index-{other}"] = (leaf, other, n, proof, root)
    return forged


@pytest.mark.parametrize("n", SIZES, ids=[f"n={n}" for n in SIZES])
def test_forged_inclusion_proofs_are_rejected(n: int) -> None:
    tree, root = MerkleTree(LEAVES[:n]), ref_mth(LEAVES[:n])
    for i in range(n):
        for name, args in _inclusion_forgeries(LEAVES[i], i, n, tree.inclusion_proof(i), root).items():
            assert not verify_inclusion(*args), (i, name)


def _consistency_forgeries(
    m: int, n: int, root_m: bytes, root_n: bytes, proof: list[bytes]
) -> dict[str, ConsistencyArgs]:
    forged: dict[str, ConsistencyArgs] = {
        "other-old-root": (m, n, sha(root_m), root_n, proof),
        "other-new-root": (m, n, root_m, sha(root_n), proof),
        "roots-swapped": (m, n, root_n, root_m, proof),
        "extra-node": (m, n, root_m, root_n, [*proof, root_n]),
        "dropped-last": (m, n, root_m, root_n, proof[:-1]),
        "dropped-first": (m, n, root_m, root_n, proof[1:]),
        "old-larger-than-new": (n + 1, n, root_m, root_n, proof),
        "empty-proof": (m, n, root_m, root_n, []),
    }
    for j in range(len(proof)):
        forged[f"flipped-{j}"] = (m, n, root_m, root_n, _flip(proof, j))
    return forged


@pytest.mark.parametrize("n", SIZES[1:], ids=[f"n={n}" for n in SIZES[1:]])
def test_forged_consistency_proofs_are_rejected(n: int) -> None:
    tree, root_n = MerkleTree(LEAVES[:n]), ref_mth(LEAVES[:n])
    for m in range(1, n):
        forgeries = _consistency_forgeries(m, n, ref_mth(LEAVES[:m]), root_n, tree.consistency_proof(m))
        for name, args in forgeries.items():
            assert not verify_consistency(*args), (m, name)


def test_a_different_old_tree_is_not_consistent() -> None:
    # the new tree does not extend an old tree whose third leaf differs
    tree = MerkleTree(LEAVES[:20])
    other_old = ref_mth([*LEAVES[:2], b"changed", *LEAVES[3:7]])
    assert not verify_consistency(7, 20, other_old, tree.root(), tree.consistency_proof(7))


ERRORS: list[tuple[str, Callable[[], object], str]] = [
    # (id, call, exact message)
    (
        "inclusion-past-end",
        lambda: inclusion_proof(5, LEAVES[:5]),
        "leaf index 5 is outside a tree of size 5",
    ),
    (
        "inclusion-negative",
        lambda: inclusion_proof(-1, LEAVES[:5]),
        "leaf index -1 is outside a tree of size 5",
    ),
    ("inclusion-empty-tree", lambda: inclusion_proof(0, []), "leaf index 0 is outside a tree of size 0"),
    ("consistency-too-big", lambda: consistency_proof(6, LEAVES[:5]), "old size 6 is outside 0..5"),
    ("consistency-negative", lambda: consistency_proof(-1, LEAVES[:5]), "old size -1 is outside 0..5"),
]


@pytest.mark.parametrize(("call", "message"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_proof_errors(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == message


@pytest.mark.parametrize("n", [0, 1, 6, 7, 8, 29], ids=[f"n={n}" for n in [0, 1, 6, 7, 8, 29]])
def test_compact_range_resumes(n: int) -> None:
    first = CompactRange()
    for leaf in LEAVES[:n]:
        first.append(leaf)
    resumed = CompactRange.resume(first.size, first.hashes)
    for leaf in LEAVES[n:]:
        resumed.append(leaf)
    assert (resumed.size, resumed.root()) == (40, ref_mth(LEAVES))


RESUME_ERRORS: list[tuple[str, int, int, str]] = [
    # (id, size, number of hashes, exact message)
    ("negative", -1, 0, "tree size must be >= 0, got -1"),
    ("too-few", 7, 2, "a tree of size 7 has 3 subtree roots, got 2"),
    ("too-many", 8, 2, "a tree of size 8 has 1 subtree roots, got 2"),
]


@pytest.mark.parametrize(
    ("size", "count", "message"), [c[1:] for c in RESUME_ERRORS], ids=[c[0] for c in RESUME_ERRORS]
)
def test_compact_range_resume_refuses(size: int, count: int, message: str) -> None:
    with pytest.raises(ValueError) as info:
        CompactRange.resume(size, [EMPTY_ROOT] * count)
    assert str(info.value) == message


def test_module_functions_match_the_tree() -> None:
    tree = MerkleTree(LEAVES[:13])
    assert inclusion_proof(6, LEAVES[:13]) == tree.inclusion_proof(6)
    assert consistency_proof(9, LEAVES[:13]) == tree.consistency_proof(9)


def test_equal_sizes_need_equal_roots() -> None:
    root = ref_mth(LEAVES[:9])
    assert verify_consistency(9, 9, root, root, [])
    assert not verify_consistency(9, 9, root, sha(root), [])
    assert not verify_consistency(9, 9, root, root, [root])


# --- 100,000 leaves ------------------------------------------------------------------------------------

BIG_N = 100_000
BIG_LEAVES = [sha(i.to_bytes(4, "big")) for i in range(BIG_N)]
OLD_SIZES = [1, 2, 3, 4_096, 65_535, 65_536, 65_537, 99_999, BIG_N]
INDICES = [0, 1, 2, 65_535, 65_536, 99_998, 99_999]


@pytest.fixture(scope="module")
def big_tree() -> MerkleTree:
    return MerkleTree(BIG_LEAVES)


@pytest.fixture(scope="module")
def prefix_roots() -> dict[int, bytes]:
    """Roots of the first m leaves for every m in OLD_SIZES, from one streaming pass."""
    compact, roots = CompactRange(), {}
    for leaf in BIG_LEAVES:
        compact.append(leaf)
        if compact.size in OLD_SIZES:
            roots[compact.size] = compact.root()
    return roots


def test_big_root_agrees_with_the_rfc(big_tree: MerkleTree, prefix_roots: dict[int, bytes]) -> None:
    assert big_tree.root() == prefix_roots[BIG_N] == ref_mth(BIG_LEAVES)


@pytest.mark.parametrize("index", INDICES)
def test_big_inclusion(big_tree: MerkleTree, index: int) -> None:
    proof = big_tree.inclusion_proof(index)
    assert verify_inclusion(BIG_LEAVES[index], index, BIG_N, proof, big_tree.root())
    assert not verify_inclusion(
        BIG_LEAVES[index], index, BIG_N, _flip(proof, len(proof) - 1), big_tree.root()
    )


@pytest.mark.parametrize("index", [0, 99_999])
def test_big_inclusion_agrees_with_the_rfc(big_tree: MerkleTree, index: int) -> None:
    # 100,000 = 65,536 + 32,768 + 1,024 + 512 + 128 + 32: the first leaf is 17 levels deep, the last 10
    assert big_tree.inclusion_proof(index) == ref_path(index, BIG_LEAVES)


@pytest.mark.parametrize("m", OLD_SIZES)
def test_big_consistency(big_tree: MerkleTree, prefix_roots: dict[int, bytes], m: int) -> None:
    proof = big_tree.consistency_proof(m)
    assert verify_consistency(m, BIG_N, prefix_roots[m], big_tree.root(), proof)
    if m < BIG_N:
        assert not verify_consistency(m, BIG_N, sha(prefix_roots[m]), big_tree.root(), proof)
