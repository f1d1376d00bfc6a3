"""The built-in event schemas and the types a site adds (RS-10): strict reading, the rights guard on every name."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairwatch import config
from fairwatch.errors import ConfigError, ConfigRejected
from fairwatch.policy import check_text
from fairwatch.schemas import Kind, builtin, parse_schemas
from fairwatch.settings import Settings

SITE = """
site: {id: hall, name: Congress Hall, timezone: Europe/Berlin, plan: {width: 100, height: 100}}
zones:
  - {id: foyer, name: Foyer, polygon: [[0, 0], [10, 0], [10, 10], [0, 10]], capacity: 100}
"""


def texts() -> list[str]:
    out: list[str] = []
    for name, schema in builtin().items():
        out += [name, schema.value_unit]
        for spec in schema.fields.values():
            out += [spec.name, spec.unit, *spec.values]
    return [t for t in out if t]


def test_every_builtin_name_unit_and_enum_value_passes_the_rights_guard() -> None:
    refused = {t: v for t in texts() if (v := check_text(t)) is not None}
    assert refused == {}


def test_the_builtin_catalogue_covers_the_usual_devices_and_reports() -> None:
    catalogue = builtin()
    for name in (
        "crowd.density",
        "crowd.count",
        "smoke.detected",
        "temperature",
        "panic.pressed",
        "heartbeat",
    ):
        assert name in catalogue
    line = catalogue["counter.line"]
    assert {n: s.kind for n, s in line.fields.items()} == {"forward": Kind.NUMBER, "backward": Kind.NUMBER}
    assert catalogue["report.medical"].fields["text"].kind is Kind.NARRATIVE
    assert catalogue["gate.status"].fields["state"].values == ("open", "closed", "blocked", "fault")


def test_a_schemas_file_is_read_strictly_naming_file_line_type_and_field() -> None:
    text = """schemas:
  queue.wait:
    value: s
    data:
      lane: {enum: [a, b, a]}
      speed: {number: ""}
      shape: round
      Bad: boolean
    colour: red
  crowd.density:
    value: persons
"""
    with pytest.raises(ConfigError) as caught:
        parse_schemas(text, "s.yaml", builtin(), config.guard)
    assert caught.value.messages == [
        "s.yaml:5: event type 'queue.wait': data.lane.enum[2]: duplicate value 'a'",
        "s.yaml:6: event type 'queue.wait': data.speed.number: expected a unit like 'persons' (got '')",
        "s.yaml:7: event type 'queue.wait': data.shape: expected one of boolean, narrative, {number: UNIT},"
        " {enum: [VALUE, ...]} (got 'round')",
        "s.yaml:8: event type 'queue.wait': data.Bad: expected a lowercase field name like 'count' (letters,"
        " digits, '_')",
        "s.yaml:9: event type 'queue.wait': unknown key 'colour' (expected one of value, data)",
        "s.yaml:10: event type 'crowd.density': already declared by the built-in catalogue (a site may add types,"
        " not change them)",
    ]


def test_added_names_and_enum_values_pass_the_rights_guard(tmp_path: Path) -> None:
    added = tmp_path / "schemas.yaml"
    added.write_text(
        "schemas:\n  camera.person:\n    data:\n      religion: {enum: [unknown]}\n"
        "      badge: {enum: [protest_banner, flag]}\n"
    )
    with pytest.raises(ConfigRejected) as caught:
        config.load(Settings(data=tmp_path, schemas=added))
    messages = caught.value.messages
    assert any(
        ":4: event type 'camera.person': data.religion: refused by the rights guard: " in m for m in messages
    )
    assert any(
        ":5: event type 'camera.person': data.badge.enum[0]: refused by the rights guard: " in m
        for m in messages
    )


def test_a_site_file_adds_types_in_its_schemas_section(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    site.write_text(SITE + "schemas:\n  pump.pressure:\n    value: bar\n    data:\n      running: boolean\n")
    loaded = config.load(Settings(data=tmp_path, site=site))
    assert loaded.schemas["pump.pressure"].value_unit == "bar"
    assert loaded.schemas["pump.pressure"].fields["running"].kind is Kind.BOOLEAN
    assert "crowd.density" in loaded.schemas
    assert loaded.site is not None and loaded.site.zone_ids == {"foyer"}


def test_without_additions_the_deployment_uses_the_builtin_catalogue(tmp_path: Path) -> None:
    assert config.load(Settings(data=tmp_path)).schemas == builtin()
