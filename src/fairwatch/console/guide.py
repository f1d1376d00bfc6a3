"""What an operator is told to do about an alarm: the rule's description, the alarm type's own description and the
action card for its type (incidents/cards.py), for the alarm page (pure).

Every text here passed the rights guard when it was loaded (rules, taxonomy and cards files all do); nothing from
event data is in it.
"""

from __future__ import annotations

from typing import Any

from fairwatch.incidents.cards import Cards
from fairwatch.model import Alarm
from fairwatch.rules.model import RuleSet
from fairwatch.taxonomy import Taxonomy


def guide(alarm: Alarm, rules: RuleSet, taxonomy: Taxonomy, cards: Cards, lang: str = "en") -> dict[str, Any]:
    """The rule (None when the rule is no longer in force), the type and the card's steps for `alarm`."""
    rule = rules.get(alarm.rule)
    kind = taxonomy.get(alarm.type)
    return {
        "rule": None if rule is None else {"id": rule.id, "description": rule.description or None},
        "type": {
            "id": alarm.type,
            "name": kind.name(lang) if kind is not None else None,
            "description": kind.description if kind is not None else None,
        },
        "card": list(cards.for_type(alarm.type)),
    }


def type_names(taxonomy: Taxonomy) -> dict[str, str]:
    """Display names of every type, for titles the console writes (an incident opened from the queue)."""
    return {t.id: t.name() for t in taxonomy.all()}


def local_type_names(taxonomy: Taxonomy, lang: str) -> dict[str, str]:
    """The taxonomy's names of every type in `lang` (its English name where it has none in `lang`), for pages in a
    language other than English; empty in English (the console writes English type names from the id)."""
    return {} if lang == "en" else {t.id: t.name(lang) for t in taxonomy.all()}
