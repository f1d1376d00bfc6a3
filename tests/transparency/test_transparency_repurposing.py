"""Transparency that sees repurposing (RS-15), through real HTTP: the export signs the rules, zones and event
schemas in force; every configuration change (start, rules changed, phase switched) is recorded and checkpointed;
the witness flags redefinitions, status changes, repurposed rules and types created and removed between its
runs, and never trusts a deployment key silently."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fairwatch.audit import canonical_json, key_id, public_key_b64, public_key_from_b64
from fairwatch.clock import FakeClock
from fairwatch.model import Role
from fairwatch.schemas import builtin
from fairwatch.transparency.definitions import digest, plain
from fairwatch.transparency.export import signature_valid
from tests.harness import Server
from tests.transparency.helpers import (
    RULES,
    SITE_TAXONOMY,
    SITE_TYPE,
    START,
    export,
    records,
    service,
    witness,
)

SITE = """
site:
  id: riverside
  name: Riverside Festival
  timezone: Europe/London
  plan: {width: 800, height: 500}
zones:
  - id: main-stage
    name: Main Stage Arena
    polygon: [[0, 0], [100, 0], [100, 100], [0, 100]]
    capacity: 5000
"""
# the same rule id, listening to something else
REPURPOSED = RULES.replace("{type: temperature, value: {gt: 55}}", "{type: temperature, value: {gt: 5}}")


@dataclass
class Deployment:
    """A data directory restarted with whatever configuration a test likes, and one witness of it."""

    root: Path
    clock: FakeClock = field(default_factory=lambda: FakeClock(START))

    @property
    def seen(self) -> Path:
        return self.root / "witness"

    @contextmanager
    def running(self, rules: str = RULES, **settings: Any) -> Iterator[Server]:
        self.clock.advance(60)
        with Server(self.root / "data", rules, self.clock, **settings) as srv:
            yield srv

    def witness(self, srv: Server, *options: str) -> tuple[int, str, str]:
        return witness(srv.url, self.seen, *options)

    def flags(self, srv: Server) -> list[str]:
        code, out, err = self.witness(srv)
        assert (code, err) == (3, ""), (out, err)
        return [line[9:] for line in out.splitlines() if line.startswith("FLAGGED: ")]

    def pin(self, srv: Server) -> None:
        assert self.witness(srv, "--pin")[0] == 0


def test_the_export_signs_rules_zones_and_schemas_in_force(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(SITE)
    with Server(tmp_path / "data", RULES, FakeClock(START), site=site) as srv:
        doc = export(srv)
        assert srv.app is not None
        [rule] = srv.app.pipeline.engine.ruleset.rules
        assert srv.app.config.site is not None
        [zone] = srv.app.config.site.zones
    assert doc["configuration"] == {
        "rules": [{"id": "hot", "sha256": digest(rule)}],
        "zones": [{"id": "main-stage", "sha256": digest(zone)}],
        # the declared schema of each event type the rules use (RS-10)
        "event_schemas": [{"id": "temperature", "sha256": digest(builtin()["temperature"].as_dict())}],
    }
    assert digest(rule) == hashlib.sha256(canonical_json(plain(rule))).hexdigest()
    assert plain(rule)["when"] == [
        {"type": "temperature", "matchers": [{"field": "value", "op": "gt", "operand": 55}], "trusted": False}
    ]
    # the whole export is signed with the deployment key, and the signature breaks on any change
    key = public_key_from_b64(doc["deployment"]["public_key"])
    assert doc["signature"]["key_id"] == key_id(key) and signature_valid(doc, key)
    doc["configuration"]["rules"][0]["sha256"] = "0" * 64
    assert not signature_valid(doc, key)
    # the configuration is in the audit log, under the signed checkpoint
    [recorded] = [r for r in records(srv.data) if r.action == "configuration-recorded"]
    assert recorded.details["rules"] == {"hot": digest(rule)}
    assert recorded.seq <= doc["checkpoint"]["size"]


def test_a_checkpoint_is_made_at_every_configuration_change(tmp_path: Path) -> None:
    d = Deployment(tmp_path)
    with d.running():
        pass
    with d.running():  # the same configuration: nothing new recorded
        pass
    with d.running(REPURPOSED) as srv:
        latest = service(srv).latest
    log = records(srv.data)
    recorded = [r for r in log if r.action == "configuration-recorded"]
    assert len(recorded) == 2 and recorded[0].details["rules"] != recorded[1].details["rules"]
    assert latest is not None and latest.size >= recorded[-1].seq  # signed over the change at once


def test_a_phase_switch_is_recorded_and_checkpointed(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "calm.yaml").write_text(RULES)
    (config / "show.yaml").write_text(REPURPOSED)
    (config / "phases.yaml").write_text(
        "phases:\n  - {id: calm, rules: calm.yaml}\n  - {id: show, rules: show.yaml}\n"
    )
    with Server(tmp_path / "data", None, FakeClock(START), phases=config / "phases.yaml") as srv:
        before = export(srv)["configuration"]["rules"]
        with srv.client(Role.SUPERVISOR) as sup:
            r = sup.post("/api/v1/phase", json={"phase": "show", "reason": "doors open"})
            assert r.status_code == 200, r.text
        assert srv.call(service(srv).sync_configuration())  # the timer's job, run now
        after = export(srv)
        latest = service(srv).latest
    assert before != after["configuration"]["rules"]
    log = records(srv.data)
    switched = max(r.seq for r in log if r.action == "phase-switched")
    recorded = max(r.seq for r in log if r.action == "configuration-recorded")
    assert latest is not None and recorded > switched and latest.size >= recorded
    assert after["checkpoint"]["size"] == latest.size


def test_the_witness_flags_a_repurposed_rule(tmp_path: Path) -> None:
    d = Deployment(tmp_path)
    with d.running() as srv:
        d.pin(srv)
    with d.running(REPURPOSED) as srv:
        [flag] = d.flags(srv)
    assert flag.startswith("rule 'hot' repurposed: same id, new definition (sha256 ")
    with d.running(REPURPOSED) as srv:  # flagged once: the witness remembers the new definition
        code, out, err = d.witness(srv)
    assert (code, err) == (0, "") and "FLAGGED" not in out


def test_the_witness_flags_a_type_redefined_under_the_same_id(tmp_path: Path) -> None:
    d = Deployment(tmp_path)
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(SITE_TAXONOMY)
    with d.running(taxonomy=taxonomy) as srv:
        d.pin(srv)
    taxonomy.write_text(SITE_TAXONOMY.replace("Generator overheating", "Generator running hot"))
    with d.running(taxonomy=taxonomy) as srv:
        [flag] = d.flags(srv)
    assert flag.startswith(f"alarm type '{SITE_TYPE}' redefined under the same id (definition sha256 ")


def test_the_witness_flags_a_status_change(tmp_path: Path) -> None:
    d = Deployment(tmp_path)
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(SITE_TAXONOMY)
    with d.running(taxonomy=taxonomy) as srv:
        d.pin(srv)
    with d.running() as srv:  # retired from the site file
        assert d.flags(srv) == [f"alarm type '{SITE_TYPE}' changed status: active -> removed"]


def test_the_witness_flags_a_type_created_and_removed_between_its_runs(tmp_path: Path) -> None:
    d = Deployment(tmp_path)
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(SITE_TAXONOMY)
    with d.running() as srv:
        d.pin(srv)
    with d.running(taxonomy=taxonomy):  # defined while no witness looked ...
        pass
    with d.running() as srv:  # ... and gone again: the log keeps it as a tombstone
        assert d.flags(srv) == [
            f"alarm type '{SITE_TYPE}' was created and removed since the last run (published only as a tombstone)"
        ]


def test_the_witness_flags_zones_redefined(tmp_path: Path) -> None:
    d = Deployment(tmp_path)
    site = tmp_path / "site.yaml"
    site.write_text(SITE)
    with d.running(site=site) as srv:
        d.pin(srv)
    site.write_text(SITE.replace("capacity: 5000", "capacity: 50"))
    with d.running(site=site) as srv:
        [flag] = d.flags(srv)
    assert flag.startswith("zone 'main-stage' redefined: same id, new definition (sha256 ")


@pytest.mark.parametrize("how", ["no-option", "pin-on-existing-state"])
def test_the_witness_never_trusts_a_key_silently(tmp_path: Path, how: str) -> None:
    d = Deployment(tmp_path)
    with d.running() as srv:
        published = export(srv)["deployment"]["public_key"]
        kid = key_id(public_key_from_b64(published))
        if how == "pin-on-existing-state":  # --pin only creates a state; it never re-pins
            d.seen.mkdir()
            (d.seen / "witness.json").write_text(json.dumps({"checkpoints": [], "types": {}}))
        code, out, err = d.witness(srv, *(["--pin"] if how != "no-option" else []))
    assert (code, out) == (1, "")
    assert err == (
        f"FAILED: no deployment key is pinned in this witness: pin key {kid} with --pin on the first run, "
        f"or pass --trust-key {published} (never trusted silently on first use)\n"
    )
    if how == "no-option":
        assert not (d.seen / "witness.json").exists()


@pytest.mark.parametrize("form", ["public-key", "key-id"])
def test_trust_key_on_the_first_run(tmp_path: Path, form: str) -> None:
    d = Deployment(tmp_path)
    with d.running() as srv:
        published = export(srv)["deployment"]["public_key"]
        given = published if form == "public-key" else key_id(public_key_from_b64(published))
        assert d.witness(srv, "--trust-key", given)[0] == 0
    assert json.loads((d.seen / "witness.json").read_text())["public_key"] == published


def test_a_new_key_is_refused_unless_trusted(tmp_path: Path) -> None:
    d = Deployment(tmp_path)
    with d.running() as srv:
        d.pin(srv)
    key_file = tmp_path / "data" / "keys" / "deployment.key"
    new_key = Ed25519PrivateKey.generate()
    pem = new_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_file.write_bytes(pem)
    with d.running() as srv:
        refused = d.witness(srv)
        trusted = d.witness(srv, "--trust-key", public_key_b64(new_key))
    assert refused[0] == 1 and "FAILED: deployment key changed: pinned key " in refused[2]
    # trusted, the key change itself is no longer a problem: the export's signature verifies with the new key
    # (the deployment still reports its old checkpoints as not verifying with the new key, which is true)
    assert trusted[0] == 1
    assert "deployment key changed" not in trusted[2] and "signature does not verify" not in trusted[2]
    assert "FAILED: the deployment reports itself non-compliant: " in trusted[2]
