"""Signed checkpoints and the deployment key; verification of small logs against a checkpoint."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fairwatch.audit import (
    Checkpoint,
    VerifyResult,
    checkpoint_message,
    key_id,
    load_or_create_key,
    merkle_root,
    public_key_b64,
    public_key_from_b64,
    public_key_raw,
    record_leaf,
    sign_checkpoint,
    verify_against_checkpoint,
    verify_checkpoint,
)
from fairwatch.errors import ConfigError
from fairwatch.model import AuditRecord
from tests.audit.audit_samples import build, edit, entries, extend

# RFC 8032 §7.1 test 1
SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
KEY = Ed25519PrivateKey.from_private_bytes(SECRET)
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(32))
ROOT = "ab" * 32
NOW = 1_790_000_000.25


def test_public_key_forms() -> None:
    assert public_key_raw(KEY) == PUBLIC
    assert public_key_b64(KEY) == base64.b64encode(PUBLIC).decode() == public_key_b64(KEY.public_key())
    assert key_id(KEY) == hashlib.sha256(PUBLIC).hexdigest()[:16] == key_id(KEY.public_key())
    assert public_key_raw(public_key_from_b64(public_key_b64(KEY))) == PUBLIC


@pytest.mark.parametrize(
    "text", ["not base64!", base64.b64encode(b"short").decode()], ids=["not-base64", "wrong-length"]
)
def test_public_key_from_bad_b64(text: str) -> None:
    with pytest.raises(ValueError) as info:
        public_key_from_b64(text)
    assert str(info.value) == f"not a base64 Ed25519 public key: {text!r}"


MESSAGES: list[tuple[str, int, float, bytes]] = [
    # (id, size, time, exact signed bytes with ROOT)
    ("fraction", 3, NOW, f"fairwatch-checkpoint/v1\n3\n{ROOT}\n1790000000.25\n".encode()),
    ("whole-seconds", 0, 1_790_000_000, f"fairwatch-checkpoint/v1\n0\n{ROOT}\n1790000000.0\n".encode()),
]


@pytest.mark.parametrize(
    ("size", "time", "expected"), [c[1:] for c in MESSAGES], ids=[c[0] for c in MESSAGES]
)
def test_checkpoint_message(size: int, time: float, expected: bytes) -> None:
    assert checkpoint_message(size, ROOT, time) == expected


def test_sign_and_verify() -> None:
    cp = sign_checkpoint(KEY, 3, bytes.fromhex(ROOT), NOW)
    assert (cp.size, cp.root, cp.time, cp.key_id) == (3, ROOT, NOW, key_id(KEY))
    assert verify_checkpoint(KEY.public_key(), cp)
    # checked without our code: the signature is over the documented text
    KEY.public_key().verify(
        base64.b64decode(cp.signature), f"fairwatch-checkpoint/v1\n3\n{ROOT}\n1790000000.25\n".encode()
    )


def _flip_signature(cp: Checkpoint) -> Checkpoint:
    raw = bytearray(base64.b64decode(cp.signature))
    raw[10] ^= 1
    return dataclasses.replace(cp, signature=base64.b64encode(raw).decode())


GOOD = sign_checkpoint(KEY, 3, ROOT, NOW)
TAMPERED: list[tuple[str, Checkpoint]] = [
    ("size", dataclasses.replace(GOOD, size=4)),
    ("root", dataclasses.replace(GOOD, root="cd" * 32)),
    ("root-uppercase", dataclasses.replace(GOOD, root=ROOT.upper())),
    ("time", dataclasses.replace(GOOD, time=NOW + 1)),
    ("key-id", dataclasses.replace(GOOD, key_id=key_id(OTHER_KEY))),
    ("signature-bit", _flip_signature(GOOD)),
    ("signature-not-base64", dataclasses.replace(GOOD, signature="!!" + GOOD.signature[2:])),
    ("signature-truncated", dataclasses.replace(GOOD, signature=GOOD.signature[:-8])),
    ("negative-size", dataclasses.replace(GOOD, size=-1)),
    ("other-signer", dataclasses.replace(sign_checkpoint(OTHER_KEY, 3, ROOT, NOW), key_id=key_id(KEY))),
]


@pytest.mark.parametrize("cp", [c[1] for c in TAMPERED], ids=[c[0] for c in TAMPERED])
def test_tampered_checkpoint_refused(cp: Checkpoint) -> None:
    assert not verify_checkpoint(KEY.public_key(), cp)


def test_checkpoint_refused_with_another_key() -> None:
    assert not verify_checkpoint(OTHER_KEY.public_key(), GOOD)


NEED = "need size >= 0, 64 lowercase hex digits and a finite time"
SIGN_ERRORS: list[tuple[str, int, str, float, str]] = [
    # (id, size, root, time, exact message)
    (
        "negative-size",
        -1,
        ROOT,
        NOW,
        f"cannot sign size -1, root {ROOT!r}, time {NOW!r}: {NEED}",
    ),
    (
        "short-root",
        1,
        "abc",
        NOW,
        f"cannot sign size 1, root 'abc', time {NOW!r}: {NEED}",
    ),
    (
        "nan-time",
        1,
        ROOT,
        float("nan"),
        f"cannot sign size 1, root {ROOT!r}, time nan: {NEED}",
    ),
]


@pytest.mark.parametrize(
    ("size", "root", "time", "message"), [c[1:] for c in SIGN_ERRORS], ids=[c[0] for c in SIGN_ERRORS]
)
def test_sign_refuses(size: int, root: str, time: float, message: str) -> None:
    with pytest.raises(ValueError) as info:
        sign_checkpoint(KEY, size, root, time)
    assert str(info.value) == message


def test_checkpoint_survives_json() -> None:
    loaded = Checkpoint.from_dict(orjson.loads(orjson.dumps(GOOD.as_dict())))
    assert loaded == GOOD
    assert verify_checkpoint(KEY.public_key(), loaded)


# --- the key file ---------------------------------------------------------------------------------------


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would leave new files world-readable, to show the key file does not rely on it."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_key_file_created_0600_and_reloaded(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "keys" / "audit.pem"
    created = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----\n")
    content = path.read_bytes()
    reloaded = load_or_create_key(path)
    assert public_key_raw(reloaded) == public_key_raw(created)
    assert _secret(reloaded) == _secret(created)
    assert path.read_bytes() == content
    assert sorted(p.name for p in path.parent.iterdir()) == ["audit.pem"]


def _secret(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def test_existing_key_file_is_used(tmp_path: Path) -> None:
    path = tmp_path / "audit.pem"
    pem = KEY.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_bytes(pem)
    assert public_key_raw(load_or_create_key(path)) == PUBLIC


def _ec_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


KEY_FILE_ERRORS: list[tuple[str, Callable[[], bytes], str]] = [
    # (id, file content, exact message after the path)
    ("garbage", lambda: b"not a key\n", "not an unencrypted PEM PKCS8 private key"),
    ("empty", lambda: b"", "not an unencrypted PEM PKCS8 private key"),
    ("not-ed25519", _ec_pem, "holds a private key that is not Ed25519"),
]


@pytest.mark.parametrize(
    ("content", "message"), [c[1:] for c in KEY_FILE_ERRORS], ids=[c[0] for c in KEY_FILE_ERRORS]
)
def test_bad_key_file(tmp_path: Path, content: Callable[[], bytes], message: str) -> None:
    path = tmp_path / "audit.pem"
    path.write_bytes(content())
    with pytest.raises(ConfigError) as info:
        load_or_create_key(path)
    assert str(info.value) == f"{path}: {message}"


# --- small logs against a checkpoint (the 100,000-record cases are in test_audit_tamper) -----------------

Log = list[AuditRecord]
LOG = build(1000)


def _cp(size: int, signer: Ed25519PrivateKey = KEY) -> Checkpoint:
    return sign_checkpoint(signer, size, merkle_root(record_leaf(r) for r in LOG[:size]), NOW)


def _rechained_from(seq: int) -> Log:
    return extend(LOG[: seq - 1], entries(1000 - seq + 1, start=seq, actor="intruder"))


REWRITTEN = "(log rewritten since the checkpoint)"
FORGED = f"does not verify with key {key_id(KEY)} (forged or altered)"
SMALL: list[tuple[str, Log, Checkpoint, VerifyResult]] = [
    # (id, log, checkpoint, expected result without last_hash)
    ("untouched-full", LOG, _cp(1000), VerifyResult(True, 1000, None, None)),
    ("untouched-older", LOG, _cp(600), VerifyResult(True, 1000, None, None)),
    ("empty-checkpoint-empty-log", [], _cp(0), VerifyResult(True, 0, None, None)),
    ("empty-checkpoint-any-log", LOG, _cp(0), VerifyResult(True, 1000, None, None)),
    (
        "last-record-deleted",
        LOG[:-1],
        _cp(1000),
        VerifyResult(
            False,
            999,
            1000,
            "seq 1000: log ends after 999 records but the checkpoint covers 1000 "
            "(log truncated: seq 1000 missing)",
        ),
    ),
    (
        "emptied",
        [],
        _cp(600),
        VerifyResult(
            False,
            0,
            1,
            "seq 1: log ends after 0 records but the checkpoint covers 600 "
            "(log truncated: seq 1..600 missing)",
        ),
    ),
    (
        "rewritten-from-first",
        _rechained_from(1),
        _cp(600),
        VerifyResult(
            False,
            600,
            None,
            f"the Merkle root of seq 1..600 does not match the signed checkpoint {REWRITTEN}",
        ),
    ),
    (
        "rewritten-last-covered",
        _rechained_from(600),
        _cp(600),
        VerifyResult(
            False,
            600,
            None,
            f"the Merkle root of seq 1..600 does not match the signed checkpoint {REWRITTEN}",
        ),
    ),
    # a checkpoint vouches only for what it covers; later records rest on the chain and newer checkpoints
    ("rewritten-after-coverage", _rechained_from(601), _cp(600), VerifyResult(True, 1000, None, None)),
    (
        "truncated-and-regrown",
        extend(LOG[:990], entries(20, start=991, actor="intruder")),
        _cp(1000),
        VerifyResult(
            False,
            1000,
            None,
            f"the Merkle root of seq 1..1000 does not match the signed checkpoint {REWRITTEN}",
        ),
    ),
    (
        "chain-break-named-first",
        edit(LOG, 314, actor="someone-else"),
        _cp(1000),
        VerifyResult(False, 313, 314, "seq 314: hash mismatch (record edited)"),
    ),
    (
        "checkpoint-size-altered",
        LOG,
        dataclasses.replace(_cp(600), size=601),
        VerifyResult(False, 0, None, f"checkpoint of size 601 {FORGED}"),
    ),
    (
        "checkpoint-from-another-key",
        LOG,
        _cp(600, OTHER_KEY),
        VerifyResult(False, 0, None, f"checkpoint of size 600 {FORGED}"),
    ),
]


@pytest.mark.parametrize(("log", "cp", "expected"), [c[1:] for c in SMALL], ids=[c[0] for c in SMALL])
def test_small_log_against_checkpoint(log: Log, cp: Checkpoint, expected: VerifyResult) -> None:
    result = verify_against_checkpoint(iter(log), cp, KEY.public_key())
    assert dataclasses.replace(result, last_hash="") == dataclasses.replace(expected, last_hash="")
