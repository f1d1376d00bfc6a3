"""Site additions files: what parses, and the exact message for every way a file can be wrong."""

from __future__ import annotations

import pytest

from fairwatch.errors import ConfigError
from fairwatch.model import Severity
from fairwatch.taxonomy import AlarmType, read_entries

GOOD = """\
taxonomy:
  - id: crowd_safety.queue_overflow
    names: {en: Queue overflow, de: Warteschlange zu lang}
    description: The queue has grown past its barriers.
    severity: medium
    hazard_class: crowd_safety
    cap_category: Safety
"""


def item(**fields: str) -> str:
    """A file with one good type on lines 2-7, then a second type built from `fields` starting at line 8."""
    body = "".join(f"    {k}: {v}\n" for k, v in fields.items())
    return GOOD + "  - " + body[4:]


def complete(**changes: str) -> dict[str, str]:
    fields = {
        "id": "other_safety.x",
        "names": "{en: X}",
        "description": "d",
        "severity": "low",
        "hazard_class": "other_safety",
        "cap_category": "Safety",
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v != "<drop>"}


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        read_entries(text, "taxonomy.yaml")
    return info.value.messages


def test_good_file_parses_with_lines() -> None:
    (entry,) = read_entries(GOOD, "taxonomy.yaml")
    assert (entry.index, entry.line, entry.lines["cap_category"], entry.lines["names.de"]) == (1, 2, 7, 3)
    assert entry.type == AlarmType(
        id="crowd_safety.queue_overflow",
        names={"en": "Queue overflow", "de": "Warteschlange zu lang"},
        description="The queue has grown past its barriers.",
        severity=Severity.MEDIUM,
        hazard_class="crowd_safety",
        cap_category="Safety",
        status="active",
        origin="site",
    )


def test_retired_status_makes_a_tombstone() -> None:
    (_, entry) = read_entries(item(**complete(status="retired")), "taxonomy.yaml")
    assert (entry.type.status, entry.type.active) == ("retired", False)


