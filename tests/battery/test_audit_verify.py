"""`fairwatch audit verify` through the real command line, on a database written by a real server with real
signed checkpoints: truncation and a whole-chain rewrite (both invisible to the hash chain alone) are named."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from fairwatch.audit import chain, load_key, public_key_b64, verify_chain
from fairwatch.clock import FakeClock
from fairwatch.model import AuditEntry, AuditRecord, Role
from fairwatch.store import SqlStore, sqlite_url
from fairwatch.transparency import Transparency
from tests.harness import Server

NOW = 1_783_000_000.0  # 2026-07-02T13:46:40Z


def fairwatch(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "fairwatch", *args, "--data", str(data)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def db(data: Path) -> sqlite3.Connection:
    return sqlite3.connect(data / "fairwatch.db", timeout=10)


def sizes(data: Path) -> list[int]:
    with db(data) as conn:
        return [int(r[0]) for r in conn.execute("SELECT size FROM checkpoints ORDER BY size")]


def records(data: Path) -> list[AuditRecord]:
    store = SqlStore(sqlite_url(data))
    try:
        return list(store.iter_audit())
    finally:
        store.close()


@pytest.fixture(scope="module")
def signed_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A log with three signed checkpoints and records after the last one; copied for each test."""
    data = tmp_path_factory.mktemp("log") / "data"
    clock = FakeClock(NOW)
    with Server(data, None, clock) as srv:
        assert srv.app is not None
        svc = srv.app.transparency
        assert isinstance(svc, Transparency)
        for round_ in range(2):
            for i in range(3):
                srv.token(Role.DEVICE, f"gate-{round_}-{i}")
            clock.advance(60)
            assert srv.call(svc.maybe_checkpoint(force=True)) is not None
        srv.token(Role.DEVICE, "after-the-last-checkpoint")
    assert len(sizes(data)) == 3
    return data


@pytest.fixture
def data(signed_log: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    copy.mkdir()
    with db(signed_log) as src, sqlite3.connect(copy / "fairwatch.db") as dst:
        src.backup(dst)
    (copy / "keys").mkdir(mode=0o700)
    key = signed_log / "keys" / "deployment.key"
    (copy / "keys" / "deployment.key").write_bytes(key.read_bytes())
    return copy


def test_an_untouched_log_verifies_with_a_one_line_summary(data: Path) -> None:
    n, latest = len(records(data)), sizes(data)[-1]
    result = fairwatch("audit", "verify", data=data)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(
        f"audit log OK: {n} records verified against 3 signed checkpoints (latest #3 covers {latest}, key "
    )
    assert result.stdout.count("\n") == 1


def test_deleting_the_newest_records_is_named_as_truncation(data: Path) -> None:
    latest = sizes(data)[-1]
    keep = latest - 2
    with db(data) as conn:
        conn.execute("DELETE FROM audit WHERE seq > ?", (keep,))
    assert verify_chain(records(data)).ok  # the chain alone cannot see it
    result = fairwatch("audit", "verify", data=data)
    assert result.returncode == 1
    assert result.stdout == ""
    assert (
        f"audit log BROKEN: the log has {keep} records but checkpoint #3 (2026-07-02T13:48:40Z) signed {latest} "
        f"(log truncated: seq {keep + 1}..{latest} missing)\n"
    ) in result.stderr


def _recompute(log: list[AuditRecord], edit: Callable[[AuditRecord], AuditRecord]) -> list[AuditRecord]:
    out: list[AuditRecord] = []
    for r in log:
        r = edit(r)
        out.append(
            chain(out[-1] if out else None, AuditEntry(r.time, r.actor, r.action, r.object, r.details))
        )
    return out


def test_rewriting_the_whole_chain_with_recomputed_hashes_is_named(data: Path) -> None:
    first = sizes(data)[0]

    def blame_someone_else(r: AuditRecord) -> AuditRecord:
        if r.seq != 2:
            return r
        return AuditRecord(r.seq, r.time, "someone-else", r.action, r.object, r.details, r.prev_hash, r.hash)

    forged = _recompute(records(data), blame_someone_else)
    assert verify_chain(forged).ok
    with db(data) as conn:
        conn.executemany(
            "UPDATE audit SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            [(r.actor, r.prev_hash, r.hash, r.seq) for r in forged],
        )
    result = fairwatch("audit", "verify", data=data)
    assert result.returncode == 1
    assert (
        f"audit log BROKEN: records 1..{first} do not match the root signed by checkpoint #1 "
        "(2026-07-02T13:46:40Z) (log rewritten since the checkpoint)\n"
    ) in result.stderr
    assert "checkpoint #3" in result.stderr  # every later checkpoint covers the rewrite too


def test_a_forged_checkpoint_and_a_deleted_one_are_named(data: Path) -> None:
    first, second, _ = sizes(data)
    with db(data) as conn:
        conn.execute("UPDATE checkpoints SET root = ? WHERE size = ?", ("0" * 64, first))
        conn.execute("DELETE FROM checkpoints WHERE size = ?", (second,))
    result = fairwatch("audit", "verify", data=data)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert any(
        line.startswith("audit log BROKEN: checkpoint #1 (2026-07-02T13:46:40Z) of size")
        and line.endswith("(forged or altered)")
        for line in lines
    ), lines
    assert any(f"announces a checkpoint of size {second} that is no longer stored" in line for line in lines)


def test_an_auditor_verifies_with_only_the_public_key(data: Path) -> None:
    key = data / "keys" / "deployment.key"
    public = public_key_b64(load_key(key))
    key.unlink()
    without = fairwatch("audit", "verify", data=data)
    assert without.returncode == 1
    assert "signed checkpoints cannot be checked: no deployment key" in without.stderr
    assert not key.exists()  # verifying never creates a key
    result = fairwatch("audit", "verify", "--public-key", public, data=data)
    assert result.returncode == 0, result.stderr
    malformed = fairwatch("audit", "verify", "--public-key", "not-a-key", data=data)
    assert (malformed.returncode, malformed.stderr) == (
        2,
        "--public-key: not a base64 Ed25519 public key: 'not-a-key'\n",
    )
