"""Folding: both the lexicon and the text are reduced to the same skeleton."""

from __future__ import annotations

import pytest

from fairwatch.policy.normalize import fold, leet_tokens, pinyin_tokens, syllables, tokens

FOLDS = [
    # id, text, folded
    ("case", "PROTEST", "protest"),
    ("fullwidth", "ＰＲＯＴＥＳＴ", "protest"),
    ("diacritics", "Pétitión", "petition"),
    ("zero-width", "pro\u200btest", "protest"),
    ("bidi-controls", "pro\u202etest\u202c", "protest"),
    ("soft-hyphen", "pro\u00adtest", "protest"),
    ("cyrillic-homoglyphs", "рrоtеst", "protest"),
    ("greek-homoglyphs", "ΡΡΟΤΕSΤ", "ppotest"),
    ("small-capitals", "ᴘʀᴏᴛᴇꜱᴛ", "protest"),
    ("dotless-i", "İzınsız", "izinsiz"),
    ("sharp-s", "Straße", "strasse"),
    ("vietnamese-d", "Đình công", "dinh cong"),
    ("traditional-chinese", "上訪", "上访"),
    ("hangul-recomposed", "시위", "시위"),
    ("kana-voicing-kept", "デモ", "デモ"),
    ("devanagari-signs-kept", "धर्म", "धर्म"),
    ("arabic-variants", "مظاهرة", "مظاهره"),
    ("arabic-vowel-marks", "مُظَاهَرَة", "مظاهره"),
    ("persian-zwnj", "همجنس\u200cگرا", "همجنسگرا"),
]


@pytest.mark.parametrize(("text", "folded"), [c[1:] for c in FOLDS], ids=[c[0] for c in FOLDS])
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_tokens_split_on_punctuation_and_cut_chinese_into_words() -> None:
    assert tokens(fold("Gate-3, zone_B: 网上访问")) == ["gate", "3", "zone", "b", "网上", "访问"]


def test_tokens_unsegmented_keep_cjk_characters_apart() -> None:
    assert tokens(fold("上访类 デモ"), segmented=False) == ["上", "访", "类", "デ", "モ"]


LEET = [
    # id, text, leet reading (i and l merge)
    ("digits", "pr0t3st", ["protest"]),
    ("symbols-at-word-start", "$trike @ssembly", ["strlke", "assembly"]),
    ("bang-between-letters", "p!cket", ["plcket"]),
    ("bang-after-word-is-punctuation", "strike!", ["strlke"]),
    ("numbers-stay-numbers", "gate 12 zone 4", ["gate", "12", "zone", "a"]),
]


@pytest.mark.parametrize(("text", "words"), [c[1:] for c in LEET], ids=[c[0] for c in LEET])
def test_leet_reading(text: str, words: list[str]) -> None:
    assert leet_tokens(fold(text)) == words


def test_no_leet_reading_without_digits_or_symbols() -> None:
    assert leet_tokens(fold("plain words")) is None


PINYIN = [
    # id, text, pinyin reading
    ("tone-numbers", "shang4fang3", ["shang", "fang"]),
    ("run-together", "shangfanglei", ["shang", "fang", "lei"]),
    ("camel-case", "ShangFang", ["shang", "fang"]),
    (
        "english-word-spelled-like-pinyin",
        "gate blocked",
        ["ga", "te", "blocked"],
    ),  # only Chinese terms are read
    ("no-pinyin-at-all", "crowd blocked", None),
]


@pytest.mark.parametrize(("text", "words"), [c[1:] for c in PINYIN], ids=[c[0] for c in PINYIN])
def test_pinyin_reading(text: str, words: list[str] | None) -> None:
    assert pinyin_tokens(tokens(fold(text))) == words


def test_ambiguous_pinyin_keeps_every_possible_break() -> None:
    # "xian" is one syllable or "xi an"; both breaks are kept so either spelling of a term matches.
    assert syllables("xianfa") == ["xi", "an", "fa"]


KOREAN = [
    # id, text, words: particles and suffixes split off, compounds kept whole
    ("particles", "시위대가 모였다", ["시위", "대", "가", "모였다"]),
    ("compound-kept", "시위원회 회의실", ["시위원회", "회의실"]),
    ("one-syllable-word-kept", "가", ["가"]),
]


@pytest.mark.parametrize(("text", "words"), [c[1:] for c in KOREAN], ids=[c[0] for c in KOREAN])
def test_korean_words_lose_their_particles(text: str, words: list[str]) -> None:
    assert tokens(fold(text)) == words
