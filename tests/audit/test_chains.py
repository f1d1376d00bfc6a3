"""One audit hash chain per partition plus `_global`: the store's `chain`, the migration of databases made with one
chain, signed roots over the chains' heads, and `fairwatch audit verify` naming the broken chain and seq."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine, text, update
from sqlalchemy.exc import IntegrityError
from typer.testing import CliRunner

from fairwatch.audit import chain, load_or_create_key, verify_chain
from fairwatch.audit.roots import ChainHead, heads_root, root_problem, sign_root, verify_chains
from fairwatch.cli import cli
from fairwatch.model import AuditEntry
from fairwatch.store import SqlStore, schema, sqlite_url
from fairwatch.store.audit_chains import migrate
from fairwatch.transparency.chainroots import prepare_root

T0 = 1_780_000_000.0
# the worked example of docs/audit.md: the single chain's hashes must not change
DOC_ENTRIES = [
    AuditEntry(1780000000.5, "op-1", "alarm-acknowledged", "alarm/7", {"note": "gate 3", "n": 2}),
    AuditEntry(1780000060.0, "op-2", "alarm-resolved", "alarm/7", {"disposition": "handled"}),
]
DOC_HASHES = [
    "e183ac1360d28e527a259f036a133f233da81604047377f4ec71b5b3135c3a6e",
    "13c3803e663ec3230b447e68abeaeba09b0f71dec16855b9cfbc61f626b72165",
]


@pytest.fixture
def pg_db(postgres_url: str) -> Iterator[str]:
    """A fresh, empty database on the session's PostgreSQL server."""
    name = "fw_" + uuid.uuid4().hex[:12]
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield postgres_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def append(store: SqlStore, n: int, tag: str = "t") -> None:
    for i in range(n):
        with store.transaction() as txn:
            txn.append_audit(AuditEntry(T0 + i, tag, "test-note", f"{tag}/{i}", {"i": i}))


def test_the_single_chain_keeps_the_documented_hashes(tmp_path: Path) -> None:
    store = SqlStore(sqlite_url(tmp_path))
    with store.transaction() as txn:
        records = [txn.append_audit(e) for e in DOC_ENTRIES]
    assert [r.hash for r in records] == DOC_HASHES
    assert [r.hash for r in store.iter_audit()] == DOC_HASHES
    assert store.audit_chain_heads() == [ChainHead("", 2, DOC_HASHES[1])]
    store.close()


