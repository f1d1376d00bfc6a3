"""The witness round trip: `fairwatch transparency verify` passes on an honest deployment and fails, naming
what is wrong, after each kind of tampering with the stopped deployment's SQLite file."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fairwatch.audit import chain, key_id, load_or_create_key, public_key_b64
from fairwatch.clock import FakeClock
from fairwatch.model import AuditEntry, AuditRecord
from fairwatch.taxonomy import Taxonomy
from tests.harness import Server
from tests.services import free_port
from tests.transparency.helpers import (
    RULES,
    SITE_TAXONOMY,
    SITE_TYPE,
    START,
    append,
    records,
    service,
    sql,
    witness,
)


@dataclass
class Deployment:
    """One deployment's data directory, restarted as often as a test likes, and one witness of it."""

    root: Path
    clock: FakeClock = field(default_factory=lambda: FakeClock(START))

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def seen(self) -> Path:
        return self.root / "witness"

    @contextmanager
    def running(self, **settings: object) -> Iterator[Server]:
        self.clock.advance(60)
        with Server(self.data, RULES, self.clock, **settings) as srv:
            yield srv

    def grow(self, srv: Server, n: int = 50) -> None:
        """n more records and a checkpoint over them."""
        append(srv, n)
        self.clock.advance(300)
        assert srv.call(service(srv).maybe_checkpoint()) is not None

    def verify(self, srv: Server) -> tuple[int, str, str]:
        first = not (self.seen / "witness.json").exists()
        return witness(srv.url, self.seen, *(["--pin"] if first else []))

    def ok(self, srv: Server, *flags: str) -> str:
        """Verifies; exit 3 with exactly these FLAGGED lines when changes are expected, else exit 0."""
        code, out, err = self.verify(srv)
        assert (code, err) == ((3 if flags else 0), ""), err
        assert [line[9:] for line in out.splitlines() if line.startswith("FLAGGED: ")] == list(flags)
        return out

    def fails(self, *messages: str) -> str:
        """Restart and witness: exit 1, each message on its own FAILED line; the witness's memory untouched."""
        saved = (self.seen / "witness.json").read_bytes()
        with self.running() as srv:
            code, out, err = self.verify(srv)
        assert (code, out) == (1, "")
        for message in messages:
            assert f"FAILED: {message}\n" in err, err
        assert (self.seen / "witness.json").read_bytes() == saved
        return err


@pytest.fixture
def dep(tmp_path: Path) -> Deployment:
    """A deployment that grew to a few checkpoints, witnessed twice."""
    d = Deployment(tmp_path)
    with d.running() as srv:
        d.ok(srv)
        d.grow(srv)
        d.ok(srv)
    return d


def signed_size(d: Deployment) -> int:
    return int(json.loads((d.seen / "witness.json").read_text())["checkpoints"][-1]["size"])


def test_an_honest_deployment_verifies_again_and_again(tmp_path: Path) -> None:
    d = Deployment(tmp_path)
    with d.running() as srv:
        first = d.ok(srv)
        latest = service(srv).latest
        assert latest is not None
        assert first.startswith(
            f"OK: key {latest.key_id}, signed checkpoint of size {latest.size} consistent"
        )
        assert (
            "consistent with 0 saved before" in first
            and f"{len(Taxonomy.builtin().all())} alarm types, none vanished" in first
        )
        assert "consistent with 1 saved before" in d.ok(srv)  # the same checkpoint is kept once
        d.grow(srv, 1000)
        assert "consistent with 1 saved before" in d.ok(srv)
    with d.running() as srv:  # a restart signs a new checkpoint that extends the old ones
        assert "consistent with 2 saved before" in d.ok(srv)
    state = json.loads((d.seen / "witness.json").read_text())
    assert [c["size"] for c in state["checkpoints"]] == sorted(c["size"] for c in state["checkpoints"])
    assert len(state["checkpoints"]) == 3 and len(state["types"]) == len(Taxonomy.builtin().all())


def test_a_silently_deleted_type(tmp_path: Path) -> None:
    d = Deployment(tmp_path)
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(SITE_TAXONOMY)
    with d.running(taxonomy=taxonomy) as srv:
        d.ok(srv)
    with d.running() as srv:  # dropped from the site file: published as a tombstone, still fine
        d.ok(srv, f"alarm type '{SITE_TYPE}' changed status: active -> removed")
    # someone removes every trace of it from the type history (kept in the audit log)
    for seq, details in sql(d.data, "SELECT seq, details FROM audit WHERE action = 'taxonomy-recorded'"):
        data = orjson.loads(details)
        data["types"].pop(SITE_TYPE, None)
        data["removed"] = [t for t in data["removed"] if t != SITE_TYPE]
        sql(d.data, "UPDATE audit SET details = ? WHERE seq = ?", orjson.dumps(data).decode(), seq)
    err = d.fails(
        f"alarm type '{SITE_TYPE}' vanished from the export (last seen with status 'removed'): "
        "types are never deleted, only retired"
    )
    assert "integrity check: audit log: seq " in err and ": hash mismatch (record edited)" in err


