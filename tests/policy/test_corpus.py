"""The lexicon's own test: every forbidden definition is rejected with its ground, every safety text passes.

The two rates printed here are the ones quoted in the README (run with `pytest -s` to see them).
"""

from __future__ import annotations

import pytest

from fairwatch.policy import Ground, check_text, explain
from fairwatch.policy.lexicon import LANGUAGES
from tests.policy.corpus_data import Allowed, Forbidden, allowed, forbidden
from tests.policy.measure import tables

FORBIDDEN = forbidden()
ALLOWED = allowed()
LATIN_FORMS = {
    "plain", "case", "spacing", "split", "punctuation", "zero-width", "bidi", "homoglyph", "diacritics",
    "leetspeak", "mixed", "percent", "html-entities", "base64-name",
}  # fmt: skip
CHINESE_FORMS = {
    "plain", "traditional", "spacing", "punctuation", "zero-width", "bidi", "percent", "base64-name",
    "pinyin", "pinyin-tones", "pinyin-numbers", "pinyin-caps",
}  # fmt: skip
RIGHTS_GROUNDS = {g.value for g in Ground} - {Ground.PROFILING.value}


def test_rates_are_both_100_percent() -> None:
    rejected = [f for f in FORBIDDEN if (v := check_text(f.text)) is not None and v.ground == f.ground]
    passed = [a for a in ALLOWED if check_text(a.text) is None]
    rejection_rate = 100 * len(rejected) / len(FORBIDDEN)
    pass_rate = 100 * len(passed) / len(ALLOWED)
    print(
        f"\nrights guard: {len(rejected)}/{len(FORBIDDEN)} forbidden definitions rejected with the right ground "
        f"({rejection_rate:.1f} %), {len(passed)}/{len(ALLOWED)} safety texts allowed ({pass_rate:.1f} %), "
        f"{len(LANGUAGES)} languages"
    )
    assert (rejection_rate, pass_rate) == (100.0, 100.0)


@pytest.mark.parametrize("case", FORBIDDEN, ids=[f"{f.lang}-{f.form}-{f.text}" for f in FORBIDDEN])
def test_forbidden_definition_is_rejected_with_its_ground(case: Forbidden) -> None:
    violation = check_text(case.text)
    assert violation is not None, f"not rejected: {case.text!r}"
    assert violation.ground == case.ground, explain(case.text)


@pytest.mark.parametrize("case", ALLOWED, ids=[f"{a.lang}-{a.text}" for a in ALLOWED])
def test_safety_text_passes(case: Allowed) -> None:
    assert explain(case.text) == []


def test_corpora_are_big_enough() -> None:
    assert (len(FORBIDDEN) >= 300, len(ALLOWED) >= 200) == (True, True)


@pytest.mark.parametrize(("lang", "forms"), [("en", LATIN_FORMS), ("zh", CHINESE_FORMS)], ids=["en", "zh"])
def test_every_ground_is_covered_in_every_obfuscation(lang: str, forms: set[str]) -> None:
    covered = {(f.ground, f.form) for f in FORBIDDEN if f.lang == lang}
    missing = {(g, form) for g in RIGHTS_GROUNDS for form in forms} - covered
    assert missing == set()


def test_corpora_cover_every_lexicon_language() -> None:
    assert {f.lang for f in FORBIDDEN} == {a.lang for a in ALLOWED} == set(LANGUAGES)


def test_rates_per_ground_and_language() -> None:
    lines, perfect = tables()
    print("\n" + "\n".join(lines))
    assert perfect