def test_chains_on_one_sqlite_file_are_independent(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    single, a, b = SqlStore(url), SqlStore(url, chain="a"), SqlStore(url, chain="b")
    append(single, 2)
    append(a, 3, "a")
    append(b, 1, "b")
    assert [r.seq for r in a.iter_audit()] == [1, 2, 3]
    assert [r.seq for r in b.iter_audit()] == [1]
    assert [r.hash for r in single.iter_audit()] == [r.hash for r in single.iter_audit(1, chain="")]
    assert a.audit_head() is not None and a.audit_head().object == "a/2"  # type: ignore[union-attr]
    heads = single.audit_chain_heads()
    assert [(h.chain, h.size) for h in heads] == [("", 2), ("a", 3), ("b", 1)]
    for s in (single, a, b):
        assert verify_chain(s.iter_audit()).ok
        s.close()


def test_two_stores_on_postgresql_append_to_their_chains_concurrently(pg_db: str) -> None:
    stores = {name: SqlStore(pg_db, chain=name) for name in ("a", "b")}
    second_a = SqlStore(pg_db, chain="a")  # a second writer on chain a waits for a's lock, not b's
    start = threading.Barrier(3)

    def run(store: SqlStore, tag: str) -> None:
        start.wait()
        append(store, 40, tag)

    threads = [
        threading.Thread(target=run, args=(stores["a"], "a1")),
        threading.Thread(target=run, args=(stores["b"], "b")),
        threading.Thread(target=run, args=(second_a, "a2")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    a, b = list(stores["a"].iter_audit()), list(stores["b"].iter_audit())
    assert [r.seq for r in a] == list(range(1, 81)) and {r.actor for r in a} == {"a1", "a2"}
    assert [r.seq for r in b] == list(range(1, 41))
    assert verify_chain(a).ok and verify_chain(b).ok
    for s in (*stores.values(), second_a):
        s.close()


# -- migration of a database made before chains -------------------------------------------------------------------
def _old_audit(metadata: MetaData) -> Table:
    """The audit table exactly as every version before chains made it (seq alone the primary key)."""
    return Table(
        "audit",
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=False),
        Column("time", Float, nullable=False),
        Column("actor", String(128), nullable=False),
        Column("action", String(64), nullable=False),
        Column("object", String(256), nullable=False),
        Column("details", Text, nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
    )


def _make_old_database(url: str) -> list[str]:
    """A database with the old audit table holding the documented records; returns their hashes."""
    old = MetaData()
    table = _old_audit(old)
    engine = create_engine(url)
    old.create_all(engine)
    prev = None
    with engine.begin() as conn:
        conn.execute(text("CREATE INDEX ix_audit_object ON audit (object, seq)"))
        for entry in DOC_ENTRIES:
            prev = chain(prev, entry)
            conn.execute(
                table.insert().values(
                    seq=prev.seq,
                    time=prev.time,
                    actor=prev.actor,
                    action=prev.action,
                    object=prev.object,
                    details='{"n":2,"note":"gate 3"}' if prev.seq == 1 else '{"disposition":"handled"}',
                    prev_hash=prev.prev_hash,
                    hash=prev.hash,
                )
            )
    engine.dispose()
    return DOC_HASHES


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_database_made_before_chains_is_migrated_in_place(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = sqlite_url(tmp_path) if backend == "sqlite" else request.getfixturevalue("pg_db")
    hashes = _make_old_database(url)
    store = SqlStore(url)
    assert [r.hash for r in store.iter_audit()] == hashes
    append(store, 1)  # the single chain goes on at seq 3
    assert [r.seq for r in store.iter_audit()] == [1, 2, 3] and verify_chain(store.iter_audit()).ok
    other = SqlStore(url, chain="a")  # opening again migrates nothing; seq 1 is free in another chain
    append(other, 1, "a")
    assert migrate(store.engine, store.dialect) is False
    assert [(h.chain, h.size) for h in store.audit_chain_heads()] == [("", 3), ("a", 1)]
    duplicate = schema.audit.insert().values(
        seq=1, time=0.0, actor="x", action="x", object="x", details="{}", prev_hash="0", hash="0"
    )
    # (chain, seq) is the key: a second seq 1 in chain "" is refused
    with store.engine.connect() as conn, pytest.raises(IntegrityError):
        conn.execute(duplicate)
    store.close()
    other.close()


# -- signed roots -----------------------------------------------------------------------------------------------
def test_a_root_over_heads_is_order_independent_and_signed() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    heads = [ChainHead("b", 2, "ab" * 32), ChainHead("_global", 1, "cd" * 32), ChainHead("a", 5, "ef" * 32)]
    assert heads_root(heads) == heads_root(reversed(heads))
    signed = sign_root(key, heads, T0)
    assert [h.chain for h in signed.heads] == ["_global", "a", "b"]
    assert root_problem(key.public_key(), signed) is None
    problem = root_problem(other.public_key(), signed)
    assert problem is not None and "forged or altered" in problem
    moved = type(signed)(
        signed.time,
        signed.root,
        (ChainHead("_global", 2, "cd" * 32), *signed.heads[1:]),
        signed.key_id,
        signed.signature,
    )
    assert root_problem(key.public_key(), moved) == "its chain heads are not the signed root (heads altered)"
    with pytest.raises(ValueError, match="named twice"):
        heads_root([ChainHead("a", 1, "ab" * 32), ChainHead("a", 2, "ab" * 32)])


def _cluster_log(url: str, key: Ed25519PrivateKey) -> SqlStore:
    """Chains _global, a and b with records, and a signed root over them stored; returns the _global store."""
    stores = {n: SqlStore(url, chain=n) for n in ("_global", "a", "b")}
    append(stores["_global"], 2, "g")
    append(stores["a"], 3, "a")
    append(stores["b"], 6, "b")
    outcome = prepare_root(stores["_global"], key, T0 + 100)
    assert outcome.problem is None and outcome.signed is not None
    with stores["_global"].transaction() as txn:
        txn.insert_root(outcome.signed)
    append(stores["b"], 2, "b2")  # records after the root
    for n in ("a", "b"):
        stores[n].close()
    return stores["_global"]


def _verify(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["audit", "verify", *args])
    return result.exit_code, result.stdout, result.stderr


def test_audit_verify_reports_every_chain_and_the_signed_root(tmp_path: Path) -> None:
    key_file = tmp_path / "deployment.key"
    key = load_or_create_key(key_file)
    store = _cluster_log(sqlite_url(tmp_path), key)
    code, out, err = _verify("--data", str(tmp_path), "--key-file", str(key_file))
    assert (code, err) == (0, "")
    assert "chain _global: 2 records OK" in out and "chain a: 3 records OK" in out
    assert "chain b: 8 records OK" in out
    assert "13 records in 3 chains verified against 1 signed root (latest #1 covers 3 chains" in out

    other = tmp_path / "other.key"
    load_or_create_key(other)
    code, _, err = _verify("--data", str(tmp_path), "--key-file", str(other))
    assert code == 1 and "signed root #1" in err and "forged or altered" in err
    store.close()


def test_a_tampered_record_in_chain_b_is_named_by_chain_and_seq(pg_db: str, tmp_path: Path) -> None:
    key_file = tmp_path / "deployment.key"
    store = _cluster_log(pg_db, load_or_create_key(key_file))
    a = schema.audit.c
    with store.engine.begin() as conn:
        conn.execute(update(schema.audit).where(a.chain == "b", a.seq == 4).values(actor="someone else"))
    code, out, err = _verify("--database-url", pg_db, "--key-file", str(key_file))
    assert code == 1
    assert "audit log BROKEN: chain b: seq 4: hash mismatch (record edited)" in err
    assert "chain a: 3 records OK" in out and "chain b" not in out
    store.close()


def test_a_chain_truncated_below_its_signed_head_is_found(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    store = _cluster_log(sqlite_url(tmp_path), key)
    a = schema.audit.c
    with store.engine.begin() as conn:
        conn.execute(schema.audit.delete().where(a.chain == "b", a.seq > 4))
    chains = ((h.chain, store.iter_audit(1, chain=h.chain)) for h in store.audit_chain_heads())
    report = verify_chains(chains, store.list_roots(), key.public_key())
    assert report.problems == (
        "chain b: has 4 records but signed root #1 (2026-05-28T20:28:20Z) signed 6 (chain truncated: seq 5..6 missing)",
    )
    # and the checkpointer refuses to sign over it
    outcome = prepare_root(store, key, T0 + 200)
    assert outcome.signed is None and outcome.problem is not None and "chain b" in outcome.problem
    store.close()


def test_a_broken_chain_is_never_signed(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    url = sqlite_url(tmp_path)
    b = SqlStore(url, chain="b")
    append(b, 3, "b")
    with b.engine.begin() as conn:
        conn.execute(update(schema.audit).where(schema.audit.c.seq == 2).values(object="x"))
    outcome = prepare_root(b, key, T0)
    assert outcome.signed is None and outcome.problem == "chain b: seq 2: hash mismatch (record edited)"
    b.close()


# -- --database-url wherever --data is taken ------------------------------------------------------------------------
def _commands() -> Iterator[tuple[str, list[str]]]:
    """(command path, its option names) of every command, found by typer's own introspection."""
    import typer.main

    def walk(command: Any, path: str) -> Iterator[tuple[str, list[str]]]:
        if hasattr(command, "commands"):  # a group
            for name, sub in command.commands.items():
                yield from walk(sub, f"{path} {name}".strip())
        else:
            yield path, [opt for p in command.params for opt in p.opts]

    yield from walk(typer.main.get_command(cli), "")


def test_every_command_that_takes_data_takes_database_url() -> None:
    with_data = {path: opts for path, opts in _commands() if "--data" in opts}
    assert {"token create", "user create", "audit verify", "serve", "purge"} <= set(with_data)
    assert [path for path, opts in with_data.items() if "--database-url" not in opts] == []
    assert "--key-file" in dict(_commands())["audit verify"]
