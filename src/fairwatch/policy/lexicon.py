"""The protected-ground lexicon: packaged data files parsed once at import into match indexes.

File format (docs/rights.md): `[ground]` headers, one rule per line. A rule is one part (a strong term,
rejected wherever it appears as a word) or parts joined by ` + ` (a combination, rejected only when one
alternative of every part occurs within `gap` words of the next; ` +3 ` sets the gap). `a|b` lists
alternatives; `stem*` also matches longer words, `*x` matches word endings. `@ordered` makes a
combination's parts count only in the order written; `@nopinyin` keeps a Chinese term from matching its
pinyin. `[safe]` lists phrases whose words never count towards a combination ("assembly point").
Context sections (docs/rights.md): `[sense]` rules give their words an ordinary sense that no ground
rule may count ("picket fence", "demonstration + extinguisher"); `[hazard]` lists physical hazards and
`[at]` words that make what follows a place ("at", "during"; `[at-after]`: what precedes, for
postpositions): a ground rule flagged `@venue` does not
count where the text reports a hazard and the term is its place ("Fire at the vigil"). `[filler]` words
(articles, size and manner words) do not count towards a combination's gap ("unlawful very big assembly").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable

from pypinyin import Style, lazy_pinyin

from fairwatch.policy.grounds import Ground
from fairwatch.policy.normalize import fold, has_han, leet_key, tokens

DEFAULT_GAP = 1
MIN_SPLIT_STEM = 8
_SAFE = "safe"
# Sections that are not grounds: what kind of context rule each holds.
CONTEXT_KINDS = frozenset({_SAFE, "sense", "hazard", "at", "at-after", "filler"})
_WORD_KINDS = frozenset({"at", "at-after", "filler"})  # looked up word by word, not through the match index
_COMBO_RE = re.compile(r"\s\+(\d*)\s")
_MIN_PINYIN = 4  # shorter pinyin strings collide with too many ordinary words
_GROUND_NAMES = frozenset(g.value for g in Ground)
_FLAGS = frozenset({"@nopinyin", "@ordered", "@venue"})


@dataclass(frozen=True, slots=True)
class Alt:
    """One alternative of a rule part: the text as written, its folded key and whether words must end there."""

    text: str
    key: str
    left: bool
    right: bool
    pinyin: bool = False
    inner: bool = False  # a Chinese term that may end (or lie) inside a word: then it lies inside one word

    @property
    def short_stem(self) -> bool:
        """A stem too short to spell across words on its own: ordinary word pairs would spell it by accident."""
        # Chinese is cut into words by the segmenter and Korean loses its particles (성소수|자), and a
        # spaced-out Chinese or Korean term is still the term.
        if has_han(self.key) or _has_hangul(self.key):
            return False
        return not (self.left and self.right) and len(self.key) < MIN_SPLIT_STEM


@dataclass(frozen=True, slots=True)
class Rule:
    """A strong term (one part) or a combination (several parts); `ground` is None for a context rule,
    whose `kind` names its section (safe, sense, hazard, at, filler)."""

    ground: Ground | None
    lang: str
    line: int
    parts: tuple[tuple[Alt, ...], ...]
    gap: int
    order: int
    ordered: bool = False  # the parts must appear in the order written
    kind: str = "ground"
    venue: bool = False  # the term may be the place of a reported hazard ("Fire at the vigil")


@dataclass(frozen=True, slots=True)
class Use:
    """Where a key is used: rule, part index and alternative."""

    rule: Rule
    part: int
    alt: Alt


@dataclass
class Index:
    """Keys by their first three characters (two for two-character keys), and the rules using each key."""

    prefixes: dict[str, list[str]] = field(default_factory=dict)
    uses: dict[str, list[Use]] = field(default_factory=dict)

    def add(self, key: str, use: Use) -> None:
        if key not in self.uses:
            self.uses[key] = []
            self.prefixes.setdefault(key[:3], []).append(key)
        self.uses[key].append(use)


class LexiconError(ValueError):
    """A packaged lexicon file is malformed (caught by the policy tests, never at a customer site)."""


def _alt(text: str, where: str, shortest: int = 2) -> Alt:
    left = not text.startswith("*")
    right = not text.endswith("*")
    bare = text.strip("*").strip()
    if "*" in bare:
        raise LexiconError(f"{where}: '*' only marks the start or end of a term, not the middle of {text!r}")
    key = "".join(tokens(fold(bare), segmented=False))
    if len(key) < shortest:
        raise LexiconError(f"{where}: term {text!r} folds to {key!r}, too short to match safely")
    return Alt(bare, key, left, right)


def _has_hangul(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7af" for ch in text)


def _chinese(alt: Alt, *, combination: bool, whole_word: bool) -> Alt:
    """How a Chinese term meets word boundaries (docs/rights.md, "How the guard reads a text").

    Chinese is head-final: a word that begins with a term is a compound of it (示威者, 反动分子, 纠察队),
    so a term matches at the start of a word, whatever follows. A word that only contains it further in
    is another word (网上访问, 明白人). Inside a combination, where every part must occur, a part of two
    or more characters matches anywhere (集会游行, 聚众闹事; Korean 정치성향 too); a one-character part
    stays a whole word. Korean strong terms stay whole words (시위원회, "city committee", is not 시위)."""
    if whole_word:
        return alt
    if combination and len(alt.key) > 1 and (has_han(alt.key) or _has_hangul(alt.key)):
        return Alt(alt.text, alt.key, False, False, inner=True)  # Korean compounds too: 정치성향, 불법행진
    if not has_han(alt.key):
        return alt
    return Alt(alt.text, alt.key, alt.left, False, inner=True)


def _pinyin_alt(alt: Alt) -> Alt | None:
    if not has_han(alt.text):
        return None
    syllables = lazy_pinyin(fold(alt.text), style=Style.NORMAL, v_to_u=True, errors="ignore")
    key = "".join(tokens(fold("".join(syllables)), segmented=False))
    if len(key) < _MIN_PINYIN or not key.isascii():
        return None
    return Alt(alt.text, key, True, True, pinyin=True)


def _parse_rule(
    body: str, ground: Ground | None, lang: str, where: str, order: int, line: int, kind: str = "ground"
) -> Rule:
    flags = {w for w in body.split() if w.startswith("@")}
    if flags - _FLAGS:
        raise LexiconError(f"{where}: unknown flag(s) {sorted(flags - _FLAGS)}")
    body = " ".join(w for w in body.split() if not w.startswith("@"))
    gaps = [int(g) for g in _COMBO_RE.findall(f" {body} ") if g]
    parts = []
    chunks = _COMBO_RE.split(f" {body} ")[::2]
    for chunk in chunks:
        # Place markers and fillers are whole words, so one letter or character is safe ("a", 在); so is
        # a one-character Chinese word inside a combination (进京 + 访).
        alts = [
            _chinese(
                _alt(a.strip(), where, 1 if kind in _WORD_KINDS or (len(chunks) > 1 and has_han(a)) else 2),
                combination=len(chunks) > 1,
                whole_word=kind in _WORD_KINDS,
            )
            for a in chunk.split("|")
            if a.strip()
        ]
        if not alts:
            raise LexiconError(f"{where}: empty part in {body!r}")
        if lang == "zh" and "@nopinyin" not in flags:
            alts += [p for p in map(_pinyin_alt, alts) if p is not None]
        parts.append(tuple(alts))
    gap = max(gaps, default=DEFAULT_GAP)
    if kind in _WORD_KINDS and (
        len(parts) > 1 or any(not (a.left and a.right) or " " in a.text for a in parts[0])
    ):
        raise LexiconError(f"{where}: an [{kind}] line lists single whole words only: {body!r}")
    return Rule(
        ground,
        lang,
        line,
        tuple(parts),
        gap,
        order,
        ordered="@ordered" in flags,
        kind=kind,
        venue="@venue" in flags,
    )


def parse(text: str, lang: str, start_order: int = 0) -> list[Rule]:
    """Rules in one lexicon file; `lang` is the file's language code."""
    rules: list[Rule] = []
    section: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        where = f"lexicon/{lang}.txt:{number}"
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            if section not in CONTEXT_KINDS and section not in _GROUND_NAMES:
                raise LexiconError(f"{where}: unknown section [{section}]")
            continue
        if section is None:
            raise LexiconError(f"{where}: rule before any [ground] section")
        kind = section if section in CONTEXT_KINDS else "ground"
        ground = None if kind != "ground" else Ground(section)
        rules.append(_parse_rule(line, ground, lang, where, start_order + len(rules), number, kind))
    return rules


