"""Properties over random logs: any single edit is found at exactly its seq; honest storage never alarms."""

from __future__ import annotations

import dataclasses
from typing import Any

import orjson
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fairwatch.audit import (
    GENESIS_HASH,
    MerkleTree,
    canonical_json,
    chain,
    merkle_root,
    record_bytes,
    verify_chain,
    verify_consistency,
    verify_inclusion,
)
from fairwatch.model import AuditEntry, AuditRecord

PREV_WHY = "(record inserted, deleted or reordered)"

finite = st.floats(allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | finite | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
details = st.dictionaries(st.text(max_size=5), json_values, max_size=4)
hex64 = st.text("0123456789abcdef", min_size=64, max_size=64)
entries = st.builds(
    AuditEntry,
    time=finite,
    actor=st.text(max_size=8),
    action=st.text(max_size=12),
    object=st.text(max_size=8),
    details=details,
)
FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "seq": st.integers(-5, 100),
    "time": finite,
    "actor": st.text(max_size=8),
    "action": st.text(max_size=12),
    "object": st.text(max_size=8),
    "details": details,
    "prev_hash": hex64,
    "hash": hex64,
}


def _chain(items: list[AuditEntry]) -> list[AuditRecord]:
    log: list[AuditRecord] = []
    for entry in items:
        log.append(chain(log[-1] if log else None, entry))
    return log


def _content(r: AuditRecord) -> bytes:
    return record_bytes(r.seq, r.time, r.actor, r.action, r.object, r.details)


def _expected_problem(field: str, seq: int, new: Any) -> str:
    if field == "seq":
        why = "record deleted or reordered" if new > seq else "record inserted or reordered"
        return f"seq {seq}: expected seq {seq}, found {new} ({why})"
    if field == "prev_hash":
        if seq == 1:
            return f"seq 1: prev_hash is not the genesis hash {PREV_WHY}"
        return f"seq {seq}: prev_hash does not match the hash of seq {seq - 1} {PREV_WHY}"
    return f"seq {seq}: hash mismatch (record edited)"


@settings(deadline=None)
@given(
    items=st.lists(entries, min_size=1, max_size=12),
    field=st.sampled_from(sorted(FIELD_VALUES)),
    data=st.data(),
)
def test_any_single_edit_is_found_at_its_seq(
    items: list[AuditEntry], field: str, data: st.DataObject
) -> None:
    log = _chain(items)
    seq = data.draw(st.integers(1, len(log)), label="seq")
    old = log[seq - 1]
    new_value = data.draw(FIELD_VALUES[field], label="new value")
    edited = dataclasses.replace(old, **{field: new_value})
    if field in ("seq", "prev_hash", "hash"):
        assume(getattr(edited, field) != getattr(old, field))
    else:
        assume(_content(edited) != _content(old))  # an edit that changes no byte is no edit
    tampered = [*log[: seq - 1], edited, *log[seq:]]
    result = verify_chain(tampered)
    last_good = log[seq - 2].hash if seq > 1 else GENESIS_HASH
    assert (result.ok, result.checked, result.first_bad_seq, result.problem, result.last_hash) == (
        False,
        seq - 1,
        seq,
        _expected_problem(field, seq, new_value),
        last_good,
    )


@settings(deadline=None)
@given(items=st.lists(entries, max_size=12))
def test_json_storage_round_trip_never_alarms(items: list[AuditEntry]) -> None:
    log = _chain(items)
    loaded = [AuditRecord(**orjson.loads(orjson.dumps(dataclasses.asdict(r)))) for r in log]
    result = verify_chain(loaded)
    assert (result.ok, result.checked) == (True, len(log))


@given(value=json_values)
def test_canonical_json_is_a_fixed_point(value: Any) -> None:
    once = canonical_json(value)
    assert canonical_json(orjson.loads(once)) == once


@given(leaves=st.lists(st.binary(max_size=8), min_size=1, max_size=300), data=st.data())
def test_random_proofs_verify(leaves: list[bytes], data: st.DataObject) -> None:
    n = len(leaves)
    index = data.draw(st.integers(0, n - 1), label="index")
    m = data.draw(st.integers(1, n), label="m")
    tree = MerkleTree(leaves)
    assert verify_inclusion(leaves[index], index, n, tree.inclusion_proof(index), tree.root())
    assert verify_consistency(m, n, merkle_root(leaves[:m]), tree.root(), tree.consistency_proof(m))
