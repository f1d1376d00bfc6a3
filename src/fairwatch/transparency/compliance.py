"""The checks at start (RS-9): the rights guard over every type and rule text, and the integrity of the audit
log and the database file. A failed check blocks the affected types and makes the public export say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from fairwatch.audit import (
    CompactRange,
    VerifyResult,
    verify_against_checkpoint,
    verify_chain,
    verify_checkpoint,
)
from fairwatch.policy import HAZARD_CLASSES, check_text
from fairwatch.rules import Rule
from fairwatch.store import StoredCheckpoint, TransparencyReads

# Up to this many records the whole chain and the latest checkpoint's root are verified at start;
# beyond it only the records after the latest checkpoint (which an earlier start verified).
FULL_VERIFY_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class Compliance:
    """The verdict published in the export: problems of each check and the types that are not raised."""

    checked: float
    policy_problems: tuple[str, ...] = ()
    integrity_problems: tuple[str, ...] = ()
    blocked: frozenset[str] = field(default_factory=frozenset)

    @property
    def ok(self) -> bool:
        """True when both checks passed."""
        return not self.policy_problems and not self.integrity_problems

    def with_integrity_problem(self, problem: str, all_types: Iterable[str]) -> Compliance:
        """This verdict after the log was found broken while running: every type is blocked."""
        problems = (*self.integrity_problems, problem)
        return replace(self, integrity_problems=problems, blocked=self.blocked | frozenset(all_types))

    def as_dict(self) -> dict[str, Any]:
        """The export's `compliance` object."""
        return {
            "status": "compliant" if self.ok else "non-compliant",
            "checked": self.checked,
            "policy_check": _check_dict(self.policy_problems),
            "integrity_check": _check_dict(self.integrity_problems),
            "blocked_types": sorted(self.blocked),
        }


def _check_dict(problems: tuple[str, ...]) -> dict[str, Any]:
    return {"status": "failed" if problems else "passed", "problems": list(problems)}


def decide(
    now: float, policy: tuple[list[str], set[str]], integrity: list[str], site_types: Iterable[str]
) -> Compliance:
    """Combine the checks: policy failures block their types; an integrity failure blocks the site-defined types.

    Built-in types ship with the code (and pass the policy check), so a damaged log cannot have changed them
    silently; they keep raising, because silencing fire or medical alarms would put people at risk. Types defined
    by site configuration can no longer be traced to an intact record, so they are not raised (RS-9).
    """
    policy_problems, blocked = policy
    if integrity:
        blocked = blocked | set(site_types)
    return Compliance(now, tuple(policy_problems), tuple(integrity), frozenset(blocked))


# -- the policy check ----------------------------------------------------------------------------------------
def policy_check(types: Iterable[Mapping[str, Any]], rules: Iterable[Rule]) -> tuple[list[str], set[str]]:
    """Every active type's and rule's texts through the rights guard; (problems, types to block)."""
    problems: list[str] = []
    blocked: set[str] = set()
    for t in types:
        if t.get("status") not in (None, "active"):
            continue
        type_id = str(t.get("id"))
        found = [f"type {type_id!r}: {p}" for p in _text_problems(_type_texts(t))]
        if t.get("hazard_class") not in HAZARD_CLASSES:
            found.append(
                f"type {type_id!r}: hazard class {t.get('hazard_class')!r} is not in the closed list"
            )
        if found:
            problems.extend(found)
            blocked.add(type_id)
    for rule in rules:
        found = [
            f"rule {rule.id!r}: {p}" for p in _text_problems([rule.id, rule.alarm_type, rule.description])
        ]
        if found:
            problems.extend(found)
            blocked.add(rule.alarm_type)
    return problems, blocked


def _type_texts(t: Mapping[str, Any]) -> list[str]:
    names = t.get("names")
    texts = [str(t.get("id", "")), str(t.get("description") or "")]
    if isinstance(names, Mapping):
        texts.extend(str(v) for v in names.values())
    elif isinstance(names, list | tuple):
        texts.extend(str(v) for v in names)
    elif names:
        texts.append(str(names))
    return texts


def _text_problems(texts: Iterable[str]) -> list[str]:
    problems = []
    for text in texts:
        violation = check_text(text) if text else None
        if violation is not None:
            ground, term = violation.ground.value, violation.term
            problems.append(f"{text!r} {violation.reason} (ground {ground}, term {term!r})")
    return problems


# -- the integrity check -------------------------------------------------------------------------------------
def integrity_check(
    store: TransparencyReads, public_key: Ed25519PublicKey, limit: int = FULL_VERIFY_LIMIT
) -> list[str]:
    """What is wrong with the database file and the audit log, judged against the latest signed checkpoint."""
    problems = [f"database file: {p}" for p in store.integrity_problems()]
    stored = store.latest_checkpoint()
    head = store.audit_head()
    if stored is None:
        result = verify_chain(store.iter_audit())
    elif head is None or head.seq <= limit:
        result = verify_against_checkpoint(store.iter_audit(), stored.checkpoint, public_key)
    else:
        result = _verify_tail(store, stored, public_key)
    if not result.ok:
        problems.append(f"audit log: {result.problem}")
    return problems


def _verify_tail(
    store: TransparencyReads, stored: StoredCheckpoint, public_key: Ed25519PublicKey
) -> VerifyResult:
    """Verify only what was appended after `stored` (a long log's earlier part was verified before)."""
    cp = stored.checkpoint
    if not verify_checkpoint(public_key, cp):
        return VerifyResult(
            False, 0, None, f"checkpoint of size {cp.size} does not verify (forged or altered)"
        )
    try:
        intact = CompactRange.resume(cp.size, stored.compact).root().hex() == cp.root
    except ValueError:
        intact = False
    if not intact:
        return VerifyResult(False, 0, None, f"checkpoint of size {cp.size}: stored tree state altered")
    last = next(store.iter_audit(cp.size), None)
    if last is None or last.seq != cp.size:
        problem = f"seq {cp.size}: log ends before the checkpoint of size {cp.size} (log truncated)"
        return VerifyResult(False, 0, cp.size, problem)
    if last.hash != stored.last_hash:
        problem = f"seq {cp.size}: hash differs from the checkpoint's (log rewritten since the checkpoint)"
        return VerifyResult(False, 0, cp.size, problem)
    return verify_chain(store.iter_audit(cp.size + 1), stored.last_hash, cp.size + 1)