def test_an_edited_audit_record(dep: Deployment) -> None:
    sql(dep.data, "UPDATE audit SET actor = 'nobody' WHERE seq = 5")
    dep.fails(
        "the deployment reports itself non-compliant: integrity check: audit log: seq 5: hash mismatch "
        "(record edited)"
    )


def test_a_truncated_log(dep: Deployment) -> None:
    size = signed_size(dep)
    sql(dep.data, "DELETE FROM audit WHERE seq > 10")
    err = dep.fails()
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith(
        f"FAILED: log truncated: the signed checkpoint covers {size} records but the log now"
    )
    assert lines[1].startswith(
        "FAILED: the deployment reports itself non-compliant: integrity check: audit log: "
    )
    assert lines[1].endswith(f"but the checkpoint covers {size} (log truncated: seq 13..{size} missing)")


def rechain(log: list[AuditRecord]) -> list[AuditRecord]:
    """The log with seq 3 edited and every hash recomputed: a valid chain that tells another story."""
    out: list[AuditRecord] = []
    for r in log:
        details = {**r.details, "rewritten": True} if r.seq == 3 else r.details
        out.append(chain(out[-1] if out else None, AuditEntry(r.time, r.actor, r.action, r.object, details)))
    return out


def rewrite(data: Path) -> None:
    fresh = rechain(records(data))
    sql(data, "DELETE FROM audit")
    for r in fresh:
        row = (
            r.seq,
            r.time,
            r.actor,
            r.action,
            r.object,
            orjson.dumps(r.details).decode(),
            r.prev_hash,
            r.hash,
        )
        sql(
            data,
            "INSERT INTO audit (seq, time, actor, action, object, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            *row,
        )


def test_a_rewritten_history(dep: Deployment) -> None:
    size = signed_size(dep)
    rewrite(dep.data)
    err = dep.fails(
        "the deployment reports itself non-compliant: integrity check: audit log: the Merkle root of seq "
        f"1..{size} does not match the signed checkpoint (log rewritten since the checkpoint)"
    )
    assert f"is not consistent with the signed checkpoint of size {size}\n" in err
    assert "FAILED: log rewritten: the live log (" in err


def test_a_rewritten_history_with_its_checkpoints_removed(dep: Deployment) -> None:
    # a thorough forger also drops the stored checkpoints, so the deployment signs the new story afresh
    saved = json.loads((dep.seen / "witness.json").read_text())["checkpoints"]
    rewrite(dep.data)
    sql(dep.data, "DELETE FROM checkpoints")
    err = dep.fails()
    for cp in saved:
        seen = f"the checkpoint of size {cp['size']} seen at time {cp['time']}"
        assert f"FAILED: log rewritten: {seen} is not consistent with the export's checkpoint of size " in err
    assert "non-compliant" not in err  # the deployment cannot tell; only a witness can


def test_a_restored_old_backup(tmp_path: Path) -> None:
    d = Deployment(tmp_path)
    with d.running() as srv:
        d.ok(srv)
    shutil.copy(d.data / "fairwatch.db", tmp_path / "backup.db")
    with d.running() as srv:
        d.grow(srv)
        d.ok(srv)
    size = signed_size(d)
    shutil.copy(tmp_path / "backup.db", d.data / "fairwatch.db")
    err = d.fails()
    assert f"FAILED: log truncated: the checkpoint of size {size} seen at time " in err
    assert "covers more records than the export's checkpoint (" in err


def test_a_replaced_deployment_key(dep: Deployment) -> None:
    key_file = dep.data / "keys" / "deployment.key"
    old = key_id(load_or_create_key(key_file))
    new_key = Ed25519PrivateKey.generate()
    key_file.write_bytes(
        new_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    new = key_id(new_key)
    err = dep.fails(
        f"deployment key changed: pinned key {old}, the export publishes {new}; trust it with --trust-key "
        f"{public_key_b64(new_key)} only if the deployment announced it",
        f"the export's signature does not verify with key {old}",
    )
    # the stored checkpoints still carry the old key's signatures, which the new key cannot vouch for
    why = f"checkpoint of size {signed_size(dep)} does not verify with key {key_id(new_key)} (forged or altered)"
    assert f"FAILED: the deployment reports itself non-compliant: integrity check: audit log: {why}\n" in err


def test_an_unreachable_deployment(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = witness(url, tmp_path / "w")
    assert (code, out) == (1, "")
    assert err.startswith(f"FAILED: cannot fetch {url}/.well-known/alarm-taxonomy.json: ")
    assert not (tmp_path / "w" / "witness.json").exists()
