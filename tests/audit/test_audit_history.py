"""verify_log: the chain against the whole checkpoint history; each kind of tampering is named."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fairwatch.audit import Checkpoint, LogReport, merkle_root, record_leaf, sign_checkpoint, verify_log
from fairwatch.model import AuditEntry, AuditRecord
from tests.audit.audit_samples import T0, build, entries, extend

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
SIZES = (10, 25, 40)  # checkpoints #1..#3; the log has 50 records
WHEN = {10: "2026-05-28T20:26:50Z", 25: "2026-05-28T20:27:05Z", 40: "2026-05-28T20:27:20Z"}


def sign(log: list[AuditRecord], size: int, key: Ed25519PrivateKey = KEY) -> Checkpoint:
    return sign_checkpoint(key, size, merkle_root(record_leaf(r) for r in log[:size]), T0 + size)


def announce(log: list[AuditRecord], cp: Checkpoint) -> list[AuditRecord]:
    details = {"size": cp.size, "root": cp.root}
    return extend(
        log, iter([AuditEntry(T0, "system", "checkpoint-signed", f"checkpoint/{cp.size}", details)])
    )


LOG = build(50)
HISTORY = [sign(LOG, s) for s in SIZES]
REWRITTEN = extend(LOG[:3], entries(47, start=4, actor="intruder"))  # seq 4.. rewritten, hashes recomputed

Case = tuple[list[AuditRecord], list[Checkpoint]]
CASES: list[tuple[str, Callable[[], Case], list[str]]] = [
    ("intact", lambda: (LOG, HISTORY), []),
    ("no-checkpoints", lambda: (LOG, []), []),
    ("records-after-the-last", lambda: (LOG[:40], HISTORY), []),
    (
        "truncated",
        lambda: (LOG[:33], HISTORY),
        [
            f"the log has 33 records but checkpoint #3 ({WHEN[40]}) signed 40 (log truncated: seq 34..40 missing)"
        ],
    ),
    (
        "truncated-by-one",
        lambda: (LOG[:39], HISTORY),
        [f"the log has 39 records but checkpoint #3 ({WHEN[40]}) signed 40 (log truncated: seq 40 missing)"],
    ),
    (
        "rewritten",
        lambda: (REWRITTEN, HISTORY),
        [
            f"records 1..{s} do not match the root signed by checkpoint #{n} ({WHEN[s]}) "
            "(log rewritten since the checkpoint)"
            for n, s in enumerate(SIZES, 1)
        ],
    ),
    (
        # whoever rewrote the log also had the key and signed a new checkpoint over the rewrite
        "rewritten-and-signed-again",
        lambda: (REWRITTEN, [HISTORY[0], sign(REWRITTEN, 25)]),
        [
            f"records 1..10 do not match the root signed by checkpoint #1 ({WHEN[10]}) (log rewritten since the "
            f"checkpoint); checkpoint #2 ({WHEN[25]}) of size 25 matches them, so the two checkpoints are "
            "inconsistent (log rewritten and signed again)"
        ],
    ),
    (
        "forged",
        lambda: (LOG, [HISTORY[0], sign(LOG, 25, OTHER), HISTORY[2]]),
        [
            f"checkpoint #2 ({WHEN[25]}) of size 25 does not verify with the deployment key 56475aa75463474c "
            "(forged or altered)"
        ],
    ),
    (
        "chain-broken",
        lambda: ([*LOG[:5], *LOG[6:]], HISTORY),
        ["seq 6: expected seq 6, found 7 (record deleted or reordered)"],
    ),
    (
        "announced-checkpoint-deleted",
        lambda: (announce(LOG, HISTORY[2]), HISTORY[:2]),
        ["seq 51 announces a checkpoint of size 40 that is no longer stored (checkpoint deleted)"],
    ),
    (
        "announced-checkpoint-replaced",
        lambda: (announce(LOG, sign(REWRITTEN, 40)), HISTORY),
        [
            "seq 51 announces a checkpoint of size 40 with another root than the stored one (checkpoint replaced)"
        ],
    ),
]


@pytest.mark.parametrize(("make", "problems"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_verify_log(make: Callable[[], Case], problems: list[str]) -> None:
    log, history = make()
    report = verify_log(iter(log), history, KEY.public_key())
    assert list(report.problems) == problems
    assert report.ok == (not problems)


def test_summary_names_the_latest_checkpoint() -> None:
    report = verify_log(iter(LOG), list(reversed(HISTORY)), KEY.public_key())
    assert report == LogReport(50, 3, (), HISTORY[2])
    assert report.summary() == (
        "audit log OK: 50 records verified against 3 signed checkpoints (latest #3 covers 40, key 56475aa75463474c)"
    )
    assert verify_log(iter(LOG), [], KEY.public_key()).summary() == "audit log OK: 50 records verified"


def test_an_empty_checkpoint_of_an_empty_log() -> None:
    assert verify_log(iter([]), [sign([], 0)], KEY.public_key()).ok
