"""Signed Merkle checkpoints: when they are due, what they sign, how they are stored and extended."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from fairwatch.audit import (
    Checkpoint,
    CompactRange,
    load_or_create_key,
    merkle_root,
    record_leaf,
    verify_checkpoint,
)
from fairwatch.clock import FakeClock
from fairwatch.store import SqlStore, sqlite_url
from fairwatch.transparency.checkpoints import checkpoint_due
from tests.harness import Server
from tests.transparency.helpers import RULES, START, append, records, service


def cp(size: int, time: float = START) -> Checkpoint:
    return Checkpoint(size, "00" * 32, time, "0" * 16, "")


@pytest.mark.parametrize(
    ("head", "last", "now", "force", "due"),
    [
        (0, None, START, False, False),  # nothing to sign yet
        (3, None, START, False, True),  # the first checkpoint is due at once
        (11, cp(10), START + 3600, False, False),  # only the checkpoint-signed record is new
        (11, cp(10), START + 3600, True, False),  # ... not even at a start
        (12, cp(10), START + 299, False, False),  # one new record, under five minutes
        (12, cp(10), START + 299, True, True),  # ... but at a start anything new is signed
        (12, cp(10), START + 300, False, True),  # one new record, five minutes on
        (1010, cp(10), START + 1, False, False),  # 999 new records
        (1011, cp(10), START + 1, False, True),  # 1,000 new records
        (5, cp(10), START + 900, True, False),  # fewer records than signed (the integrity check's business)
    ],
    ids=[
        "empty",
        "first",
        "idle",
        "idle-start",
        "under-5-min",
        "start",
        "5-min",
        "999-records",
        "1000-records",
        "shrunk",
    ],
)
def test_checkpoint_due(head: int, last: Checkpoint | None, now: float, force: bool, due: bool) -> None:
    assert checkpoint_due(head, last, now, force) is due


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def srv(tmp_path: Path, clock: FakeClock) -> Iterator[Server]:
    with Server(tmp_path / "data", RULES, clock) as s:
        yield s


def assert_signs_the_log(srv: Server, signed: Checkpoint) -> None:
    """The checkpoint is the Merkle root of records 1..size, signed by the key in the data directory."""
    key = load_or_create_key(srv.data / "keys" / "deployment.key")
    assert verify_checkpoint(key.public_key(), signed)
    log = records(srv.data)
    assert signed.root == merkle_root(record_leaf(r) for r in log[: signed.size]).hex()
    announcement = log[signed.size]  # written in the same transaction, right after what it covers
    assert (announcement.action, announcement.object) == ("checkpoint-signed", f"checkpoint/{signed.size}")
    assert announcement.details == {"size": signed.size, "root": signed.root}


def test_a_first_checkpoint_is_signed_at_start_with_a_new_0600_key(srv: Server) -> None:
    key_file = srv.data / "keys" / "deployment.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = service(srv).latest
    assert first is not None
    assert_signs_the_log(srv, first)
    assert first.time == START


def test_a_checkpoint_after_1000_records(srv: Server) -> None:
    svc = service(srv)
    first = svc.latest
    assert first is not None
    append(srv, 999)
    assert srv.call(svc.maybe_checkpoint()) is None
    append(srv, 1)
    signed = srv.call(svc.maybe_checkpoint())
    assert signed is not None
    assert signed.size == first.size + 1 + 1000
    assert_signs_the_log(srv, signed)


def test_a_checkpoint_after_5_minutes(srv: Server, clock: FakeClock) -> None:
    svc = service(srv)
    append(srv, 3)
    clock.advance(299)
    assert srv.call(svc.maybe_checkpoint()) is None
    clock.advance(1)
    signed = srv.call(svc.maybe_checkpoint())
    assert signed is not None
    assert signed.time == START + 300
    assert_signs_the_log(srv, signed)
    clock.advance(3600)  # idle: the announcement alone is never checkpointed again
    assert srv.call(svc.maybe_checkpoint()) is None


def test_the_stored_tree_state_extends_without_rehashing(srv: Server, clock: FakeClock) -> None:
    svc = service(srv)
    append(srv, 1000)
    signed = srv.call(svc.maybe_checkpoint())
    assert signed is not None
    store = SqlStore(sqlite_url(srv.data))
    stored = store.latest_checkpoint()
    store.close()
    assert stored is not None and stored.checkpoint == signed
    log = records(srv.data)
    assert CompactRange.resume(signed.size, stored.compact).root().hex() == signed.root
    assert stored.last_hash == log[signed.size - 1].hash


def test_a_restart_keeps_the_key_and_extends_the_checkpoints(tmp_path: Path, clock: FakeClock) -> None:
    data = tmp_path / "data"
    with Server(data, RULES, clock) as srv:
        before = service(srv).latest
        key_file = (data / "keys" / "deployment.key").read_bytes()
    clock.advance(60)
    with Server(data, RULES, clock) as srv:
        after = service(srv).latest
    assert before is not None and after is not None
    assert (data / "keys" / "deployment.key").read_bytes() == key_file
    assert after.key_id == before.key_id and after.size > before.size
    assert_signs_the_log(srv, after)
