"""The hash chain on small logs: exact hashes, chaining rules, messages, paging and streaming."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import tracemalloc
from collections.abc import Iterator

import orjson
import pytest

from fairwatch.audit import (
    GENESIS_HASH,
    ChainVerifier,
    VerifyResult,
    chain,
    record_bytes,
    record_hash,
    verify_chain,
)
from fairwatch.model import AuditEntry, AuditRecord
from tests.audit.audit_samples import at, build, edit, entries, rehash

PREV_WHY = "(record inserted, deleted or reordered)"
ENTRY = AuditEntry(1_780_000_000.5, "op-1", "alarm-acknowledged", "alarm/7", {"note": "gate 3 ✓", "n": 2})
ENTRY_JSON = (
    '{"action":"alarm-acknowledged","actor":"op-1","details":{"n":2,"note":"gate 3 ✓"},'
    '"object":"alarm/7","seq":1,"time":1780000000.5}'
).encode()


def test_record_bytes_are_the_documented_json() -> None:
    assert record_bytes(1, ENTRY.time, ENTRY.actor, ENTRY.action, ENTRY.object, ENTRY.details) == ENTRY_JSON


def test_record_hash_known_answer() -> None:
    # prev_hash enters as its 32 raw bytes, not as 64 ASCII characters
    prev = "ab" * 32
    expected = hashlib.sha256(bytes.fromhex(prev) + ENTRY_JSON).hexdigest()
    got = record_hash(prev, 1, ENTRY.time, ENTRY.actor, ENTRY.action, ENTRY.object, ENTRY.details)
    assert got == expected
    assert got != hashlib.sha256(prev.encode() + ENTRY_JSON).hexdigest()


def test_first_record_chains_from_genesis() -> None:
    first = chain(None, ENTRY)
    expected = hashlib.sha256(bytes(32) + ENTRY_JSON).hexdigest()
    assert first == AuditRecord(
        1, ENTRY.time, "op-1", "alarm-acknowledged", "alarm/7", ENTRY.details, GENESIS_HASH, expected
    )


def test_next_record_chains_from_prev() -> None:
    first = chain(None, ENTRY)
    second = chain(first, ENTRY)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert second.hash == record_hash(
        first.hash, 2, ENTRY.time, ENTRY.actor, ENTRY.action, ENTRY.object, ENTRY.details
    )


def test_integer_time_is_hashed_as_float() -> None:
    # a REAL column gives 1780000000 back as 1780000000.0; both must hash alike
    record = chain(None, dataclasses.replace(ENTRY, time=1_780_000_000))
    assert type(record.time) is float
    assert record.hash == record_hash(
        GENESIS_HASH, 1, 1_780_000_000.0, "op-1", "alarm-acknowledged", "alarm/7", ENTRY.details
    )


def test_explicit_seq_without_prev() -> None:
    record = chain(None, ENTRY, seq=5)
    assert (record.seq, record.prev_hash) == (5, GENESIS_HASH)
    assert verify_chain([record], start_seq=5).ok


CHAIN_ERRORS: list[tuple[str, int, str]] = [
    # (id, seq asked for after seq 2, exact message)
    ("gap", 4, "seq 4 cannot follow seq 2; expected 3"),
    ("repeat", 2, "seq 2 cannot follow seq 2; expected 3"),
]


@pytest.mark.parametrize(("seq", "message"), [c[1:] for c in CHAIN_ERRORS], ids=[c[0] for c in CHAIN_ERRORS])
def test_chain_refuses_a_wrong_seq(seq: int, message: str) -> None:
    second = build(2)[1]
    with pytest.raises(ValueError) as info:
        chain(second, ENTRY, seq=seq)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "prev",
    ["abc", "g" * 64, "ab" * 33, "AB" * 32, " " + "a" * 63],
    ids=["short", "not-hex", "long", "upper", "space"],
)
def test_record_hash_refuses_a_malformed_prev_hash(prev: str) -> None:
    with pytest.raises(ValueError) as info:
        record_hash(prev, 1, 0.0, "a", "b", "c", {})
    assert str(info.value) == f"not a SHA-256 hex digest: {prev!r}"


@pytest.mark.parametrize("size", [0, 1, 2, 3, 7, 1000])
def test_no_false_alarm_on_untouched_logs(size: int) -> None:
    log = build(size)
    last = log[-1].hash if log else GENESIS_HASH
    assert verify_chain(log) == VerifyResult(True, size, None, None, last)


def _nan_details(log: list[AuditRecord]) -> list[AuditRecord]:
    return edit(log, 3, details={**at(log, 3).details, "x": math.nan})


SMALL_CASES: list[tuple[str, list[AuditRecord], int, str]] = [
    # (id, tampered 10-record log, first bad seq, exact problem)
    (
        "first-prev-not-genesis",
        edit(build(10), 1, prev_hash="1" * 64),
        1,
        f"seq 1: prev_hash is not the genesis hash {PREV_WHY}",
    ),
    (
        "first-prev-not-genesis-rehashed",
        [rehash(dataclasses.replace(at(build(10), 1), prev_hash="1" * 64)), *build(10)[1:]],
        1,
        f"seq 1: prev_hash is not the genesis hash {PREV_WHY}",
    ),
    (
        "prev-hash-edited",
        edit(build(10), 5, prev_hash="1" * 64),
        5,
        f"seq 5: prev_hash does not match the hash of seq 4 {PREV_WHY}",
    ),
    (
        "seq-edited-up",
        edit(build(10), 5, seq=6),
        5,
        "seq 5: expected seq 5, found 6 (record deleted or reordered)",
    ),
    (
        "seq-edited-down",
        edit(build(10), 5, seq=4),
        5,
        "seq 5: expected seq 5, found 4 (record inserted or reordered)",
    ),
    ("object-edited", edit(build(10), 10, object="alarm/other"), 10, "seq 10: hash mismatch (record edited)"),
    (
        "edited-and-rehashed",
        [*build(10)[:6], rehash(edit(build(10), 7, actor="x")[6]), *build(10)[7:]],
        8,
        f"seq 8: prev_hash does not match the hash of seq 7 {PREV_WHY}",
    ),
    (
        "unhashable-details",
        _nan_details(build(10)),
        3,
        "seq 3: record cannot be hashed (not canonical JSON: $.details.x: NaN and infinity are not "
        "JSON numbers (got nan)) (record edited)",
    ),
]


@pytest.mark.parametrize(
    ("log", "bad_seq", "problem"), [c[1:] for c in SMALL_CASES], ids=[c[0] for c in SMALL_CASES]
)
def test_small_tampering(log: list[AuditRecord], bad_seq: int, problem: str) -> None:
    result = verify_chain(log)
    last_good = log[bad_seq - 2].hash if bad_seq > 1 else GENESIS_HASH
    assert result == VerifyResult(False, bad_seq - 1, bad_seq, problem, last_good)


def test_reordered_detail_keys_are_not_an_edit() -> None:
    log = build(5)
    reordered = dict(reversed(list(at(log, 3).details.items())))
    assert list(reordered) != list(at(log, 3).details)
    assert verify_chain(edit(log, 3, details=reordered)).ok


def test_verify_in_pages() -> None:
    log = build(1000)
    first = verify_chain(log[:400])
    rest = verify_chain(log[400:], start_prev_hash=first.last_hash, start_seq=401)
    assert (first.ok, rest) == (True, VerifyResult(True, 600, None, None, log[-1].hash))


def test_page_with_wrong_start_hash() -> None:
    log = build(1000)
    result = verify_chain(log[400:], start_prev_hash=log[398].hash, start_seq=401)
    problem = f"seq 401: prev_hash does not match the hash of seq 400 {PREV_WHY}"
    assert result == VerifyResult(False, 0, 401, problem, log[398].hash)


def test_verification_stops_reading_at_the_first_bad_record() -> None:
    log = edit(build(1000), 5, actor="x")
    consumed = 0

    def reader() -> Iterator[AuditRecord]:
        nonlocal consumed
        for record in log:
            consumed += 1
            yield record

    assert verify_chain(reader()).first_bad_seq == 5
    assert consumed == 5


def test_verifier_stays_failed() -> None:
    log = build(3)
    verifier = ChainVerifier()
    assert verifier.feed(log[1]) is False
    assert verifier.feed(log[0]) is False
    assert verifier.result() == VerifyResult(
        False, 0, 1, "seq 1: expected seq 1, found 2 (record deleted or reordered)"
    )


def _lazy_log(n: int) -> Iterator[AuditRecord]:
    prev: AuditRecord | None = None
    for i, entry in enumerate(entries(n)):
        big = dataclasses.replace(entry, details={"blob": f"{i:08d}" * 500})  # 4 KB of fresh text each
        prev = chain(prev, big)
        yield prev


def test_verification_streams_without_holding_records() -> None:
    # 10,000 records of 4 KB would need 40 MB if held; the verifier keeps only the last hash
    tracemalloc.start()
    try:
        result = verify_chain(_lazy_log(10_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (result.ok, result.checked) == (True, 10_000)
    assert peak < 1_000_000


def test_json_round_trip_keeps_the_chain_valid() -> None:
    # what a store does: write every field as JSON, read it back, verify
    log = build(200)
    loaded = [AuditRecord(**orjson.loads(orjson.dumps(dataclasses.asdict(r)))) for r in log]
    assert verify_chain(loaded) == VerifyResult(True, 200, None, None, log[-1].hash)
