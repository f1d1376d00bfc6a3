"""Many audit chains under one signature: an RFC 6962 Merkle root over the chains' heads, signed with the deployment key.

A cluster keeps one hash chain per partition plus `_global`. A signed root says "at `time` these chains had these
sizes and head hashes": the leaves are the heads in chain-name order, each leaf's data the canonical JSON
`{"chain": name, "hash": head hash, "size": n}`. Pure: no database, no clock.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from fairwatch.audit.canonical import canonical_json
from fairwatch.audit.chain import ChainVerifier
from fairwatch.audit.keys import key_id
from fairwatch.audit.merkle import merkle_root
from fairwatch.model import AuditRecord

ROOT_HEADER = "fairwatch-root/v1"
ROOT_ANNOUNCEMENT = "root-signed"  # the audit record the checkpointer appends with each root it stores
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True, order=True)
class ChainHead:
    """Chain `chain` had `size` records and its last record's hash was `hash`."""

    chain: str
    size: int
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"chain": self.chain, "size": self.size, "hash": self.hash}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChainHead:
        return cls(str(data["chain"]), int(data["size"]), str(data["hash"]))


def canonical_heads(heads: Iterable[ChainHead]) -> tuple[ChainHead, ...]:
    """The heads in the canonical order (chain names by code point); a chain named twice is a ValueError."""
    ordered = tuple(sorted(heads, key=lambda h: h.chain))
    for a, b in itertools.pairwise(ordered):
        if a.chain == b.chain:
            raise ValueError(f"chain {a.chain!r} is named twice")
    return ordered


def head_leaf(head: ChainHead) -> bytes:
    """A head's leaf data: `{"chain":…,"hash":…,"size":…}` as canonical JSON."""
    return canonical_json(head.as_dict())


def heads_root(heads: Iterable[ChainHead]) -> bytes:
    """RFC 6962 root over the heads in canonical order."""
    return merkle_root(head_leaf(h) for h in canonical_heads(heads))


def root_message(chains: int, root: str, time: float) -> bytes:
    """The bytes signed: header, number of chains, root hex, time (as canonical JSON writes a float)."""
    time_text = orjson.dumps(float(time)).decode("ascii")
    return f"{ROOT_HEADER}\n{chains}\n{root}\n{time_text}\n".encode("ascii")


@dataclass(frozen=True, slots=True)
class SignedRoot:
    """The heads of every chain at `time`, their Merkle root (hex) and its Ed25519 signature (base64)."""

    time: float
    root: str
    heads: tuple[ChainHead, ...]
    key_id: str
    signature: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "root": self.root,
            "heads": [h.as_dict() for h in self.heads],
            "key_id": self.key_id,
            "signature": self.signature,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SignedRoot:
        """Inverse of `as_dict`; raises KeyError/TypeError/ValueError on a malformed dict."""
        heads = tuple(ChainHead.from_dict(h) for h in data["heads"])
        return cls(float(data["time"]), str(data["root"]), heads, str(data["key_id"]), str(data["signature"]))

    def head(self, chain: str) -> ChainHead | None:
        return next((h for h in self.heads if h.chain == chain), None)


def sign_root(private_key: Ed25519PrivateKey, heads: Iterable[ChainHead], time: float) -> SignedRoot:
    """Sign the Merkle root over `heads` at `time`."""
    ordered = canonical_heads(heads)
    bad = [h for h in ordered if h.size < 1 or not _HEX64.fullmatch(h.hash)]
    if bad or not math.isfinite(time):
        raise ValueError(
            f"cannot sign heads {bad} at time {time!r}: need size >= 1, a 64-hex hash, a finite time"
        )
    root = heads_root(ordered).hex()
    signature = private_key.sign(root_message(len(ordered), root, time))
    return SignedRoot(
        float(time), root, ordered, key_id(private_key), base64.b64encode(signature).decode("ascii")
    )


def root_problem(public_key: Ed25519PublicKey, signed: SignedRoot) -> str | None:
    """Why `signed` does not verify with `public_key` (signature, key id, or heads that are not its root)."""
    forged = f"does not verify with the deployment key {key_id(public_key)} (forged or altered)"
    if signed.key_id != key_id(public_key) or not _HEX64.fullmatch(signed.root):
        return forged
    try:
        raw = base64.b64decode(signed.signature, validate=True)
        public_key.verify(raw, root_message(len(signed.heads), signed.root, signed.time))
    except (InvalidSignature, binascii.Error, ValueError):
        return forged
    try:
        if heads_root(signed.heads).hex() != signed.root:
            return "its chain heads are not the signed root (heads altered)"
    except ValueError as exc:
        return f"its chain heads are malformed ({exc}) (heads altered)"
    return None


