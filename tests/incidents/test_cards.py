"""Action cards are read strictly: known types, guarded titles, one error format naming file, line and item."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairwatch import config
from fairwatch.errors import ConfigError, ConfigRejected
from fairwatch.incidents import load_cards, parse_cards
from fairwatch.settings import Settings
from fairwatch.taxonomy import Taxonomy

KNOWN = Taxonomy.builtin().is_active
DEMO = Path(__file__).resolve().parents[2] / "src" / "fairwatch" / "sim" / "demo" / "riverside.cards.yaml"


def test_a_good_file() -> None:
    cards = parse_cards(
        "cards:\n  - type: fire.smoke\n    tasks: [Send a steward, Call the fire service]\n", "c.yaml", KNOWN
    )
    assert cards.for_type("fire.smoke") == ("Send a steward", "Call the fire service")
    assert cards.for_type("fire.confirmed") == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "cards:\n  - type: fire.nope\n    tasks: [x]\n",
            "c.yaml:2: card 1 ('fire.nope'): type: not an active type",
        ),
        (
            "cards:\n  - type: fire.smoke\n    tasks: []\n",
            "c.yaml:3: card 1 ('fire.smoke'): tasks: a card has 1 to 30",
        ),
        (
            "cards:\n  - type: fire.smoke\n    tasks: [x]\n    owner: y\n",
            "c.yaml:4: card 1 ('fire.smoke'): unknown key 'owner'",
        ),
        (
            "cards:\n  - type: fire.smoke\n    tasks: [Watch the Muslim prayer area]\n",
            "c.yaml:3: card 1 ('fire.smoke'): tasks[0]: refused by the rights guard",
        ),
        (
            "cards:\n  - {type: fire.smoke, tasks: [a]}\n  - {type: fire.smoke, tasks: [b]}\n",
            "c.yaml:3: card 2 ('fire.smoke'): type: a second card",
        ),
        ("cards: [\n", "c.yaml:2: invalid YAML"),
        ("", "c.yaml:1: the file is empty"),
    ],
    ids=["unknown-type", "no-tasks", "unknown-key", "rights-guard", "duplicate-type", "syntax", "empty"],
)
def test_every_problem_names_file_line_and_item(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_cards(text, "c.yaml", KNOWN)
    assert any(m.startswith(message) for m in info.value.messages), info.value.messages


def test_the_demo_cards_load_and_config_rejects_a_bad_file(tmp_path: Path) -> None:
    demo = load_cards(DEMO, KNOWN)
    assert demo.for_type("crowd_safety.crush_risk")[:3] == (
        "Hold inflow at the gates",
        "Show-stop yellow card to stage manager",
        "Open relief exits",
    )
    assert config.load(Settings(data=tmp_path, cards=DEMO)).cards == demo
    bad = tmp_path / "cards.yaml"
    bad.write_text("cards: 3\n")
    with pytest.raises(ConfigRejected) as info:
        config.load(Settings(data=tmp_path, cards=bad))
    assert info.value.what == "cards"
