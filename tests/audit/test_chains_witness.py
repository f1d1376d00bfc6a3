"""The witness and the public export understand a cluster's audit chains: the export carries the latest signed root
over the chains' heads, and the witness checks it and remembers it (a chain that shrinks, vanishes or changes its
head at a size seen before is named). Through real HTTP, like the single chain's witness tests."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update

from fairwatch.audit import load_key
from fairwatch.clock import FakeClock
from fairwatch.model import AuditEntry
from fairwatch.settings import Settings
from fairwatch.store import SqlStore, schema, sqlite_url
from fairwatch.transparency import key_path
from fairwatch.transparency.chainroots import prepare_root
from tests.harness import Server
from tests.transparency.helpers import RULES, START, export, witness


def grow(data: Path, chain: str, n: int, at: float) -> None:
    store = SqlStore(sqlite_url(data), chain=chain)
    for i in range(n):
        with store.transaction() as txn:
            txn.append_audit(AuditEntry(at + i, chain, "test-note", f"{chain}/{i}", {"i": i}))
    store.close()


def sign(data: Path, at: float) -> None:
    """What the cluster's checkpointer does: sign the root over every chain's head and store it."""
    key = load_key(key_path(Settings(data=data)))
    store = SqlStore(sqlite_url(data))
    outcome = prepare_root(store, key, at)
    assert outcome.problem is None and outcome.signed is not None
    with store.transaction() as txn:
        txn.insert_root(outcome.signed)
    store.close()


def test_the_witness_checks_and_remembers_the_signed_root(tmp_path: Path) -> None:
    data, seen, clock = tmp_path / "data", tmp_path / "witness", FakeClock(START)
    with Server(data, RULES, clock) as srv:
        grow(data, "a", 3, START)
        grow(data, "b", 6, START)
        sign(data, START + 10)
        doc = export(srv)
        assert [h["chain"] for h in doc["root"]["heads"]] == ["", "a", "b"]
        code, out, err = witness(srv.url, seen, "--pin")
        assert (code, err) == (0, ""), err
        assert "signed root over 3 chains" in out and "consistent with 0 saved before" in out
        grow(data, "a", 2, START + 20)
        sign(data, START + 30)
        code, out, err = witness(srv.url, seen)
        assert (code, err) == (0, ""), err
        assert "signed root over 3 chains" in out and "consistent with 1 saved before" in out

        # someone deletes chain b's newest records and the roots, and the checkpointer signs the shorter chain
        with SqlStore(sqlite_url(data)).engine.begin() as conn:
            conn.execute(schema.audit.delete().where(schema.audit.c.chain == "b", schema.audit.c.seq > 4))
            conn.execute(schema.audit_roots.delete())
        sign(data, START + 40)
        saved = (seen / "witness.json").read_bytes()
        code, out, err = witness(srv.url, seen)
        assert code == 1 and out == ""
        assert "FAILED: chain b truncated: the root seen at time" in err
        assert "covered 6 records, the export's root 4" in err
        assert (seen / "witness.json").read_bytes() == saved  # nothing saved on a failure


def test_records_deleted_below_the_signed_root_fail_the_witness(tmp_path: Path) -> None:
    data, seen, clock = tmp_path / "data", tmp_path / "witness", FakeClock(START)
    with Server(data, RULES, clock) as srv:
        grow(data, "b", 6, START)
        sign(data, START + 10)
        assert witness(srv.url, seen, "--pin")[0] == 0
        with SqlStore(sqlite_url(data)).engine.begin() as conn:  # no new root: the live chain is shorter
            conn.execute(schema.audit.delete().where(schema.audit.c.chain == "b", schema.audit.c.seq > 2))
        code, _, err = witness(srv.url, seen)
        assert code == 1
        assert (
            "FAILED: chain b truncated: the signed root covers 6 records but the chain now has only 2" in err
        )


def test_a_root_whose_heads_were_altered_fails_the_witness(tmp_path: Path) -> None:
    data, seen, clock = tmp_path / "data", tmp_path / "witness", FakeClock(START)
    with Server(data, RULES, clock) as srv:
        grow(data, "a", 3, START)
        sign(data, START + 10)
        with SqlStore(sqlite_url(data)).engine.begin() as conn:
            heads = conn.execute(schema.audit_roots.select()).first().heads  # type: ignore[union-attr]
            conn.execute(update(schema.audit_roots).values(heads=heads.replace('"size":3', '"size":2')))
        code, _, err = witness(srv.url, seen, "--pin")
        assert code == 1
        assert (
            "the export's signed root over 2 chains: its chain heads are not the signed root (heads altered)"
            in err
        )
