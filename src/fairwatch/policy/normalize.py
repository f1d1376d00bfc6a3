"""Text folding shared by the lexicon and the text under test, so both sides compare as skeletons.

`fold` undoes case, width, diacritics, homoglyphs, zero-width and bidi characters and traditional Chinese;
`tokens` splits folded text into words: Chinese characters into dictionary words (jieba), Korean words
into the noun and the particles after it, every kana character into a word of its own;
`leet_tokens` and `pinyin_tokens` are the extra readings that see through leetspeak and run-together pinyin.
"""

from __future__ import annotations

import re
import unicodedata
from importlib import resources
from typing import Any

import opencc

SEP, WORD, SINGLE = 0, 1, 2

# Scripts in which a combining mark is a letter part, not an accent (Indic, Thai, Lao, Tibetan and Burmese
# vowel signs, kana voicing).
_KEEP_MARKS = ((0x0900, 0x0DFF), (0x0E00, 0x0FFF), (0x1000, 0x109F), (0x3099, 0x309A))
# Characters written without spaces: each one is its own token so terms match inside longer runs.
_SINGLE_RANGES = (
    (0x3040, 0x30FF),
    (0x31F0, 0x31FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3FFFF),
)
_HAN_RE = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
# Hangul fillers are letters (Lo) that render as nothing.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u034f")

_LEET = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "6": "g", "7": "t", "8": "b", "9": "g",
                       "@": "a", "$": "s", "€": "e", "!": "l", "|": "l", "+": "t", "i": "l"})  # fmt: skip
_LEET_EDGE = frozenset("@$€")  # leet when next to a letter on either side ("$trike", "@ssembly")
_LEET_INNER = frozenset("!|+")  # leet only between letters ("p!cket"), punctuation otherwise
_TONE_RE = re.compile(r"(?<=[a-z])[1-5]")


def _load_folds() -> dict[str, str]:
    text = resources.files("fairwatch.policy").joinpath("data/confusables.txt").read_text("utf-8")
    folds: dict[str, str] = {}
    for line in text.splitlines():
        fields = line.split()
        if not fields or line.startswith("#"):
            continue
        source, target = (chr(int(f[2:], 16)) if f.startswith("U+") else f for f in fields[:2])
        folds[source] = target
    return folds


_FOLDS = _load_folds()
_T2S = opencc.OpenCC("t2s")
_CHAR_CACHE: dict[str, str] = {}
_CLASS_CACHE: dict[str, int] = {}


def _keep_mark(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _KEEP_MARKS)


def _fold_char(ch: str) -> str:
    out = []
    for part in unicodedata.normalize("NFKD", ch):
        for c in part.casefold():
            category = unicodedata.category(c)
            if category == "Cf" or c in _INVISIBLE:
                continue  # zero-width, bidi controls, soft hyphen: joined up as if absent
            if category in ("Mn", "Me") and not _keep_mark(c):
                continue  # accents and Arabic vowel marks
            out.append(_FOLDS.get(c, c))
    return "".join(out)


def fold(text: str) -> str:
    """The skeleton of `text`: what the lexicon is compared against (punctuation kept for the leet reading)."""
    text = unicodedata.normalize("NFKC", text)
    if _HAN_RE.search(text):
        text = _T2S.convert(text)
    cache = _CHAR_CACHE
    chars = []
    for ch in text:
        folded = cache.get(ch)
        if folded is None:
            folded = cache[ch] = _fold_char(ch)
        chars.append(folded)
    # Recompose Hangul syllables and kana voicing that NFKD split apart.
    return unicodedata.normalize("NFC", "".join(chars))


def has_han(text: str) -> bool:
    """True if `text` contains a Chinese character."""
    return _HAN_RE.search(text) is not None


