"""The canonical forms behind the published hashes (RS-15): every rule form and every zone hashes the same on
every compilation (so a restart never looks like a repurposing) and differently when its meaning changes."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from fairwatch.rules import Rule, load_rules, parse_rules
from fairwatch.sim import demo_rules_path, demo_site_path
from fairwatch.site import load_site
from fairwatch.taxonomy import Taxonomy
from fairwatch.transparency.definitions import digest, in_force, plain

ROOT = Path(__file__).resolve().parents[2]
SITE = load_site(ROOT / "examples" / "sites" / "riverside.yaml")
DOC_BLOCKS = [
    b
    for b in re.findall(r"```yaml\n(.*?)```", (ROOT / "docs" / "rules.md").read_text(encoding="utf-8"), re.S)
    if "- id:" in b
]
GEOFENCES = """rules:
  - {id: enter, alarm: intrusion.restricted_area, severity: high, when: {type: v, enter: main-stage}}
  - {id: inside, alarm: intrusion.restricted_area, severity: high, when: {type: v, inside: main-stage}}
"""


def compile_all() -> list[Rule]:
    known = Taxonomy.builtin().is_active
    texts = [b if b.startswith("rules:") else "rules:\n" + b for b in DOC_BLOCKS] + [GEOFENCES]
    rules = [r for text in texts for r in parse_rules(text, "docs", known, site=SITE).rules]
    return rules + list(load_rules(demo_rules_path(), known, load_site(demo_site_path())).rules)


def test_every_rule_form_has_a_stable_complete_canonical_form() -> None:
    first, second = compile_all(), compile_all()
    assert {r.kind.value for r in first} >= {"threshold", "held", "count", "all", "absent", "rate", "any"}
    assert {r.kind.value for r in first} >= {"enter", "dwell"}
    for a, b in zip(first, second, strict=True):
        assert digest(a) == digest(b), a.id
        text = orjson.dumps(plain(a)).decode()
        assert "<" not in text, (a.id, text)  # no field fell back to its type name


@pytest.mark.parametrize(
    ("change", "same"),
    [
        (lambda t: t, True),
        (lambda t: t.replace("gt: 55", "gt: 5"), False),  # another threshold
        (lambda t: t.replace("type: temperature", "type: crowd.count"), False),  # listens to something else
        (lambda t: t.replace("severity: high", "severity: low"), False),
        (
            lambda t: (
                "rules:\n  - id: other\n    alarm: fire.smoke\n    severity: low\n    when: {type: x}\n"
                + t.removeprefix("rules:\n")
            ),
            True,
        ),  # its position in the file is not its meaning
    ],
    ids=["unchanged", "threshold", "event-type", "severity", "moved"],
)
def test_a_rule_hash_follows_its_meaning(change: Callable[[str], str], same: bool) -> None:
    text = (
        "rules:\n  - id: hot\n    alarm: fire.high_temperature\n    severity: high\n"
        "    when: {type: temperature, value: {gt: 55}}\n"
    )
    known = Taxonomy.builtin().is_active
    before = parse_rules(text, "r", known).rules[0]
    [after] = [r for r in parse_rules(change(text), "r", known).rules if r.id == "hot"]
    assert (digest(before) == digest(after)) is same


def test_zones_and_schemas_in_force() -> None:
    rules = compile_all()
    hashes = in_force(rules, SITE)
    assert sorted(hashes["zones"]) == sorted(z.id for z in SITE.zones)
    assert sorted(hashes["event_schemas"]) == sorted({t for r in rules for t in r.event_types()})
    assert in_force(rules, SITE) == hashes
