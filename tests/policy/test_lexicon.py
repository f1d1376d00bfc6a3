"""The lexicon as data: coverage, file format errors, and the published version and hash."""

from __future__ import annotations

import hashlib
import re
from importlib import resources

import pytest

from fairwatch.policy import HAZARD_CLASSES, POLICY_VERSION, Ground, lexicon_sha256
from fairwatch.policy.lexicon import LANGUAGES, RULES, LexiconError, parse

RIGHTS_GROUNDS = set(Ground) - {Ground.PROFILING}


def test_at_least_twelve_languages() -> None:
    assert len(LANGUAGES) >= 12 and {"en", "zh"} <= set(LANGUAGES)


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_language_covers_every_rights_ground(lang: str) -> None:
    grounds = {r.ground for r in RULES if r.lang == lang and r.ground is not None}
    assert RIGHTS_GROUNDS - grounds == set()


def test_sha256_is_over_the_packaged_data_files() -> None:
    root = resources.files("fairwatch.policy")
    digest = hashlib.sha256()
    for folder in ("data", "lexicon"):
        for item in sorted(root.joinpath(folder).iterdir(), key=lambda i: i.name):
            if item.name.endswith(".txt"):
                data = item.read_bytes()
                digest.update(f"{folder}/{item.name}\0{len(data)}\0".encode())
                digest.update(data)
    assert lexicon_sha256() == digest.hexdigest()


def test_version_is_calendar_style() -> None:
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", POLICY_VERSION)


def test_hazard_classes_are_the_closed_list_from_rights_md() -> None:
    expected = {
        "fire", "medical", "crowd_safety", "structural", "weather", "violence", "weapon", "intrusion",
        "missing_person", "traffic", "hazardous_material", "technical", "other_safety",
    }  # fmt: skip
    assert expected == HAZARD_CLASSES


def test_parse_reads_strong_terms_combinations_stems_and_gaps() -> None:
    rules = parse("[peaceful_assembly]\nvigil\nunlawful|illegal +2 assembly*\n[safe]\nassembly point\n", "xx")
    shapes = [
        (r.ground, r.gap, [[(a.text, a.key, a.left, a.right) for a in part] for part in r.parts])
        for r in rules
    ]
    assert shapes == [
        (Ground.ASSEMBLY, 1, [[("vigil", "vigil", True, True)]]),
        (Ground.ASSEMBLY, 2, [[("unlawful", "unlawful", True, True), ("illegal", "illegal", True, True)],
                              [("assembly", "assembly", True, False)]]),
        (None, 1, [[("assembly point", "assemblypoint", True, True)]]),
    ]  # fmt: skip


def test_ordered_flag() -> None:
    (rule,) = parse("[ethnicity]\nblack +0 man @ordered\n", "xx")
    assert (rule.ordered, rule.gap) == (True, 0)


def test_chinese_terms_get_pinyin_unless_marked() -> None:
    rules = parse("[petitioning]\n上访\n请愿 @nopinyin\n", "zh")
    assert [[a.key for a in r.parts[0]] for r in rules] == [["上访", "shangfang"], ["请愿"]]


BAD_FILES = [
    # id, text, message
    ("unknown-section", "[protest]\nx\n", "lexicon/xx.txt:1: unknown section [protest]"),
    ("rule-before-section", "vigil\n", "lexicon/xx.txt:1: rule before any [ground] section"),
    ("too-short", "[ethnicity]\n\nx\n", "lexicon/xx.txt:3: term 'x' folds to 'x', too short to match safely"),
    ("star-in-middle", "[ethnicity]\nab*cd\n",
     "lexicon/xx.txt:2: '*' only marks the start or end of a term, not the middle of 'ab*cd'"),
    ("unknown-flag", "[ethnicity]\nabc @loud\n", "lexicon/xx.txt:2: unknown flag(s) ['@loud']"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_malformed_lexicon_file(text: str, message: str) -> None:
    with pytest.raises(LexiconError) as info:
        parse(text, "xx")
    assert str(info.value) == message