ITEM_ERRORS = [
    # id, fields of type 2 (lines 8-13, status on 14), expected messages
    ("cap-category", complete(cap_category="Foo"),
     ["taxonomy.yaml:13: type 2 ('other_safety.x'): cap_category: unknown category 'Foo' "
      "(expected one of Geo, Met, Safety, Security, Rescue, Fire, Health, Env, Transport, Infra, CBRNE, Other)"]),
    ("severity", complete(severity="urgent"),
     ["taxonomy.yaml:11: type 2 ('other_safety.x'): severity: unknown severity 'urgent' "
      "(expected one of critical, high, medium, low, info)"]),
    ("status", complete(status="deleted"),
     ["taxonomy.yaml:14: type 2 ('other_safety.x'): status: unknown status 'deleted' (expected one of active, retired)"]),
    ("unknown-key", complete(colour="red"),
     ["taxonomy.yaml:14: type 2 ('other_safety.x'): unknown key 'colour' "
      "(expected one of id, names, description, severity, hazard_class, cap_category, status)"]),
    ("missing-key", complete(severity="<drop>"), ["taxonomy.yaml:8: type 2 ('other_safety.x'): missing required key 'severity'"]),
    ("missing-id", complete(id="<drop>"), ["taxonomy.yaml:8: type 2: missing required key 'id'"]),
    ("id-format", complete(id="'Other Safety'"),
     ["taxonomy.yaml:8: type 2 ('Other Safety'): id: invalid id 'Other Safety' "
      "(expected <hazard_class>.<name> in lower case letters, digits and _)"]),
    ("id-prefix", complete(id="fire.x"),
     ["taxonomy.yaml:8: type 2 ('fire.x'): id: prefix 'fire' does not match hazard_class 'other_safety'"]),
    ("duplicate-id", complete(id="crowd_safety.queue_overflow", hazard_class="crowd_safety"),
     ["taxonomy.yaml:8: type 2 ('crowd_safety.queue_overflow'): id: duplicate id 'crowd_safety.queue_overflow' "
      "(first defined at line 2)"]),
    ("not-a-string", complete(severity="3"),
     ["taxonomy.yaml:11: type 2 ('other_safety.x'): severity: expected a string (got 3)"]),
    ("empty-description", complete(description="''"),
     ["taxonomy.yaml:10: type 2 ('other_safety.x'): description: must not be empty (got '')"]),
    ("names-not-mapping", complete(names="X"),
     ["taxonomy.yaml:9: type 2 ('other_safety.x'): names: expected a mapping of language code to name (got 'X')"]),
    ("names-empty", complete(names="{}"),
     ["taxonomy.yaml:9: type 2 ('other_safety.x'): names: expected a mapping of language code to name "
      "(got an empty mapping)"]),
    ("names-bad-language", complete(names="{english: X}"),
     ["taxonomy.yaml:9: type 2 ('other_safety.x'): names: invalid language code 'english' "
      "(expected a code like en, de, pt-BR)"]),
    ("names-uncovered-language", complete(names="{en: X, el: Ζώνη}"),
     ["taxonomy.yaml:9: type 2 ('other_safety.x'): names: language 'el' is not covered (a display name is accepted"
      " only in a language the rights lexicon reads: am, ar, bn, bo, de, en, es, fa, fr, hi, id, ja, kk, ko, mn, my,"
      " pt, ru, sw, tr, ug, uk, vi, zh)"]),
    ("names-empty-name", complete(names="{en: ''}"),
     ["taxonomy.yaml:9: type 2 ('other_safety.x'): names.en: expected a name (got '')"]),
    ("hazard-class-not-a-string", complete(hazard_class="[fire]"),
     ["taxonomy.yaml:12: type 2 ('other_safety.x'): hazard_class: expected a string (got a list)"]),
    ("several-at-once", complete(severity="urgent", cap_category="Foo"),
     ["taxonomy.yaml:11: type 2 ('other_safety.x'): severity: unknown severity 'urgent' "
      "(expected one of critical, high, medium, low, info)",
      "taxonomy.yaml:13: type 2 ('other_safety.x'): cap_category: unknown category 'Foo' "
      "(expected one of Geo, Met, Safety, Security, Rescue, Fire, Health, Env, Transport, Infra, CBRNE, Other)"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "messages"), [c[1:] for c in ITEM_ERRORS], ids=[c[0] for c in ITEM_ERRORS]
)
def test_item_error_messages(fields: dict[str, str], messages: list[str]) -> None:
    assert errors_of(item(**fields)) == messages


FILE_ERRORS = [
    # id, text, expected messages
    ("not-yaml", "taxonomy: [\n", ["taxonomy.yaml:2: invalid YAML: expected the node content, but found '<stream end>'"]),
    ("not-a-mapping", "- a\n", ["taxonomy.yaml:1: expected a mapping with the key 'taxonomy' (got a list)"]),
    ("empty-file", "", ["taxonomy.yaml:1: expected a mapping with the key 'taxonomy' (got nothing)"]),
    ("missing-taxonomy", "types: []\n",
     ["taxonomy.yaml:1: unknown key 'types' (expected taxonomy)", "taxonomy.yaml:1: missing required key 'taxonomy'"]),
    ("taxonomy-not-a-list", "taxonomy: {}\n",
     ["taxonomy.yaml:1: taxonomy: expected a list of alarm types (got an empty mapping)"]),
    ("item-not-a-mapping", GOOD + "  - fire.x\n", ["taxonomy.yaml:8: type 2: expected a mapping (got 'fire.x')"]),
    ("duplicate-key", GOOD + "    severity: high\n",
     ["taxonomy.yaml:8: duplicate key 'severity' (first at line 5)"]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "messages"), [c[1:] for c in FILE_ERRORS], ids=[c[0] for c in FILE_ERRORS])
def test_file_error_messages(text: str, messages: list[str]) -> None:
    assert errors_of(text) == messages


def test_unknown_hazard_class_parses_so_the_guard_can_refuse_it() -> None:
    (_, entry) = read_entries(item(**complete(id="protest.march", hazard_class="protest")), "taxonomy.yaml")
    assert entry.type.hazard_class == "protest"
