"""Generated audit logs and the tampering an attacker with database access could do to them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from fairwatch.audit import chain, record_hash
from fairwatch.model import AuditEntry, AuditRecord

BIG = 100_000
T0 = 1_780_000_000.0
ACTIONS = ("alarm-acknowledged", "alarm-resolved", "rule-changed", "events-purged", "export-requested")


def entries(n: int, start: int = 1, actor: str = "user") -> Iterator[AuditEntry]:
    """n varied entries: different actors, actions, nested details, non-ASCII text and floats."""
    for i in range(start, start + n):
        details = {
            "n": i,
            "note": f"zone B{i % 7} – gate ✓",
            "ratio": i / 7,
            "tags": ["a", i % 3],
            "ok": i % 2 == 0,
        }
        yield AuditEntry(T0 + i * 0.25, f"{actor}-{i % 17}", ACTIONS[i % len(ACTIONS)], f"alarm/{i}", details)


def extend(log: list[AuditRecord], more: Iterator[AuditEntry]) -> list[AuditRecord]:
    """A new list: `log` followed by `more`, correctly chained (what an attacker recomputing hashes does)."""
    out = list(log)
    prev = out[-1] if out else None
    for entry in more:
        prev = chain(prev, entry)
        out.append(prev)
    return out


def build(n: int) -> list[AuditRecord]:
    """A valid chained log of n records, seq 1..n."""
    return extend([], entries(n))


def at(log: list[AuditRecord], seq: int) -> AuditRecord:
    """The record with this seq in an untampered log."""
    return log[seq - 1]


def replace(log: list[AuditRecord], seq: int, record: AuditRecord) -> list[AuditRecord]:
    """A copy of `log` with the record at `seq` replaced, nothing else touched."""
    return [*log[: seq - 1], record, *log[seq:]]


def edit(log: list[AuditRecord], where: int, /, **changes: object) -> list[AuditRecord]:
    """A copy of `log` with fields of the record at seq `where` changed (hashes left as they were)."""
    return replace(log, where, dataclasses.replace(at(log, where), **changes))  # type: ignore[arg-type]


def delete(log: list[AuditRecord], seq: int) -> list[AuditRecord]:
    """A copy of `log` without the record at `seq`; the others keep their seq."""
    return [*log[: seq - 1], *log[seq:]]


def renumber(records: list[AuditRecord], first_seq: int) -> Iterator[AuditRecord]:
    """Give records consecutive seqs from `first_seq`, keeping their hashes (a careless cover-up); lazy."""
    return (dataclasses.replace(r, seq=first_seq + i) for i, r in enumerate(records))


def forged_after(prev: AuditRecord, actor: str = "intruder") -> AuditRecord:
    """A well-formed record that chains correctly after `prev`: right seq, prev_hash and hash."""
    entry = AuditEntry(prev.time + 0.1, actor, "alarm-resolved", "alarm/forged", {"why": "cover-up"})
    return chain(prev, entry)


def rehash(record: AuditRecord) -> AuditRecord:
    """The record with its own hash recomputed over its current fields (prev_hash kept)."""
    digest = record_hash(
        record.prev_hash, record.seq, record.time, record.actor, record.action, record.object, record.details
    )
    return dataclasses.replace(record, hash=digest)
