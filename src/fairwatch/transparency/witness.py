"""The witness: `fairwatch transparency verify URL --witness DIR`, run by anyone, anywhere, on a schedule.

It keeps in DIR the deployment key it was told to trust (`--pin` on the first run, or `--trust-key KEY`; never
silently on first use), every signed checkpoint, every type (status and definition hash) and every rule, zone and
event schema hash it has seen. Each run checks the new export against them: the export's and the checkpoint's
signatures, consistency proofs from each saved checkpoint and from the latest to the live log, that no type
vanished, and the deployment's own verdict; those are problems. It also flags what changed since its last run
(RS-15): a type redefined under the same id, a status change, a type created and removed in between, a rule
repurposed (same id, new hash), zones and schemas redefined, rules put in or out of force. Nothing is saved
unless every check passes, so the evidence of a failure stays in DIR.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fairwatch.audit import Checkpoint, key_id, public_key_from_b64, verify_checkpoint, verify_consistency
from fairwatch.audit.roots import ChainHead, SignedRoot, chain_label, root_problem
from fairwatch.transparency.definitions import SECTIONS, type_digest
from fairwatch.transparency.export import REMOVED, signature_valid

EXPORT_PATH = "/.well-known/alarm-taxonomy.json"
STATE_FILE = "witness.json"


class WitnessError(Exception):
    """A fetch failed or an answer was malformed; the message says which and why."""


@dataclass
class State:
    """What the witness remembers: the trusted key, every checkpoint seen, every type seen (id -> status and
    definition hash), every rule, zone and event schema seen (section -> id -> hash) and which were in force."""

    public_key: str | None = None
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    types: dict[str, dict[str, str]] = field(default_factory=dict)
    definitions: dict[str, dict[str, str]] = field(default_factory=dict)
    in_force: dict[str, list[str]] = field(default_factory=dict)
    exists: bool = False
    roots: list[dict[str, Any]] = field(default_factory=list)  # a cluster's signed roots over chain heads

    @classmethod
    def load(cls, directory: Path) -> State:
        """The saved state, or an empty one when DIR holds none yet."""
        path = directory / STATE_FILE
        if not path.exists():
            return cls()
        data = orjson.loads(path.read_bytes())
        types = {
            str(t): v if isinstance(v, dict) else {"status": str(v)}  # state files before RS-15: status only
            for t, v in dict(data.get("types", {})).items()
        }
        return cls(
            data.get("public_key"),
            list(data.get("checkpoints", [])),
            types,
            {str(s): dict(v) for s, v in dict(data.get("definitions", {})).items()},
            {str(s): list(v) for s, v in dict(data.get("in_force", {})).items()},
            exists=True,
            roots=list(data.get("roots", [])),
        )

    def save(self, directory: Path) -> None:
        """Write atomically: a crash leaves the old state or the new one, never half of either."""
        directory.mkdir(parents=True, exist_ok=True)
        data = {
            "public_key": self.public_key,
            "checkpoints": self.checkpoints,
            "types": self.types,
            "definitions": self.definitions,
            "in_force": self.in_force,
        }
        if self.roots:  # the single process's state file stays as it was
            data["roots"] = self.roots
        tmp = directory / f".{STATE_FILE}.{os.getpid()}.tmp"
        tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
        os.replace(tmp, directory / STATE_FILE)


@dataclass
class Report:
    """The verdict: problems (empty when OK), changes flagged since the last run, and a one-line summary."""

    problems: list[str]
    summary: str = ""
    flags: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def urls(url: str) -> tuple[str, str]:
    """(export URL, base URL) for either a deployment's base URL or its export URL."""
    if url.endswith(EXPORT_PATH):
        return url, url[: -len(EXPORT_PATH)]
    base = url.rstrip("/")
    return base + EXPORT_PATH, base


class _Remote:
    """GETs JSON from the deployment; every failure becomes a WitnessError naming the URL."""

    def __init__(self, client: httpx.Client, base: str) -> None:
        self.client, self.base = client, base

    def get(self, url: str) -> Any:
        try:
            response = self.client.get(url)
        except httpx.HTTPError as exc:
            raise WitnessError(f"cannot fetch {url}: {exc}") from exc
        if response.status_code != 200:
            raise WitnessError(f"{url} answered {response.status_code}: {_message(response)}")
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise WitnessError(f"{url} did not answer JSON: {exc}") from exc

    def consistency(self, first: int, second: int) -> list[bytes]:
        found = self.get(f"{self.base}/api/v1/transparency/consistency?from={first}&to={second}")
        return [bytes.fromhex(h) for h in found["proof"]]