def char_class(ch: str) -> int:
    """SEP, WORD or SINGLE (a character that is a token by itself)."""
    cls = _CLASS_CACHE.get(ch)
    if cls is None:
        cp = ord(ch)
        if any(lo <= cp <= hi for lo, hi in _SINGLE_RANGES):
            cls = SINGLE
        else:
            cls = WORD if unicodedata.category(ch)[0] in "LNM" else SEP
        _CLASS_CACHE[ch] = cls
    return cls


def _load_particles() -> tuple[str, ...]:
    text = resources.files("fairwatch.policy").joinpath("data/ko_particles.txt").read_text("utf-8")
    words = {w for line in text.splitlines() if not line.startswith("#") for w in line.split()}
    return tuple(sorted(words, key=len, reverse=True))  # longest first


_PARTICLES = _load_particles()
_MAX_PARTICLES = 3  # 시위대가 -> 시위|대|가


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7af"


def _hangul_parts(word: str) -> list[str]:
    """A Korean word as its noun and the particles and suffixes after it; other words unchanged."""
    tail: list[str] = []
    for _ in range(_MAX_PARTICLES):
        if len(word) < 2 or not _is_hangul(word[-1]):
            break
        particle = next((p for p in _PARTICLES if word.endswith(p) and len(word) > len(p)), None)
        if particle is None:
            break
        tail.insert(0, particle)
        word = word[: -len(particle)]
    return [word, *tail]


def _add_word(out: list[str], word: str) -> None:
    if "\uac00" <= word[-1] <= "\ud7af":
        out.extend(_hangul_parts(word))
    else:
        out.append(word)


_SEGMENTER: list[Any] = []


def _segmenter() -> Any:
    """jieba's tokenizer over its packaged dictionary, built on first use (about two seconds).

    Imported and built only when the first Chinese text arrives, so processes that never see one do not
    pay for it. Built directly rather than through jieba's own start-up, which reads and writes a cache
    file in the shared temporary directory: the guard reads nothing but packaged data.
    """
    if not _SEGMENTER:
        import jieba

        tokenizer = jieba.Tokenizer()
        tokenizer.FREQ, tokenizer.total = tokenizer.gen_pfdict(tokenizer.get_dict_file())
        tokenizer.initialized = True
        _SEGMENTER.append(tokenizer)
    return _SEGMENTER[0]


def segment(run: str) -> list[str]:
    """A run of Chinese characters cut into dictionary words (jieba's most probable cut, no guessing)."""
    if len(run) < 2:
        return [run]
    return list(_segmenter().cut(run, HMM=False))


def tokens(folded: str, *, segmented: bool = True) -> list[str]:
    """Words of folded text; punctuation and spaces separate. Runs of Chinese characters are cut into
    words (`segment`), so a term matches a word, never the inside of another word ("网上访问", "online
    access", does not contain the word 上访); Korean words lose their particles (`_hangul_parts`: 시위대가
    is 시위|대|가, 시위원회 stays one word); kana characters stand alone. With `segmented=False` Chinese
    characters stand alone and Korean words keep their particles (for building lexicon keys)."""
    out: list[str] = []
    word: list[str] = []
    han: list[str] = []
    for ch in folded:
        cls = char_class(ch)
        if cls == SINGLE and segmented and _HAN_RE.match(ch):
            if word:
                _add_word(out, "".join(word))
                word = []
            han.append(ch)
            continue
        if han:
            out.extend(segment("".join(han)))
            han = []
        if cls == WORD:
            word.append(ch)
            continue
        if word:
            if segmented:
                _add_word(out, "".join(word))
            else:
                out.append("".join(word))
            word = []
        if cls == SINGLE:
            out.append(ch)
    if han:
        out.extend(segment("".join(han)))
    if word:
        if segmented:
            _add_word(out, "".join(word))
        else:
            out.append("".join(word))
    return out


