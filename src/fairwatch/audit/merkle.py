"""RFC 6962 Merkle tree over audit record hashes: roots, inclusion and consistency proofs (RFC 9162 checks).

A leaf's data is the 32 raw bytes of an audit record's chain hash; leaf hash = SHA-256(0x00 || data),
node hash = SHA-256(0x01 || left || right), and the root of an empty tree is SHA-256 of nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from fairwatch.model import AuditRecord

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def record_leaf(record: AuditRecord) -> bytes:
    """The leaf data for an audit record: the 32 raw bytes of its chain hash."""
    return bytes.fromhex(record.hash)


class CompactRange:
    """Root of a growing tree in O(log n) memory: the roots of its perfect subtrees, largest first."""

    __slots__ = ("_nodes", "size")

    def __init__(self) -> None:
        self._nodes: list[tuple[int, bytes]] = []  # (height, hash); heights strictly decrease
        self.size = 0

    @classmethod
    def resume(cls, size: int, hashes: Sequence[bytes]) -> CompactRange:
        """Rebuild from a saved `size` and `hashes`, so a store need not rehash the whole log to extend it."""
        if size < 0:
            raise ValueError(f"tree size must be >= 0, got {size}")
        if len(hashes) != size.bit_count():
            raise ValueError(f"a tree of size {size} has {size.bit_count()} subtree roots, got {len(hashes)}")
        compact = cls()
        heights = [h for h in range(size.bit_length() - 1, -1, -1) if size >> h & 1]
        compact._nodes = list(zip(heights, hashes, strict=True))
        compact.size = size
        return compact

    @property
    def hashes(self) -> list[bytes]:
        """The perfect subtrees' roots, largest first: with `size`, all that `resume` needs."""
        return [digest for _, digest in self._nodes]

    def append(self, data: bytes) -> None:
        """Add one leaf (its data, not its hash)."""
        height, digest = 0, leaf_hash(data)
        nodes = self._nodes
        while nodes and nodes[-1][0] == height:
            digest = node_hash(nodes.pop()[1], digest)
            height += 1
        nodes.append((height, digest))
        self.size += 1

    def root(self) -> bytes:
        """The RFC 6962 root of the leaves appended so far."""
        if not self._nodes:
            return EMPTY_ROOT
        # the right-most subtrees join first: that is RFC 6962's split at the largest power of two
        digest = self._nodes[-1][1]
        for _, left in reversed(self._nodes[:-1]):
            digest = node_hash(left, digest)
        return digest


def merkle_root(leaves: Iterable[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash of the leaves' data, streaming."""
    compact = CompactRange()
    for data in leaves:
        compact.append(data)
    return compact.root()


class MerkleTree:
    """Every level of a tree kept in memory, so many proofs over one tree cost no rehashing."""

    __slots__ = ("_levels", "size")

    def __init__(self, leaves: Iterable[bytes]) -> None:
        level = [leaf_hash(data) for data in leaves]
        self.size = len(level)
        self._levels = [level]
        while len(level) > 1:
            # a last node without a partner moves up unchanged, which yields RFC 6962's left-full shape
            nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            level = nxt
            self._levels.append(level)

    def root(self) -> bytes:
        """The RFC 6962 root."""
        return self._levels[-1][0] if self.size else EMPTY_ROOT

    def _subtree(self, start: int, end: int) -> bytes:
        # every range the proofs ask for is a node: aligned, and either full or running to the end
        height = (end - start - 1).bit_length()
        return self._levels[height][start >> height]

    def inclusion_proof(self, index: int) -> list[bytes]:
        """RFC 6962 PATH(index, D[n]): sibling hashes from the leaf up to the root."""
        if not 0 <= index < self.size:
            raise ValueError(f"leaf index {index} is outside a tree of size {self.size}")
        proof = []
        for level in self._levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                proof.append(level[sibling])
            index >>= 1
        return proof

    def consistency_proof(self, m: int) -> list[bytes]:
        """RFC 6962 PROOF(m, D[n]): shows the tree of the first m leaves is a prefix of this one."""
        n = self.size
        if not 0 <= m <= n:
            raise ValueError(f"old size {m} is outside 0..{n}")
        if m in (0, n):
            return []
        start, end, complete = 0, n, True
        siblings: list[bytes] = []
        while m != end - start:
            k = _largest_power_of_two_below(end - start)
            if m <= k:
                siblings.append(self._subtree(start + k, end))
                end = start + k
            else:
                siblings.append(self._subtree(start, start + k))
                start, m, complete = start + k, m - k, False
        head = [] if complete else [self._subtree(start, end)]
        return head + siblings[::-1]


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 inclusion proof for leaf `index`; build a MerkleTree to make many proofs cheaply."""
    return MerkleTree(leaves).inclusion_proof(index)


def consistency_proof(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 consistency proof from the first `m` leaves to all of them."""
    return MerkleTree(leaves).consistency_proof(m)


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does `proof` show leaf data `leaf` at `index` in the tree of `size` with `root`?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf_hash(leaf)
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(m: int, n: int, root_m: bytes, root_n: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: does `proof` show the tree of size m (root_m) is a prefix of size n (root_n)?"""
    if not 0 <= m <= n:
        return False
    if m == n:
        return not proof and root_m == root_n
    if m == 0:
        return not proof and root_m == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if m & (m - 1) == 0:  # m is a power of two: the old root itself is the first node
        path.insert(0, root_m)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == root_m and sr == root_n and sn == 0
