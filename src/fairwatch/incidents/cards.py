"""Action cards: the steps to take per incident type, read strictly from a YAML file (`serve --cards`).

    cards:
      - type: crowd_safety.crush_risk        # an active type of the guarded taxonomy
        tasks:
          - Hold inflow at the gates          # each title passes the rights guard
          - Show-stop yellow card to stage manager

Every problem is collected and raised as one ConfigError in the one format `FILE:LINE: ITEM: FIELD: message`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from os import PathLike

import yaml

from fairwatch.errors import ConfigError
from fairwatch.policy import check_text
from fairwatch.yamlfile import Node, Reader, compose, read_text

KnownType = Callable[[str], bool]
MAX_TITLE = 200


@dataclass(frozen=True, slots=True)
class Cards:
    """Task titles by incident type; `path` names the file they came from (None: no cards)."""

    steps: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    path: str | None = None

    def for_type(self, incident_type: str) -> tuple[str, ...]:
        """The steps of the type's card; none when it has no card."""
        return self.steps.get(incident_type, ())


def load_cards(path: str | PathLike[str], known_type: KnownType | None = None) -> Cards:
    """Read and check a cards file; ConfigError lists every problem."""
    return parse_cards(read_text(path, "cards"), str(path), known_type)


def parse_cards(text: str, filename: str = "cards.yaml", known_type: KnownType | None = None) -> Cards:
    """Check cards text: a known type per card, each once, 1 to 30 guarded titles each."""
    reader = Reader(filename)
    root, syntax_error = compose(text, filename)
    if syntax_error is not None:
        raise ConfigError([syntax_error])
    if root is None:
        raise ConfigError([f"{filename}:1: the file is empty (expected a mapping with 'cards')"])
    top = reader.mapping(root, "", ["cards"], ["cards"])
    items = reader.sequence(top["cards"][1], "cards", "cards") if top and "cards" in top else None
    steps: dict[str, tuple[str, ...]] = {}
    for n, node in enumerate(items or [], 1):
        reader.item = f"card {n}" + _named(reader, node)
        card = _card(reader, node, known_type)
        if card is None:
            continue
        card_type, titles = card
        if card_type in steps:
            reader.error(node, "type", "a second card for this type", got=card_type)
        steps[card_type] = titles
    reader.raise_if_any()
    return Cards(steps, filename)


def _card(reader: Reader, node: Node, known_type: KnownType | None) -> tuple[str, tuple[str, ...]] | None:
    entries = reader.mapping(node, "", ["type", "tasks"], ["type", "tasks"])
    if not entries or "type" not in entries or "tasks" not in entries:
        return None
    type_node = entries["type"][1]
    card_type = reader.string(type_node, "type")
    if card_type is not None and known_type is not None and not known_type(card_type):
        reader.error(type_node, "type", "not an active type of the taxonomy", got=type_node)
    tasks = reader.sequence(entries["tasks"][1], "tasks", "task titles") or []
    if not 1 <= len(tasks) <= 30:
        reader.error(entries["tasks"][1], "tasks", "a card has 1 to 30 tasks", got=len(tasks))
    titles = [t for i, t in enumerate(tasks) if _title(reader, t, f"tasks[{i}]")]
    if card_type is None:
        return None
    return card_type, tuple(str(reader.value(t)) for t in titles)


def _named(reader: Reader, node: Node) -> str:
    """` ('<type>')` when the card names its type, so every message about it says which card it is."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if reader.value(key) == "type" and isinstance(reader.value(value), str):
                return f" ({reader.value(value)!r})"
    return ""


def _title(reader: Reader, node: Node, path: str) -> bool:
    title = reader.string(node, path)
    if title is None:
        return False
    if len(title) > MAX_TITLE:
        reader.error(node, path, f"at most {MAX_TITLE} characters", got=title[:40] + "...")
        return False
    refused = check_text(title)
    if refused is not None:
        message = f"refused by the rights guard: {refused.ground.value}: '{refused.term}' ({refused.reason})"
        reader.error(node, path, message, got=title)
        return False
    return True
