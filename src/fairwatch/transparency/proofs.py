"""RFC 6962 proofs computed by streaming the log once, in O(log n) memory.

A proof is a list of subtree roots over contiguous leaf ranges. `inclusion_ranges` and `consistency_ranges`
name those ranges (pure arithmetic, mirroring `audit.MerkleTree`); `prove` reads the leaves in order and
hashes each range with a `CompactRange`, so a log of millions of records never sits in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fairwatch.audit import CompactRange
from fairwatch.errors import NotFound

Range = tuple[int, int]  # leaf indexes [start, end)


def _split(n: int) -> int:
    """RFC 6962's k: the largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose roots form PATH(index, D[size]), in proof order (leaf upwards)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    start, end, path = 0, size, []
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start += k
    return path[::-1]


def consistency_ranges(m: int, n: int) -> list[Range]:
    """The ranges whose roots form PROOF(m, D[n]), in proof order."""
    if not 0 <= m <= n:
        raise ValueError(f"old size {m} is outside 0..{n}")
    if m in (0, n):
        return []
    start, end, complete = 0, n, True
    siblings: list[Range] = []
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            siblings.append((start + k, end))
            end = start + k
        else:
            siblings.append((start, start + k))
            start, m, complete = start + k, m - k, False
    head = [] if complete else [(start, end)]
    return head + siblings[::-1]


@dataclass(frozen=True, slots=True)
class Proven:
    """The roots of the asked ranges (in the order asked) and of the asked prefixes (by size)."""

    ranges: list[bytes]
    prefixes: dict[int, bytes]


def prove(
    leaves: Iterable[tuple[int, str]], size: int, ranges: Sequence[Range], prefixes: Iterable[int]
) -> Proven:
    """Hash `ranges` and the prefixes D[0:p] of the first `size` records, read once as (seq, hash hex).

    NotFound names the first missing seq when the log is shorter than `size` or has a gap.
    """
    order = sorted(range(len(ranges)), key=lambda i: ranges[i][0])
    _check_disjoint([ranges[i] for i in order])
    want = {p for p in prefixes if 0 <= p <= size}
    roots: list[bytes] = [b""] * len(ranges)
    found: dict[int, bytes] = {}
    whole, part, cursor, index = CompactRange(), CompactRange(), 0, 0
    if 0 in want:
        found[0] = whole.root()
    for seq, digest in leaves:
        if seq != index + 1:
            raise _gap(index + 1, size)
        leaf = bytes.fromhex(digest)
        whole.append(leaf)
        if cursor < len(order) and ranges[order[cursor]][0] <= index:
            part.append(leaf)
            if index + 1 == ranges[order[cursor]][1]:
                roots[order[cursor]], part, cursor = part.root(), CompactRange(), cursor + 1
        index += 1
        if index in want:
            found[index] = whole.root()
        if index == size:
            return Proven(roots, found)
    if index < size:
        raise _gap(index + 1, size)
    return Proven(roots, found)


def _check_disjoint(ordered: list[Range]) -> None:
    # one CompactRange for the current range is enough only because proof ranges never overlap
    ends = [a1 for _, a1 in ordered[:-1]]
    if any(a0 >= a1 for a0, a1 in ordered) or any(
        end > b0 for end, (b0, _) in zip(ends, ordered[1:], strict=True)
    ):
        raise ValueError(f"proof ranges overlap or are empty: {ordered}")


def _gap(seq: int, size: int) -> NotFound:
    return NotFound(
        f"the audit log has no record seq {seq}: it holds fewer than the {size} records asked for"
    )
