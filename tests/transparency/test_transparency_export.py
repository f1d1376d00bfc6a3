"""The public taxonomy export and the RFC 6962 proofs, over real HTTP without credentials."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fairwatch.audit import (
    Checkpoint,
    key_id,
    merkle_root,
    public_key_from_b64,
    record_leaf,
    verify_checkpoint,
    verify_consistency,
    verify_inclusion,
)
from fairwatch.clock import FakeClock
from fairwatch.policy import HAZARD_CLASS_ORDER, POLICY_VERSION, lexicon_sha256
from fairwatch.taxonomy import Taxonomy
from fairwatch.transparency.export import HEAD_KEY, LINK_PREFIX
from tests.harness import Server
from tests.transparency.helpers import (
    RULES,
    SITE_TAXONOMY,
    SITE_TYPE,
    START,
    append,
    export,
    records,
    service,
    sql,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def srv(tmp_path: Path, clock: FakeClock) -> Iterator[Server]:
    with Server(tmp_path / "data", RULES, clock) as s:
        yield s


@pytest.fixture
def public(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(None) as c:
        yield c


def test_export_shape(srv: Server) -> None:
    doc = export(srv)
    assert sorted(doc) == [
        "checkpoint",
        "compliance",
        "configuration",
        "deployment",
        "format",
        "policy",
        "previous_export_sha256",
        "proofs",
        "signature",
        "types",
    ]
    assert doc["format"] == "fairwatch-alarm-taxonomy/v1"
    assert doc["policy"] == {
        "version": POLICY_VERSION,
        "lexicon_sha256": lexicon_sha256(),
        "hazard_classes": list(HAZARD_CLASS_ORDER),
    }
    assert doc["types"] == [t.as_dict() for t in sorted(Taxonomy.builtin().all(), key=lambda t: t.id)]
    key = public_key_from_b64(doc["deployment"]["public_key"])
    assert doc["deployment"]["key_id"] == key_id(key)
    cp = Checkpoint.from_dict(doc["checkpoint"])
    assert verify_checkpoint(key, cp) and cp == service(srv).latest
    assert doc["compliance"] == {
        "status": "compliant",
        "checked": START,
        "policy_check": {"status": "passed", "problems": []},
        "integrity_check": {"status": "passed", "problems": []},
        "blocked_types": [],
    }
    assert doc["previous_export_sha256"] is None


def test_exports_form_a_chain(srv: Server, public: httpx.Client, clock: FakeClock) -> None:
    first = public.get("/.well-known/alarm-taxonomy.json").content
    assert public.get("/.well-known/alarm-taxonomy.json").content == first  # unchanged content, same bytes
    append(srv, 2)
    clock.advance(300)
    assert srv.call(service(srv).maybe_checkpoint()) is not None
    second = public.get("/.well-known/alarm-taxonomy.json")
    first_sha = hashlib.sha256(first).hexdigest()
    second_sha = hashlib.sha256(second.content).hexdigest()
    assert second.json()["previous_export_sha256"] == first_sha
    links = dict(sql(srv.data, "SELECT key, value FROM kv WHERE key LIKE 'transparency.export%'"))
    assert links[LINK_PREFIX + first_sha] == "" and links[LINK_PREFIX + second_sha] == first_sha
    assert f'"sha256":"{second_sha}"' in links[HEAD_KEY]


def test_inclusion_proofs_verify_for_every_record(srv: Server, public: httpx.Client) -> None:
    append(srv, 20)
    size = len(records(srv.data))
    log = records(srv.data)
    root = merkle_root(record_leaf(r) for r in log).hex()
    for record in log:
        found = public.get(f"/api/v1/transparency/inclusion?seq={record.seq}&size={size}").json()
        assert (found["seq"], found["size"], found["root"]) == (record.seq, size, root)
        proof = [bytes.fromhex(h) for h in found["proof"]]
        assert verify_inclusion(record_leaf(record), record.seq - 1, size, proof, bytes.fromhex(root))


def test_inclusion_defaults_to_the_latest_checkpoint(srv: Server, public: httpx.Client) -> None:
    latest = service(srv).latest
    assert latest is not None
    found = public.get("/api/v1/transparency/inclusion?seq=1").json()
    assert (found["size"], found["root"]) == (latest.size, latest.root)


def test_consistency_proofs_verify_between_checkpoints(srv: Server, public: httpx.Client) -> None:
    svc = service(srv)
    old = svc.latest
    append(srv, 1000)
    new = srv.call(svc.maybe_checkpoint())
    assert old is not None and new is not None
    found = public.get(f"/api/v1/transparency/consistency?from={old.size}&to={new.size}").json()
    assert (found["from"], found["to"], found["root_from"], found["root_to"]) == (
        old.size,
        new.size,
        old.root,
        new.root,
    )
    proof = [bytes.fromhex(h) for h in found["proof"]]
    assert verify_consistency(old.size, new.size, bytes.fromhex(old.root), bytes.fromhex(new.root), proof)


def test_head_and_default_consistency_cover_the_live_log(srv: Server, public: httpx.Client) -> None:
    append(srv, 7)
    log = records(srv.data)
    head = public.get("/api/v1/transparency/head").json()
    assert head == {"size": len(log), "root": merkle_root(record_leaf(r) for r in log).hex()}
    assert public.get("/api/v1/transparency/consistency?from=3").json()["to"] == len(log)


@pytest.mark.parametrize(
    ("query", "status", "field", "message"),
    [
        ("inclusion", 422, "seq", "required query parameter is missing"),
        ("inclusion?seq=0", 422, "seq", "must be an integer >= 1"),
        ("inclusion?seq=two", 422, "seq", "must be an integer >= 1"),
        ("inclusion?seq=" + "9" * 19, 422, "seq", "must be an integer >= 1"),
        ("inclusion?seq=3&size=2", 422, "seq", "must be between 1 and size (2)"),
        ("inclusion?seq=1&size=999", 404, None, "size=999 is beyond the audit log, which has {n} records"),
        ("consistency", 422, "from", "required query parameter is missing"),
        ("consistency?from=-1", 422, "from", "must be an integer >= 0"),
        ("consistency?from=3&to=2", 422, "from", "must not exceed to (2)"),
        ("consistency?from=1&to=999", 404, None, "to=999 is beyond the audit log, which has {n} records"),
    ],
    ids=[
        "no-seq",
        "seq-0",
        "seq-text",
        "seq-19-digits",
        "seq-beyond-size",
        "size-beyond-log",
        "no-from",
        "from-negative",
        "from-beyond-to",
        "to-beyond-log",
    ],
)
def test_bad_proof_queries_are_named(
    srv: Server, public: httpx.Client, query: str, status: int, field: str | None, message: str
) -> None:
    response = public.get(f"/api/v1/transparency/{query}")
    assert response.status_code == status
    body = response.json()
    if field is None:
        assert body["message"] == message.format(n=len(records(srv.data)))
    else:
        assert [(p["field"], p["message"]) for p in body["problems"]] == [(field, message)]


def test_a_type_removed_from_configuration_stays_as_a_tombstone(tmp_path: Path, clock: FakeClock) -> None:
    data = tmp_path / "data"
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(SITE_TAXONOMY)
    with Server(data, RULES, clock, taxonomy=taxonomy) as srv:
        [added] = [t for t in export(srv)["types"] if t["id"] == SITE_TYPE]
        assert (added["status"], added["origin"]) == ("active", "site")
    with Server(data, RULES, clock) as srv:  # the site file no longer names it
        [kept] = [t for t in export(srv)["types"] if t["id"] == SITE_TYPE]
    assert kept == {**added, "status": "removed"}
    recorded = [r for r in records(data) if r.action == "taxonomy-recorded"]
    assert [(sorted(r.details["types"]), r.details["removed"]) for r in recorded] == [
        (sorted([*(t.id for t in Taxonomy.builtin().all()), SITE_TYPE]), []),
        ([], [SITE_TYPE]),
    ]
