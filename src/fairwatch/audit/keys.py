"""The deployment's Ed25519 signing key: created once with mode 0600, PEM PKCS8, never leaves the file."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from fairwatch.errors import ConfigError

AnyKey = Ed25519PrivateKey | Ed25519PublicKey


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """Load the Ed25519 key at `path`, or create it there (mode 0600) if the file does not exist."""
    if not path.exists():
        _create_key(path)
    return load_key(path)


def _create_key(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask may only narrow the mode, but be explicit
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    # link, not rename: if another process created the key meanwhile, keep theirs and load it
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_key(path: Path) -> Ed25519PrivateKey:
    """Load the Ed25519 key at `path` without creating it; a missing or unreadable file is a ConfigError."""
    try:
        pem = path.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the deployment key ({exc.strerror or exc})"]) from None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError([f"{path}: not an unencrypted PEM PKCS8 private key"]) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError([f"{path}: holds a private key that is not Ed25519"])
    return key


def _public(key: AnyKey) -> Ed25519PublicKey:
    return key.public_key() if isinstance(key, Ed25519PrivateKey) else key


def public_key_raw(key: AnyKey) -> bytes:
    """The 32 raw bytes of the public key."""
    return _public(key).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_b64(key: AnyKey) -> str:
    """The raw public key in standard base64 (44 characters), as published."""
    return base64.b64encode(public_key_raw(key)).decode("ascii")


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    """Parse a public key published by `public_key_b64`."""
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise ValueError(f"not a base64 Ed25519 public key: {text!r}") from exc


def key_id(public_key: AnyKey) -> str:
    """First 16 hex digits of SHA-256 over the raw public key."""
    return hashlib.sha256(public_key_raw(public_key)).hexdigest()[:16]
