"""The public taxonomy export (RS-7, RS-15): every type ever defined, the rules, zones and event schemas in force
(each as id + SHA-256), policy, signed checkpoint, key and compliance, signed as a whole with the deployment key.

The history of types lives in the audit log itself (`taxonomy-recorded` records), so deleting a type from it
breaks the hash chain; a type that leaves the configuration stays published as a `removed` tombstone; the
configuration in force is recorded there too (`configuration-recorded`). Each export names the SHA-256 of the one
before, so exports form a chain too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from fairwatch.audit import Checkpoint, canonical_json, key_id
from fairwatch.audit.roots import SignedRoot
from fairwatch.model import AuditRecord

FORMAT = "fairwatch-alarm-taxonomy/v1"
TAXONOMY_OBJECT = "taxonomy"
RECORDED = "taxonomy-recorded"
REMOVED = "removed"
HEAD_KEY = "transparency.export.head"
LINK_PREFIX = "transparency.export/"
SIGNATURE = "signature"
LINK = "previous_export_sha256"


# -- type history --------------------------------------------------------------------------------------------
def fold_history(records: Iterable[AuditRecord]) -> dict[str, dict[str, Any]]:
    """Every type the `taxonomy-recorded` audit records ever defined, as last recorded."""
    types: dict[str, dict[str, Any]] = {}
    for record in records:
        if record.action != RECORDED:
            continue
        for type_id, definition in dict(record.details.get("types") or {}).items():
            types[str(type_id)] = dict(definition)
        for type_id in record.details.get("removed") or ():
            if type_id in types:
                types[type_id] = {**types[type_id], "status": REMOVED}
    return types


def history_change(
    history: Mapping[str, Mapping[str, Any]], current: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The `taxonomy-recorded` details that bring `history` up to `current`, or None when nothing changed."""
    changed = {type_id: dict(d) for type_id, d in current.items() if history.get(type_id) != d}
    removed = sorted(t for t, d in history.items() if t not in current and d.get("status") != REMOVED)
    if not changed and not removed:
        return None
    return {"types": changed, "removed": removed}


# -- the document --------------------------------------------------------------------------------------------
def body(
    types: Mapping[str, Mapping[str, Any]],
    policy: Mapping[str, Any],
    deployment: Mapping[str, Any],
    checkpoint: Checkpoint | None,
    compliance: Mapping[str, Any],
    configuration: Mapping[str, Any] | None = None,
    root: SignedRoot | None = None,
) -> dict[str, Any]:
    """The export without its link to the previous one (and without its signature). A cluster's export also
    carries `root`, the latest signed root over its audit chains' heads (absent for the single process)."""
    doc = {
        "format": FORMAT,
        "deployment": dict(deployment),
        "policy": dict(policy),
        "types": [dict(types[t]) for t in sorted(types)],
        "configuration": dict(configuration or {}),
        "checkpoint": checkpoint.as_dict() if checkpoint is not None else None,
        "compliance": dict(compliance),
        "proofs": {
            "head": "/api/v1/transparency/head",
            "inclusion": "/api/v1/transparency/inclusion?seq={seq}&size={size}",
            "consistency": "/api/v1/transparency/consistency?from={from}&to={to}",
        },
    }
    if root is not None:
        doc["root"] = root.as_dict()
    return doc


def signed_bytes(doc: Mapping[str, Any]) -> bytes:
    """What the export's signature covers: its canonical JSON without the signature and the link."""
    return canonical_json({k: v for k, v in doc.items() if k not in (SIGNATURE, LINK)})


def sign(doc: Mapping[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The export with an Ed25519 signature over `signed_bytes` (deterministic: same content, same bytes)."""
    value = base64.b64encode(key.sign(signed_bytes(doc))).decode("ascii")
    return {**doc, SIGNATURE: {"algorithm": "ed25519", "key_id": key_id(key), "value": value}}


def signature_valid(doc: Mapping[str, Any], key: Ed25519PublicKey) -> bool:
    """Does the export's signature verify with `key`?"""
    found = doc.get(SIGNATURE)
    if not isinstance(found, Mapping) or found.get("algorithm") != "ed25519":
        return False
    try:
        key.verify(base64.b64decode(str(found.get("value")), validate=True), signed_bytes(doc))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class Head:
    """The newest export: its SHA-256, the SHA-256 of its body (without the link) and the one before it."""

    sha256: str
    body_sha256: str
    previous: str | None

    def dumps(self) -> str:
        """The kv form."""
        return orjson.dumps(
            {"sha256": self.sha256, "body": self.body_sha256, "previous": self.previous}
        ).decode()

    @classmethod
    def loads(cls, raw: str | None) -> Head | None:
        """Inverse of `dumps`; None for a missing or unreadable value (the chain then starts again)."""
        try:
            data = orjson.loads(raw) if raw else None
            return cls(str(data["sha256"]), str(data["body"]), data["previous"]) if data else None
        except (orjson.JSONDecodeError, KeyError, TypeError):
            return None


def link(doc_body: Mapping[str, Any], head: Head | None) -> tuple[bytes, Head]:
    """The export's bytes (canonical JSON) linked to the previous export, and the head that describes it.

    An unchanged body keeps its old link, so serving the same content twice yields the same bytes and hash.
    """
    body_sha = hashlib.sha256(canonical_json(doc_body)).hexdigest()
    if head is not None and head.body_sha256 == body_sha:
        previous = head.previous
    else:
        previous = head.sha256 if head is not None else None
    data = canonical_json({**doc_body, LINK: previous})
    return data, Head(hashlib.sha256(data).hexdigest(), body_sha, previous)