def _message(response: httpx.Response) -> str:
    try:
        return str(orjson.loads(response.content).get("message", ""))
    except (orjson.JSONDecodeError, AttributeError):
        return response.text[:200]


def verify(
    url: str,
    directory: Path,
    client: httpx.Client | None = None,
    *,
    trust_keys: Collection[str] = (),
    pin: bool = False,
) -> Report:
    """Check the deployment at `url` against what DIR remembers; save the new state only when all is well.

    `pin`: DIR holds no state yet and may pin the key the export publishes. `trust_keys`: public keys (base64)
    or key ids the caller vouches for, e.g. a new deployment key announced out of band."""
    export_url, base = urls(url)
    own = client is None
    http = client or httpx.Client(timeout=60, follow_redirects=True)
    try:
        state = State.load(directory)
        remote = _Remote(http, base)
        doc = remote.get(export_url)
        report = _Check(state, doc, remote, frozenset(trust_keys), pin).run()
        if report.ok:
            state.save(directory)
    except (WitnessError, KeyError, TypeError, ValueError) as exc:
        return Report([str(exc) if isinstance(exc, WitnessError) else f"malformed answer: {exc!r}"])
    finally:
        if own:
            http.close()
    return report


class _Check:
    """One run of the checks over a fetched export."""

    def __init__(
        self, state: State, doc: dict[str, Any], remote: _Remote, trusted: frozenset[str], pin: bool
    ) -> None:
        self.state, self.doc, self.remote = state, doc, remote
        self.trusted, self.pin = trusted, pin
        self.problems: list[str] = []
        self.flags: list[str] = []
        self.types_now: dict[str, dict[str, str]] = {}
        self.definitions_now: dict[str, dict[str, str]] = {}

    def run(self) -> Report:
        published = str(self.doc["deployment"]["public_key"])
        trusted = self._key(published)
        key = public_key_from_b64(trusted)
        if not signature_valid(self.doc, key):
            self.problems.append(f"the export's signature does not verify with key {key_id(key)}")
        raw = self.doc.get("checkpoint")
        cp = Checkpoint.from_dict(raw) if raw else None
        raw_root = self.doc.get("root")
        signed_root = SignedRoot.from_dict(raw_root) if raw_root else None
        if signed_root is not None:
            self._root(signed_root, key)
        if cp is None and signed_root is None:
            self.problems.append("the export carries no signed checkpoint")
        elif cp is not None and not verify_checkpoint(key, cp):
            self.problems.append(
                f"the export's checkpoint of size {cp.size} does not verify with key {key_id(key)} "
                "(forged or altered)"
            )
        self._types()
        self._definitions()
        live = None
        if cp is not None and not self.problems:
            live = self._live(cp)
            self._saved(cp, prove=live is not None)
        self._compliance()
        if self.problems:
            return Report(self.problems, flags=self.flags)
        if cp is None:
            assert signed_root is not None
            return Report(
                [], f"OK: key {signed_root.key_id}, {self._save_root(trusted, signed_root)}", self.flags
            )
        assert live is not None
        summary = self._save(trusted, cp, live)
        if signed_root is not None:
            summary += f"; {self._save_root(trusted, signed_root)}"
        return Report([], summary, self.flags)

    def _root(self, signed: SignedRoot, key: Ed25519PublicKey) -> None:
        """A cluster's signed root over its chains' heads: it verifies, and no chain seen before shrank, was
        rewritten at a size seen before, or vanished."""
        problem = root_problem(key, signed)
        if problem is not None:
            self.problems.append(f"the export's signed root over {len(signed.heads)} chains: {problem}")
            return
        now = {h.chain: h for h in signed.heads}
        for old in self.state.roots:
            seen = f"the root seen at time {old['time']}"
            for head in (ChainHead.from_dict(h) for h in old["heads"]):
                found = now.get(head.chain)
                name = chain_label(head.chain)
                if found is None:
                    self.problems.append(
                        f"{name} deleted: {seen} covered {head.size} records, the export none"
                    )
                elif found.size < head.size:
                    self.problems.append(
                        f"{name} truncated: {seen} covered {head.size} records, the export's root {found.size}"
                    )
                elif found.size == head.size and found.hash != head.hash:
                    self.problems.append(f"{name} rewritten: {seen} has another head at seq {head.size}")
        if not self.problems:
            self._live_heads(signed)

    def _live_heads(self, signed: SignedRoot) -> None:
        """The chains as the deployment holds them now must reach the signed heads."""
        live = self.remote.get(f"{self.remote.base}/api/v1/transparency/heads")
        now = {h.chain: h for h in (ChainHead.from_dict(d) for d in live["heads"])}
        for head in signed.heads:
            found, name = now.get(head.chain), chain_label(head.chain)
            have = found.size if found is not None else 0
            if have < head.size:
                self.problems.append(
                    f"{name} truncated: the signed root covers {head.size} records but the chain now has only {have}"
                )
            elif found is not None and found.size == head.size and found.hash != head.hash:
                self.problems.append(
                    f"{name} rewritten: its live head at seq {head.size} is not the signed one"
                )

    def _save_root(self, trusted: str, signed: SignedRoot) -> str:
        state = self.state
        state.public_key = trusted
        saved = len(state.roots)
        if not any(r["root"] == signed.root and r["time"] == signed.time for r in state.roots):
            state.roots.append(signed.as_dict())
        state.types.update(self.types_now)
        for section, now in self.definitions_now.items():
            state.definitions.setdefault(section, {}).update(now)
            state.in_force[section] = sorted(now)
        records = sum(h.size for h in signed.heads)
        return (
            f"signed root over {len(signed.heads)} chains ({records} records) consistent with {saved} saved "
            f"before; {len(state.types)} alarm types, none vanished"
        )

    def _is_trusted(self, public_key: str) -> bool:
        return public_key in self.trusted or key_id(public_key_from_b64(public_key)) in self.trusted

    def _key(self, published: str) -> str:
        """The key to check signatures with: the pinned one, or the published one when trusted explicitly."""
        pinned = self.state.public_key
        new = key_id(public_key_from_b64(published))
        if pinned is None:
            if not (self.pin and not self.state.exists) and not self._is_trusted(published):
                self.problems.append(
                    f"no deployment key is pinned in this witness: pin key {new} with --pin on the first run, "
                    f"or pass --trust-key {published} (never trusted silently on first use)"
                )
            return published
        if pinned == published:
            return pinned
        old = key_id(public_key_from_b64(pinned))
        if self._is_trusted(published):
            self.flags.append(f"deployment key changed from {old} to {new}: trusted with --trust-key")
            return published
        self.problems.append(
            f"deployment key changed: pinned key {old}, the export publishes {new}; trust it with "
            f"--trust-key {published} only if the deployment announced it"
        )
        return pinned

    def _types(self) -> None:
        now = {
            str(t["id"]): {"status": str(t.get("status")), "sha256": type_digest(t)}
            for t in self.doc["types"]
        }
        for type_id, seen in sorted(self.state.types.items()):
            found = now.get(type_id)
            if found is None:
                self.problems.append(
                    f"alarm type {type_id!r} vanished from the export (last seen with status "
                    f"{seen.get('status')!r}): types are never deleted, only retired"
                )
                continue
            if seen.get("sha256") not in (None, found["sha256"]):
                self.flags.append(
                    f"alarm type {type_id!r} redefined under the same id (definition sha256 "
                    f"{str(seen['sha256'])[:12]} -> {found['sha256'][:12]})"
                )
            if seen.get("status") != found["status"]:
                self.flags.append(
                    f"alarm type {type_id!r} changed status: {seen.get('status')} -> {found['status']}"
                )
        if self.state.exists:
            for type_id, found in sorted(now.items()):
                if type_id in self.state.types:
                    continue
                if found["status"] == REMOVED:
                    self.flags.append(
                        f"alarm type {type_id!r} was created and removed since the last run "
                        "(published only as a tombstone)"
                    )
                else:
                    self.flags.append(f"alarm type {type_id!r} added (status {found['status']})")
        self.types_now = now

    def _definitions(self) -> None:
        """Rules, zones and event schemas: a known id with a new hash is repurposed; in or out of force."""
        configuration = self.doc.get("configuration") or {}
        for section in SECTIONS:
            now = {str(d["id"]): str(d["sha256"]) for d in configuration.get(section) or []}
            self.definitions_now[section] = now
            if not self.state.exists:
                continue
            seen = self.state.definitions.get(section, {})
            was = set(self.state.in_force.get(section, []))
            noun = _NOUNS[section]
            for item, digest in sorted(now.items()):
                if item in seen and seen[item] != digest:
                    self.flags.append(
                        f"{noun} {item!r} {'repurposed' if section == 'rules' else 'redefined'}: same id, new "
                        f"definition (sha256 {seen[item][:12]} -> {digest[:12]})"
                    )
                if item not in was:
                    self.flags.append(f"{noun} {item!r} now in force")
            for item in sorted(was - set(now)):
                self.flags.append(f"{noun} {item!r} no longer in force")

    def _saved(self, cp: Checkpoint, prove: bool) -> None:
        """Each checkpoint seen before must be a prefix of the published one (proven only over a whole log)."""
        for old in {(int(c["size"]), str(c["root"])): c for c in self.state.checkpoints}.values():
            size, root = int(old["size"]), str(old["root"])
            seen = f"the checkpoint of size {size} seen at time {old['time']}"
            if size > cp.size:
                self.problems.append(
                    f"log truncated: {seen} covers more records than the export's checkpoint ({cp.size})"
                )
            elif size == cp.size and root != cp.root:
                self.problems.append(
                    f"log rewritten: {seen} has another root than the export's of the same size"
                )
            elif prove and size < cp.size and self._consistent(size, cp.size, root, cp.root) is False:
                self.problems.append(
                    f"log rewritten: {seen} is not consistent with the export's checkpoint of size {cp.size}"
                )

    def _live(self, cp: Checkpoint) -> int | None:
        """The log as the deployment holds it now must extend the signed checkpoint."""
        head = self.remote.get(f"{self.remote.base}/api/v1/transparency/head")
        size, root = int(head["size"]), str(head["root"])
        if size < cp.size:
            self.problems.append(
                f"log truncated: the signed checkpoint covers {cp.size} records but the log now has only {size}"
            )
            return None
        consistent = self._consistent(cp.size, size, cp.root, root)
        if consistent is None:
            return None
        if not consistent:
            self.problems.append(
                f"log rewritten: the live log ({size} records) is not consistent with the signed checkpoint "
                f"of size {cp.size}"
            )
            return None
        return size

    def _consistent(self, first: int, second: int, root_first: str, root_second: str) -> bool | None:
        """Does the deployment's proof verify? None (and a problem reported) when it gives none."""
        try:
            proof = self.remote.consistency(first, second)
        except WitnessError as exc:
            self.problems.append(f"no consistency proof from size {first} to {second}: {exc}")
            return None
        return verify_consistency(first, second, bytes.fromhex(root_first), bytes.fromhex(root_second), proof)

    def _compliance(self) -> None:
        verdict = self.doc.get("compliance") or {}
        if verdict.get("status") != "compliant":
            reasons = [
                f"{name.replace('_', ' ')}: {problem}"
                for name in ("policy_check", "integrity_check")
                for problem in (verdict.get(name) or {}).get("problems", [])
            ]
            why = "; ".join(reasons) or "no reason given"
            self.problems.append(f"the deployment reports itself non-compliant: {why}")

    def _save(self, trusted: str, cp: Checkpoint, live: int) -> str:
        state = self.state
        state.public_key = trusted
        saved = len(state.checkpoints)
        if not any(c["size"] == cp.size and c["root"] == cp.root for c in state.checkpoints):
            state.checkpoints.append(cp.as_dict())
        state.types.update(self.types_now)
        for section, now in self.definitions_now.items():
            state.definitions.setdefault(section, {}).update(now)
            state.in_force[section] = sorted(now)
        flagged = f"; {len(self.flags)} changes flagged" if self.flags else ""
        return (
            f"OK: key {cp.key_id}, signed checkpoint of size {cp.size} consistent with "
            f"{saved} saved before and with the live log of {live} records; "
            f"{len(state.types)} alarm types, none vanished{flagged}"
        )


_NOUNS = {"rules": "rule", "zones": "zone", "event_schemas": "event schema"}
