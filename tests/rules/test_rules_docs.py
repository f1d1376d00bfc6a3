"""Every rule example in docs/rules.md parses against the Riverside site and the built-in alarm types."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fairwatch.rules import parse_rules
from fairwatch.site import load_site
from fairwatch.taxonomy import Taxonomy

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
BLOCKS = [b for b in re.findall(r"```yaml\n(.*?)```", DOC, flags=re.S) if "- id:" in b]
SITE = load_site(ROOT / "examples" / "sites" / "riverside.yaml")


def test_the_reference_has_rule_examples() -> None:
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize("block", BLOCKS, ids=[re.findall(r"- id: (\S+)", b)[0] for b in BLOCKS])
def test_rule_example_parses(block: str) -> None:
    text = block if block.startswith("rules:") else "rules:\n" + block
    ruleset = parse_rules(text, "docs/rules.md", Taxonomy.builtin().is_active, site=SITE)
    assert len(ruleset) == block.count("- id:")