def _lexicon_order(name: str) -> tuple[int, str]:
    # English, then Chinese, then the rest: on a tie between languages the reason names the likelier one.
    return ({"lexicon/en.txt": 0, "lexicon/zh.txt": 1}.get(name, 2), name)


def _data_files() -> list[tuple[str, Traversable]]:
    root = resources.files("fairwatch.policy")
    found = []
    for folder in ("lexicon", "data"):
        for item in root.joinpath(folder).iterdir():
            if item.is_file() and item.name.endswith(".txt"):
                found.append((f"{folder}/{item.name}", item))
    return sorted(found, key=lambda pair: pair[0])


def lexicon_sha256() -> str:
    """SHA-256 over every packaged lexicon data file (name and bytes, in name order); stable across runs."""
    return _SHA256


def _sha256() -> str:
    digest = hashlib.sha256()
    for name, item in _data_files():
        data = item.read_bytes()
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def load() -> tuple[list[Rule], list[str]]:
    """All rules from the packaged lexicon files, and the languages they cover."""
    rules: list[Rule] = []
    langs = []
    for name, item in sorted(_data_files(), key=lambda pair: _lexicon_order(pair[0])):
        if name.startswith("lexicon/"):
            lang = name.removeprefix("lexicon/").removesuffix(".txt")
            langs.append(lang)
            rules += parse(item.read_text("utf-8"), lang, len(rules))
    return rules, langs


def build_indexes(rules: Iterable[Rule]) -> tuple[Index, Index, Index]:
    """The plain, leetspeak and pinyin-only indexes over every alternative of every rule."""
    plain, leet, pinyin = Index(), Index(), Index()
    for rule in rules:
        for number, part in enumerate(rule.parts):
            for alt in part:
                use = Use(rule, number, alt)
                plain.add(alt.key, use)
                leet.add(leet_key(alt.key), use)
                if alt.pinyin or rule.ground is None:
                    pinyin.add(alt.key, use)
    return plain, leet, pinyin


def words_of(rules: Iterable[Rule], kind: str) -> frozenset[str]:
    """The folded words of every [filler] or [at] line."""
    return frozenset(alt.key for rule in rules if rule.kind == kind for alt in rule.parts[0])


_SHA256 = _sha256()
RULES, LANGUAGES = load()
# Place markers are looked up word by word; fillers too, and through the index when spelled across words.
PLAIN_INDEX, LEET_INDEX, PINYIN_INDEX = build_indexes(r for r in RULES if r.kind not in ("at", "at-after"))
FILLERS = words_of(RULES, "filler")
PLACE_MARKERS = words_of(RULES, "at")
PLACE_POSTPOSITIONS = words_of(RULES, "at-after")
