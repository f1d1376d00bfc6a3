"""`check_text`: does a name, label or description target a protected ground? (RIGHTS.md RS-2)

Text is folded (normalize.fold) and split into words; a lexicon key matches where the concatenation of
whole consecutive words spells it, so "falun gong", "falungong", "f a l u n-g o n g" all match but
"difficult" never matches "cult". The text is read three ways: plain, as leetspeak and without pinyin tone
numbers. When several rules match, the longest match wins, so "protest banner" names expression, not assembly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import product

from fairwatch.policy.grounds import GROUND_REASONS, Ground, Violation
from fairwatch.policy.lexicon import LEET_INDEX, PLAIN_INDEX, RULES, Index, Rule
from fairwatch.policy.normalize import fold, leet_tokens, tokens, tone_tokens


@dataclass(frozen=True, slots=True)
class _Span:
    first: int  # first word
    last: int  # last word
    start: int  # first character in the compact text
    end: int  # one past the last character
    text: str  # the alternative as written
    pinyin: bool


@dataclass(frozen=True, slots=True)
class _Match:
    rule: Rule
    spans: tuple[_Span, ...]

    @property
    def rank(self) -> tuple[int, int, int]:
        start = min(s.start for s in self.spans)
        return (max(s.end for s in self.spans) - start, -start, -self.rule.order)


def _spans(words: list[str], index: Index) -> dict[tuple[int, int], list[_Span]]:
    """Every boundary-respecting occurrence of an index key, grouped by (rule order, part)."""
    compact = "".join(words)
    word_of: list[int] = []
    starts = set()
    for number, word in enumerate(words):
        starts.add(len(word_of))
        word_of.extend([number] * len(word))
    starts.add(len(compact))
    found: dict[tuple[int, int], list[_Span]] = {}
    for i in range(len(compact) - 1):
        for key in index.bigrams.get(compact[i : i + 2], ()):
            if not compact.startswith(key, i):
                continue
            end = i + len(key)
            for use in index.uses[key]:
                alt = use.alt
                if (alt.left and i not in starts) or (alt.right and end not in starts):
                    continue
                span = _Span(word_of[i], word_of[end - 1], i, end, alt.text, alt.pinyin)
                found.setdefault((use.rule.order, use.part), []).append(span)
    return found


def _combination(rule: Rule, parts: list[list[_Span]]) -> tuple[_Span, ...] | None:
    """One span per part, none overlapping, each within `rule.gap` words of the next; None if impossible."""
    for choice in product(*parts):
        ordered = sorted(choice, key=lambda s: s.first)
        if all(0 <= b.first - a.last - 1 <= rule.gap for a, b in zip(ordered, ordered[1:], strict=False)):
            return choice
    return None


def _matches(words: list[str], index: Index) -> list[_Match]:
    found = _spans(words, index)
    safe = [s for (order, _), spans in found.items() if RULES[order].ground is None for s in spans]
    matches = []
    for order in sorted({order for order, _ in found}):
        rule = RULES[order]
        if rule.ground is None:
            continue
        parts = [found.get((order, n), []) for n in range(len(rule.parts))]
        if len(parts) > 1:
            # A word inside a safe phrase ("assembly point") never counts towards a combination.
            parts = [[s for s in p if not any(m.first <= s.first and s.last <= m.last for m in safe)] for p in parts]
        if all(parts):
            spans = _combination(rule, parts)
            if spans is not None:
                matches.append(_Match(rule, spans))
    return matches


def _violation(match: _Match) -> Violation:
    rule = match.rule
    assert rule.ground is not None
    term = " + ".join(span.text for span in match.spans)
    via = ", pinyin" if any(span.pinyin for span in match.spans) else ""
    return Violation(rule.ground, term, f"{GROUND_REASONS[rule.ground]} ({rule.lang} lexicon{via})")


def _readings(text: str) -> list[tuple[list[str], Index]]:
    folded = fold(text)
    words = tokens(folded)
    readings = [(words, PLAIN_INDEX)]
    leet = leet_tokens(folded)
    if leet is not None:
        readings.append((leet, LEET_INDEX))
    toneless = tone_tokens(words)
    if toneless is not None:
        readings.append((toneless, PLAIN_INDEX))
    return readings


@lru_cache(maxsize=8192)
def check_text(text: str) -> Violation | None:
    """Return the protected ground `text` targets (the longest match), or None if it may be used."""
    for words, index in _readings(text):
        matches = _matches(words, index)
        if matches:
            return _violation(max(matches, key=lambda m: m.rank))
    return None


def explain(text: str) -> list[Violation]:
    """Every rule `text` matches in its first reading that matches anything; for docs and false-positive reports."""
    for words, index in _readings(text):
        matches = _matches(words, index)
        if matches:
            return [_violation(m) for m in sorted(matches, key=lambda m: m.rank, reverse=True)]
    return []


__all__ = ["Ground", "Violation", "check_text", "explain"]
