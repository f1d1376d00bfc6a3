"""`check_text`: does a name, label or description target a protected ground? (RIGHTS.md RS-2)

Text is folded (normalize.fold) and split into words; a lexicon key matches where the concatenation of
whole consecutive words spells it, so "falun gong", "falungong", "f a l u n-g o n g" all match but
"difficult" never matches "cult". The text is read three ways: plain, as leetspeak, and as run-together or
tone-numbered pinyin (against the Chinese terms only). When several rules match, the longest match wins, so "protest banner" names expression, not assembly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise, product

from fairwatch.policy.decode import decoded
from fairwatch.policy.grounds import GROUND_REASONS, Ground, Violation
from fairwatch.policy.lexicon import (
    FILLERS,
    LEET_INDEX,
    PINYIN_INDEX,
    PLACE_MARKERS,
    PLACE_POSTPOSITIONS,
    PLAIN_INDEX,
    RULES,
    Index,
    Rule,
)
from fairwatch.policy.normalize import fold, leet_tokens, pinyin_tokens, tokens


@dataclass(frozen=True, slots=True)
class _Span:
    first: int  # first word
    last: int  # last word
    start: int  # first character in the compact text
    end: int  # one past the last character
    text: str  # the alternative as written
    pinyin: bool
    bounded: bool  # matched a whole word, not a stem


@dataclass(frozen=True, slots=True)
class _Match:
    rule: Rule
    spans: tuple[_Span, ...]

    @property
    def rank(self) -> tuple[int, int, int, int]:
        """Longest first, then earliest, then whole words over stems, then lexicon order."""
        start = min(s.start for s in self.spans)
        bounded = sum(s.bounded for s in self.spans)
        return (max(s.end for s in self.spans) - start, -start, bounded, -self.rule.order)


def _layout(words: list[str]) -> tuple[str, list[int], set[int]]:
    """The words run together, the word each character belongs to, and where words start (and the end)."""
    word_of: list[int] = []
    starts = set()
    for number, word in enumerate(words):
        starts.add(len(word_of))
        word_of.extend([number] * len(word))
    starts.add(len(word_of))
    return "".join(words), word_of, starts


def _spans(words: list[str], index: Index) -> dict[tuple[int, int], list[_Span]]:
    """Every boundary-respecting occurrence of an index key, grouped by (rule order, part)."""
    compact, word_of, starts = _layout(words)
    found: dict[tuple[int, int], list[_Span]] = {}
    prefixes = index.prefixes
    for i in range(len(compact) - 1):
        two = prefixes.get(compact[i : i + 2], ())
        three = prefixes.get(compact[i : i + 3], ()) if i + 3 <= len(compact) else ()
        for key in (*two, *three):
            if not compact.startswith(key, i):
                continue
            end = i + len(key)
            for use in index.uses[key]:
                alt = use.alt
                if (alt.left and i not in starts) or (alt.right and end not in starts):
                    continue
                if alt.short_stem and len(use.rule.parts) == 1 and word_of[i] != word_of[end - 1]:
                    continue  # "union is" must not spell the strong stem "unionis*"
                if alt.inner and not (i in starts and end in starts) and word_of[i] != word_of[end - 1]:
                    continue  # 黑人 must not be spelled by 黑|人物: whole words, or inside one word
                span = _Span(
                    word_of[i], word_of[end - 1], i, end, alt.text, alt.pinyin, alt.left and alt.right
                )
                found.setdefault((use.rule.order, use.part), []).append(span)
    return found


def _combination(rule: Rule, parts: list[list[_Span]], solid: list[int]) -> tuple[_Span, ...] | None:
    """One span per part, none overlapping, each within `rule.gap` words of the next; None if impossible.

    `solid[i]` counts the non-filler words before word i: filler words ("the", "very", "big") between
    two parts do not count towards the gap.
    """
    # Only spans near an anchor can combine with it: this keeps a long hostile text from costing
    # len(part) ** parts tries.
    reach = sum(max(s.last - s.first + 1 for s in p) + rule.gap + _MAX_FILLERS for p in parts)
    for anchor in parts[0]:
        near = [[s for s in p if abs(s.first - anchor.first) <= reach] for p in parts[1:]]
        for rest in product(*near):
            choice = (anchor, *rest)
            ordered = choice if rule.ordered else sorted(choice, key=lambda s: s.start)
            if all(
                a.end <= b.start
                and solid[b.first] - solid[a.last + 1] <= rule.gap
                and b.first - a.last - 1 <= rule.gap + _MAX_FILLERS
                for a, b in pairwise(ordered)
            ):
                return choice
    return None


_MAX_FILLERS = 24  # filler words tolerated between two parts beyond the gap ("v e r y b i g" is 7)
_AT_REACH = 3  # words between a place marker ("at") and the venue term ("at the Easter vigil")


@dataclass(frozen=True, slots=True)
class _Context:
    """What the context rules found in one reading of a text."""

    safe: list[_Span]  # words in safe phrases: never part of a combination
    sense: set[int]  # words read in an ordinary sense: never part of any ground match
    hazard: bool  # the text reports a physical hazard
    at: list[int]  # words that are place markers
    after: list[int]  # words that are place postpositions (Mongolian дээр, Kazakh маңында)
    heading: int  # words before the first colon (a heading names the place: "Easter Vigil: ...")


def _context(
    words: list[str], found: dict[tuple[int, int], list[_Span]], solid: list[int], heading: int
) -> _Context:
    by_kind: dict[str, dict[int, list[list[_Span]]]] = {}
    for (order, part), spans in found.items():
        rule = RULES[order]
        if rule.ground is None:
            parts = by_kind.setdefault(rule.kind, {}).setdefault(order, [[] for _ in rule.parts])
            parts[part] = spans
    safe = [s for parts in by_kind.get("safe", {}).values() for p in parts for s in p]
    at = [n for n, word in enumerate(words) if word in PLACE_MARKERS]
    after = [n for n, word in enumerate(words) if word in PLACE_POSTPOSITIONS]
    sense: set[int] = set()
    for order, parts in by_kind.get("sense", {}).items():
        for anchor in parts[0]:  # every occurrence of a sense phrase, not only the first
            chosen = _combination(RULES[order], [[anchor], *parts[1:]], solid) if all(parts) else None
            for span in chosen or ():
                sense.update(range(span.first, span.last + 1))
    hazard = any(
        all(parts) and _combination(RULES[order], parts, solid) is not None
        for order, parts in by_kind.get("hazard", {}).items()
    )
    return _Context(safe, sense, hazard, at, after, heading)


def _is_venue(spans: tuple[_Span, ...], context: _Context) -> bool:
    """The matched term is the place of a reported hazard: after a place marker, or in a heading."""
    if not context.hazard:
        return False
    first = min(s.first for s in spans)
    if max(s.last for s in spans) == context.heading - 1:  # the heading ends with it: "Easter Vigil: ..."
        return True
    last = max(s.last for s in spans)
    return any(0 <= first - at - 1 <= _AT_REACH for at in context.at) or any(
        0 <= after - last - 1 <= 1 for after in context.after
    )


def _matches(words: list[str], index: Index, heading: int = 0) -> list[_Match]:
    found = _spans(words, index)
    if all(RULES[order].ground is None for order, _ in found):
        return []  # nothing but context: the usual case for a safety text
    filler = [word in FILLERS for word in words]
    for (order, _), spans in found.items():
        if RULES[order].kind == "filler":  # a filler spelled across words: "v e r y", "all eged"
            for span in spans:
                filler[span.first : span.last + 1] = [True] * (span.last - span.first + 1)
    solid = [0]
    for is_filler in filler:
        solid.append(solid[-1] + (not is_filler))
    context = _context(words, found, solid, heading)
    matches = []
    for order in sorted({order for order, _ in found}):
        rule = RULES[order]
        if rule.ground is None:
            continue
        parts = [found.get((order, n), []) for n in range(len(rule.parts))]
        if context.sense:
            # A word read in its ordinary sense ("picket fence") counts towards no ground.
            parts = [
                [s for s in p if not context.sense.issuperset(range(s.first, s.last + 1))] for p in parts
            ]
        if len(parts) > 1:
            # A word inside a safe phrase ("assembly point") never counts towards a combination.
            parts = [
                [s for s in p if not any(m.first <= s.first and s.last <= m.last for m in context.safe)]
                for p in parts
            ]
        if all(parts):
            chosen = _combination(rule, parts, solid)
            if chosen is not None and not (rule.venue and _is_venue(chosen, context)):
                matches.append(_Match(rule, chosen))
    return matches


def _violation(match: _Match) -> Violation:
    rule = match.rule
    assert rule.ground is not None
    term = " + ".join(span.text for span in match.spans)
    via = ", pinyin" if any(span.pinyin for span in match.spans) else ""
    return Violation(rule.ground, term, f"{GROUND_REASONS[rule.ground]}; {rule.lang} lexicon{via}")


def _readings(text: str) -> list[tuple[list[str], Index, int]]:
    """(words, index, heading) for each reading; only the plain reading has a heading."""
    folded = fold(text)
    words = tokens(folded)
    heading = len(tokens(folded.split(":", 1)[0])) if ":" in folded else 0
    readings = [(words, PLAIN_INDEX, heading)]
    leet = leet_tokens(folded)
    if leet is not None:
        readings.append((leet, LEET_INDEX, 0))
    pinyin = pinyin_tokens(words)
    if pinyin is not None:
        readings.append((pinyin, PINYIN_INDEX, 0))
    return readings


def check_text(text: str) -> Violation | None:
    """Return the protected ground `text` targets (the longest match), or None if it may be used."""
    # Names and labels repeat (every rule load checks the same ones); long texts are not worth keeping.
    return _check_cached(text) if len(text) <= _CACHE_MAX_LEN else _check(text)


def _all_readings(text: str) -> list[tuple[list[str], Index, int]]:
    """The readings of the fully decoded text first (percent, HTML, Base64), then of each layer back to the
    text as written: "Protest%20banner" is read as "Protest banner", not as "protest" and "20banner"."""
    readings = []
    for layer in [*reversed(decoded(text)), text]:
        readings += _readings(layer)
    return readings


def _check(text: str) -> Violation | None:
    for words, index, heading in _all_readings(text):
        matches = _matches(words, index, heading)
        if matches:
            return _violation(max(matches, key=lambda m: m.rank))
    return None


_CACHE_MAX_LEN = 200
_check_cached = lru_cache(maxsize=8192)(_check)


def explain(text: str) -> list[Violation]:
    """Every rule `text` matches in its first reading that matches anything; for docs and false-positive reports."""
    for words, index, heading in _all_readings(text):
        matches = _matches(words, index, heading)
        if matches:
            return [_violation(m) for m in sorted(matches, key=lambda m: m.rank, reverse=True)]
    return []


__all__ = ["Ground", "Violation", "check_text", "explain"]
