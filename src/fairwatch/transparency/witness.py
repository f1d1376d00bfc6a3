"""The witness: `fairwatch transparency verify URL --witness DIR`, run by anyone, anywhere, on a schedule.

It pins the deployment key on first use, keeps every signed checkpoint and every type it has seen in DIR,
and on each run checks the new export against them: the signature, consistency proofs from each saved
checkpoint and from the latest to the live log, that no type vanished, and the deployment's own verdict.
Nothing is saved unless every check passes, so the evidence of a failure stays in DIR.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

from fairwatch.audit import Checkpoint, key_id, public_key_from_b64, verify_checkpoint, verify_consistency

EXPORT_PATH = "/.well-known/alarm-taxonomy.json"
STATE_FILE = "witness.json"


class WitnessError(Exception):
    """A fetch failed or an answer was malformed; the message says which and why."""


@dataclass
class State:
    """What the witness remembers: the pinned key, every checkpoint seen, every type seen (id -> status)."""

    public_key: str | None = None
    checkpoints: list[dict[str, Any]] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path) -> State:
        """The saved state, or an empty one on first use."""
        path = directory / STATE_FILE
        if not path.exists():
            return cls()
        data = orjson.loads(path.read_bytes())
        return cls(data.get("public_key"), list(data.get("checkpoints", [])), dict(data.get("types", {})))

    def save(self, directory: Path) -> None:
        """Write atomically: a crash leaves the old state or the new one, never half of either."""
        directory.mkdir(parents=True, exist_ok=True)
        data = {"public_key": self.public_key, "checkpoints": self.checkpoints, "types": self.types}
        tmp = directory / f".{STATE_FILE}.{os.getpid()}.tmp"
        tmp.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
        os.replace(tmp, directory / STATE_FILE)


@dataclass
class Report:
    """The verdict: problems (empty when OK) and a one-line summary."""

    problems: list[str]
    summary: str = ""

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


def verify(url: str, directory: Path, client: httpx.Client | None = None) -> Report:
    """Check the deployment at `url` against what DIR remembers; save the new state only when all is well."""
    export_url, base = urls(url)
    own = client is None
    http = client or httpx.Client(timeout=60, follow_redirects=True)
    try:
        state = State.load(directory)
        remote = _Remote(http, base)
        doc = remote.get(export_url)
        report = _Check(state, doc, remote).run()
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

    def __init__(self, state: State, doc: dict[str, Any], remote: _Remote) -> None:
        self.state, self.doc, self.remote = state, doc, remote
        self.problems: list[str] = []

    def run(self) -> Report:
        published = str(self.doc["deployment"]["public_key"])
        key = public_key_from_b64(self.state.public_key or published)
        self._key(published)
        raw = self.doc.get("checkpoint")
        cp = Checkpoint.from_dict(raw) if raw else None
        if cp is None:
            self.problems.append("the export carries no signed checkpoint")
        elif not verify_checkpoint(key, cp):
            self.problems.append(
                f"the export's checkpoint of size {cp.size} does not verify with key {key_id(key)} "
                "(forged or altered)"
            )
        self._types()
        live = None
        if cp is not None and not self.problems:
            live = self._live(cp)
            self._saved(cp, prove=live is not None)
        self._compliance()
        if self.problems:
            return Report(self.problems)
        assert cp is not None and live is not None
        return Report([], self._save(published, cp, live))

    def _key(self, published: str) -> None:
        pinned = self.state.public_key
        if pinned is not None and pinned != published:
            old, new = key_id(public_key_from_b64(pinned)), key_id(public_key_from_b64(published))
            self.problems.append(
                f"deployment key changed: pinned key {old} on first use, the export publishes {new}"
            )

    def _types(self) -> None:
        now = {str(t["id"]): str(t.get("status")) for t in self.doc["types"]}
        for type_id, status in sorted(self.state.types.items()):
            if type_id not in now:
                self.problems.append(
                    f"alarm type {type_id!r} vanished from the export (last seen with status {status!r}): "
                    "types are never deleted, only retired"
                )

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

    def _save(self, published: str, cp: Checkpoint, live: int) -> str:
        state = self.state
        state.public_key = published
        saved = len(state.checkpoints)
        if not any(c["size"] == cp.size and c["root"] == cp.root for c in state.checkpoints):
            state.checkpoints.append(cp.as_dict())
        state.types.update({str(t["id"]): str(t.get("status")) for t in self.doc["types"]})
        return (
            f"OK: key {cp.key_id}, signed checkpoint of size {cp.size} consistent with "
            f"{saved} saved before and with the live log of {live} records; "
            f"{len(state.types)} alarm types, none vanished"
        )