def chain_label(name: str) -> str:
    """`chain a`; the single process's chain "" is `chain (single)`."""
    return f"chain {name or '(single)'}"


def root_label(number: int, signed: SignedRoot) -> str:
    """`signed root #3 (2026-12-05T05:47:56Z)`: its place in the history (1 = oldest) and its time."""
    when = datetime.datetime.fromtimestamp(signed.time, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"signed root #{number} ({when})"


@dataclass(frozen=True, slots=True)
class ChainReport:
    """One chain's verdict: records verified, and the first problem (already prefixed `chain NAME: `)."""

    chain: str
    records: int
    first_bad_seq: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass(frozen=True, slots=True)
class ChainsReport:
    """`verify_chains`: every chain's verdict, how many signed roots were checked, every problem."""

    chains: tuple[ChainReport, ...]
    roots: int
    problems: tuple[str, ...]
    latest: SignedRoot | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def records(self) -> int:
        return sum(c.records for c in self.chains)

    def lines(self) -> list[str]:
        """One line per chain: `chain a: 40 records OK` or its problem."""
        return [
            f"{chain_label(c.chain)}: {c.records} records OK" if c.ok else str(c.problem) for c in self.chains
        ]

    def summary(self) -> str:
        n = len(self.chains)
        text = f"audit chains OK: {self.records} records in {n} chain{'s' if n != 1 else ''} verified"
        if self.latest is None:
            return text
        r = self.roots
        return (
            f"{text} against {r} signed root{'s' if r != 1 else ''} "
            f"(latest #{r} covers {len(self.latest.heads)} chains, key {self.latest.key_id})"
        )


def verify_chains(
    chains: Iterable[tuple[str, Iterable[AuditRecord]]],
    roots: Sequence[SignedRoot],
    public_key: Ed25519PublicKey | None,
    key_source: str = "",
) -> ChainsReport:
    """Verify every chain from seq 1 (streaming) and every signed root against the chains: its signature, its
    heads' root, and each head against the record at that size. Roots are numbered oldest first."""
    history = sorted(roots, key=lambda r: r.time)
    problems: list[str] = []
    if public_key is None and history:
        why = f" ({key_source})" if key_source else ""
        problems.append(f"{len(history)} signed roots cannot be checked: no deployment key{why}")
    elif public_key is not None:
        for number, signed in enumerate(history, 1):
            if (p := root_problem(public_key, signed)) is not None:
                problems.append(f"{root_label(number, signed)} {p}")
    reports: list[ChainReport] = []
    seen: set[str] = set()
    for name, records in chains:
        seen.add(name)
        report, found = _verify_one(name, records, history)
        reports.append(report)
        if report.problem is not None:
            problems.append(report.problem)
        problems += found
    for number, signed in enumerate(history, 1):
        for head in signed.heads:
            if head.chain not in seen:
                problems.append(
                    f"{chain_label(head.chain)}: {root_label(number, signed)} covers {head.size} records but the chain "
                    f"has none (chain deleted)"
                )
    return ChainsReport(tuple(reports), len(history), tuple(problems), history[-1] if history else None)


def _verify_one(
    name: str, records: Iterable[AuditRecord], history: Sequence[SignedRoot]
) -> tuple[ChainReport, list[str]]:
    expect: dict[int, list[tuple[int, str]]] = {}
    for number, signed in enumerate(history, 1):
        head = signed.head(name)
        if head is not None:
            expect.setdefault(head.size, []).append((number, head.hash))
    stored = {signed.root for signed in history}
    verifier = ChainVerifier()
    found: list[str] = []
    for record in records:
        if not verifier.feed(record):
            break
        if record.action == ROOT_ANNOUNCEMENT and record.details.get("root") not in stored:
            found.append(
                f"{chain_label(name)}: seq {record.seq} announces a signed root that is no longer stored "
                "(root deleted)"
            )
        for number, digest in expect.pop(verifier.checked, []):
            if digest != record.hash:
                found.append(
                    f"{chain_label(name)}: seq 1..{verifier.checked} do not match the head signed by "
                    f"{root_label(number, history[number - 1])} (chain rewritten since the root)"
                )
    result = verifier.result()
    problem = None if result.ok else f"{chain_label(name)}: {result.problem}"
    if result.ok and expect:
        have = result.checked
        for size in sorted(expect):
            for number, _ in expect[size]:
                missing = f"seq {size}" if have + 1 == size else f"seq {have + 1}..{size}"
                found.append(
                    f"{chain_label(name)}: has {have} records but {root_label(number, history[number - 1])} signed "
                    f"{size} (chain truncated: {missing} missing)"
                )
    return ChainReport(name, result.checked, result.first_bad_seq, problem), found
