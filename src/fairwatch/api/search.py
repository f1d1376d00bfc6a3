"""Free-text alarm search (`GET /api/v1/alarms?q=...`): the words of `q`, and the alarm types and zones each word
finds by display name (type names in every language of the taxonomy, the site's zone names), for the store to
match together with the stored fields (store/alarm_sql.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from fairwatch.errors import InvalidInput, Problem
from fairwatch.events.inputs import text_problem
from fairwatch.store import TextSearch
from fairwatch.taxonomy.model import AlarmType

MAX_QUERY = 200
MAX_WORDS = 8


def parse_search(text: str, types: Iterable[AlarmType], zone_names: Mapping[str, str]) -> TextSearch | None:
    """The search for `q`; None for blank text. InvalidInput names `q`, the value and what is wrong."""
    problem = text_problem("q", text)
    if problem is not None:
        raise InvalidInput([problem], "invalid query")
    if len(text) > MAX_QUERY:
        raise InvalidInput(
            [Problem("q", text[:50] + "…", f"must be at most {MAX_QUERY} characters")], "invalid query"
        )
    words = tuple(dict.fromkeys(w.casefold() for w in text.split()))
    if not words:
        return None
    if len(words) > MAX_WORDS:
        raise InvalidInput([Problem("q", text, f"must have at most {MAX_WORDS} words")], "invalid query")
    known = list(types)
    by_type = tuple(frozenset(t.id for t in known if _in_names(w, t.names.values())) for w in words)
    by_zone = tuple(frozenset(z for z, name in zone_names.items() if w in name.casefold()) for w in words)
    return TextSearch(words, by_type, by_zone)


def _in_names(word: str, names: Iterable[str]) -> bool:
    return any(word in name.casefold() for name in names)
