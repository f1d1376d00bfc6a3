"""`check_name`: identifiers and display names (zone, site, unit and team names, phase ids, receiver, token
and user names) must look like what they are, then pass the guard.

A name is refused for characters that make it read differently from what it is, in the spirit of UTS #39
(Unicode security mechanisms):

* bidirectional controls (U+202A-202E, U+2066-2069, U+200E, U+200F, U+061C), which reorder what is shown;
* invisible characters: zero-width characters, soft hyphen, word joiner, BOM, Hangul fillers, tag
  characters, and variation selectors where they select nothing (not after an emoji or a CJK ideograph);
  ZWNJ and ZWJ pass only where a script needs them (after a virama, between joining Arabic-script letters,
  inside an emoji sequence);
* mixed scripts within one word beyond UTS #39's "highly restrictive" level: a word is one script, or
  Latin with Han, kana or Hangul ("B区", "ゲートA"), so a Cyrillic "а" inside a Latin word is refused;
* letters in a script the lexicon is not written in (Greek, Hebrew, Thai, Georgian ...): the guard could not
  read such a name, so it is not accepted (`covered_scripts()`, derived from the lexicon files).

A name that passes these checks then goes through `check_text`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from fairwatch.policy.grounds import Violation
from fairwatch.policy.matcher import check_text

_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_INVISIBLE = frozenset(
    "\u200b\u00ad\u2060\u2061\u2062\u2063\u2064\ufeff\u180e\u034f\u115f\u1160\u3164\uffa0\u17b4\u17b5"
)
_ZWNJ, _ZWJ = "\u200c", "\u200d"
_TEXT_VS = range(0xFE00, 0xFE10)
_IDEOGRAPHIC_VS = range(0xE0100, 0xE01F0)
_TAGS = range(0xE0000, 0xE0080)
_VIRAMA = 9  # canonical combining class of a virama
# Scripts that may share a word with Latin (UTS #39 "highly restrictive") or with each other.
_CJK_SETS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
)
_SCRIPT_ALIASES = {
    "CJK": "HAN",
    "KANGXI": "HAN",
    "IDEOGRAPHIC": "HAN",
    "FULLWIDTH": "LATIN",
    "HALFWIDTH": "KATAKANA",
    "KATAKANA-HIRAGANA": "KATAKANA",
}


@dataclass(frozen=True, slots=True)
class NameProblem:
    """Why a name was refused before the guard read it: what was found and where (1-based character)."""

    kind: str  # "bidi-control", "invisible-character", "mixed-script", "uncovered-script"
    detail: str
    position: int

    @property
    def reason(self) -> str:
        return f"{self.kind}: {self.detail} at character {self.position}"

    def __str__(self) -> str:
        return self.reason


def _script(ch: str) -> str | None:
    """The script of a letter, from its Unicode name (LATIN SMALL LETTER A -> LATIN); None for others
    (modifier letters, which belong to no one script, included)."""
    if not unicodedata.category(ch).startswith("L") or unicodedata.category(ch) == "Lm":
        return None
    first = unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]
    return _SCRIPT_ALIASES.get(first, first)


def _is_emoji(ch: str) -> bool:
    return unicodedata.category(ch) == "So" or 0x1F000 <= ord(ch) <= 0x1FAFF


def _is_joining(ch: str) -> bool:
    return "ARABIC" in unicodedata.name(ch, "") or "SYRIAC" in unicodedata.name(ch, "")


def _invisible(text: str, i: int) -> str | None:
    """What makes text[i] an invisible character out of place, or None."""
    ch = text[i]
    cp = ord(ch)
    before = text[i - 1] if i > 0 else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    if ch in _INVISIBLE or cp in _TAGS:
        return f"U+{cp:04X} {unicodedata.name(ch, 'invisible character')}"
    if cp in _TEXT_VS:
        return (
            None
            if before and (_is_emoji(before) or _script(before) == "HAN")
            else f"U+{cp:04X} variation selector"
        )
    if cp in _IDEOGRAPHIC_VS:
        return None if before and _script(before) == "HAN" else f"U+{cp:04X} variation selector"
    if ch in (_ZWNJ, _ZWJ):
        if before and unicodedata.combining(before) == _VIRAMA:
            return None
        if ch == _ZWNJ and before and after and _is_joining(before) and _is_joining(after):
            return None  # Persian and Urdu write ZWNJ inside words
        if ch == _ZWJ and before and after and _is_emoji(before) and _is_emoji(after):
            return None  # emoji sequences
        return f"U+{cp:04X} {unicodedata.name(ch)}"
    if unicodedata.category(ch) == "Cf" and ch not in _BIDI:
        return f"U+{cp:04X} {unicodedata.name(ch, 'format character')}"
    return None


def _mixed_script(text: str) -> NameProblem | None:
    position = 0
    for word in re.split(r"([\W_]+)", text):
        scripts = {s for s in map(_script, word) if s is not None}
        if len(scripts) > 1 and not any(scripts <= allowed for allowed in _CJK_SETS):
            return NameProblem("mixed-script", f"'{word}' mixes {', '.join(sorted(scripts))}", position + 1)
        position += len(word)
    return None


@cache
def covered_scripts() -> frozenset[str]:
    """The scripts the packaged lexicon is written in: the only scripts a name may use."""
    found: set[str] = set()
    for item in resources.files("fairwatch.policy").joinpath("lexicon").iterdir():
        if item.name.endswith(".txt"):
            text = unicodedata.normalize("NFKC", item.read_text("utf-8"))
            found.update(s for s in map(_script, set(text)) if s is not None)
    return frozenset(found)


def _uncovered_script(text: str) -> NameProblem | None:
    covered = covered_scripts()
    for i, ch in enumerate(text):
        script = _script(ch)
        if script is not None and script not in covered:
            detail = f"'{ch}' is {script}, a script the rights lexicon does not read"
            return NameProblem("uncovered-script", detail, i + 1)
    return None


def name_problem(text: str) -> NameProblem | None:
    """The first bidi control, misplaced invisible character, mixed-script word or letter of a script the
    lexicon does not cover in `text`, or None."""
    for i, ch in enumerate(text):
        if ch in _BIDI:
            return NameProblem("bidi-control", f"U+{ord(ch):04X} {unicodedata.name(ch)}", i + 1)
        found = _invisible(text, i)
        if found is not None:
            return NameProblem("invisible-character", found, i + 1)
    folded = unicodedata.normalize("NFKC", text)
    return _mixed_script(folded) or _uncovered_script(folded)


def check_name(text: str) -> NameProblem | Violation | None:
    """Why an identifier or display name may not be used: a `NameProblem` (deceptive characters), a
    `Violation` (it targets a protected ground), or None. Both have a `reason`."""
    return name_problem(text) or check_text(text)