def _leet_classes(folded: str) -> list[int]:
    classes = [char_class(ch) for ch in folded]
    for i, ch in enumerate(folded):
        if ch not in _LEET_EDGE and ch not in _LEET_INNER:
            continue
        before = i > 0 and (classes[i - 1] == WORD or folded[i - 1] in _LEET_EDGE)
        after = i + 1 < len(folded) and (char_class(folded[i + 1]) == WORD or folded[i + 1] in _LEET_EDGE)
        if (before and after) or (ch in _LEET_EDGE and (before or after)):
            classes[i] = WORD
    return classes


def leet_tokens(folded: str) -> list[str] | None:
    """Tokens read as leetspeak (digits and symbols as letters, i and l merged); None if nothing to read."""
    if not any(ch.isdigit() or ch in _LEET_EDGE or ch in _LEET_INNER for ch in folded):
        return None
    classes = _leet_classes(folded)
    out: list[str] = []
    word: list[str] = []
    han: list[str] = []
    for ch, cls in zip(folded, classes, strict=True):
        if cls == SINGLE and _HAN_RE.match(ch):
            if word:
                _add_word(out, "".join(word))
                word = []
            han.append(ch)
            continue
        if han:
            out.extend(segment("".join(han)))  # Chinese is cut into words here too ("网上访问 3")
            han = []
        if cls == WORD:
            word.append(ch)
            continue
        if word:
            _add_word(out, "".join(word))
            word = []
        if cls == SINGLE:
            out.append(ch)
    if han:
        out.extend(segment("".join(han)))
    if word:
        _add_word(out, "".join(word))
    # A multi-digit number is a number ("gate 12", "2026"), not leetspeak.
    return [t if (t.isdigit() and len(t) > 1) else t.translate(_LEET) for t in out]


def leet_key(key: str) -> str:
    """A lexicon key as the leet reading sees it."""
    return key.translate(_LEET)


def _load_syllables() -> frozenset[str]:
    text = resources.files("fairwatch.policy").joinpath("data/pinyin_syllables.txt").read_text("utf-8")
    return frozenset(w for line in text.splitlines() if not line.startswith("#") for w in line.split())


_SYLLABLES = _load_syllables()
_MAX_SYLLABLE = max(map(len, _SYLLABLES))
_PINYIN_WORD_RE = re.compile(r"[a-z]{4,}")


def _ends(word: str) -> list[bool]:
    """ends[i]: word[:i] is a sequence of pinyin syllables."""
    ends = [True] + [False] * len(word)
    for i in range(len(word)):
        if ends[i]:
            for n in range(1, min(_MAX_SYLLABLE, len(word) - i) + 1):
                if word[i : i + n] in _SYLLABLES:
                    ends[i + n] = True
    return ends


def _starts(word: str) -> list[bool]:
    """starts[i]: word[i:] is a sequence of pinyin syllables."""
    starts = [False] * len(word) + [True]
    for i in range(len(word) - 1, -1, -1):
        starts[i] = any(
            word[i : i + n] in _SYLLABLES and starts[i + n]
            for n in range(1, min(_MAX_SYLLABLE, len(word) - i) + 1)
        )
    return starts


def syllables(word: str) -> list[str] | None:
    """`word` split wherever some reading of it as run-together pinyin has a syllable break; None if none."""
    if not _PINYIN_WORD_RE.fullmatch(word):
        return None
    ends = _ends(word)
    if not ends[-1]:
        return None
    starts = _starts(word)
    cuts = [i for i in range(1, len(word)) if ends[i] and starts[i]]
    return [word[a:b] for a, b in zip([0, *cuts], [*cuts, len(word)], strict=True)]


def pinyin_tokens(words: list[str]) -> list[str] | None:
    """Words read as pinyin: split at tone numbers ("shang4fang3") and at syllable breaks ("shangfang")."""
    out: list[str] = []
    changed = False
    for word in words:
        for part in _TONE_RE.split(word) if _TONE_RE.search(word) else [word]:
            if not part:
                continue
            pieces = syllables(part)
            changed = changed or part != word or (pieces is not None and len(pieces) > 1)
            out.extend(pieces or [part])
    return out if changed else None
