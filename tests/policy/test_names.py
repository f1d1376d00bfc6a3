"""check_name: identifiers and display names refuse deceptive characters, then go through the guard."""

from __future__ import annotations

import pytest

from fairwatch.policy import Ground, NameProblem, Violation, check_name
from fairwatch.policy.names import covered_scripts

PASS = [
    "Zone B", "gate_3.east", "team-alpha", "Receiver 7", "B区", "ゲートA", "北門ゲート", "남문 게이트",
    "Сектор 5", "ＺｏｎｅＢ", "کتاب\u200cخانه",  # Persian ZWNJ between joining letters
    "क्\u200dष",  # ZWJ after a virama
    "👍\ufe0f", "👩\u200d🚒",  # emoji presentation and sequence
    "Fire at the vigil", "phase.ingress-2",
]  # fmt: skip


@pytest.mark.parametrize("name", PASS)
def test_ordinary_names_pass(name: str) -> None:
    assert check_name(name) is None


REFUSED = [
    # id, name, kind, position
    ("rlo", "zone\u202eB", "bidi-control", 5),
    ("lre", "\u202azone", "bidi-control", 1),
    ("isolate", "zone\u2066B\u2069", "bidi-control", 5),
    ("lrm", "zone\u200eB", "bidi-control", 5),
    ("arabic-letter-mark", "zone\u061cB", "bidi-control", 5),
    ("zero-width-space", "zone\u200bB", "invisible-character", 5),
    ("zwnj-in-latin", "zo\u200cne", "invisible-character", 3),
    ("zwj-in-latin", "zo\u200dne", "invisible-character", 3),
    ("soft-hyphen", "zo\u00adne", "invisible-character", 3),
    ("word-joiner", "zo\u2060ne", "invisible-character", 3),
    ("bom", "\ufeffzone", "invisible-character", 1),
    ("tag-characters", "zone\U000e0041\U000e0042", "invisible-character", 5),
    ("variation-selector-on-a-letter", "zone\ufe0f", "invisible-character", 5),
    ("hangul-filler", "zone\u3164", "invisible-character", 5),
    ("cyrillic-a-in-latin", "p\u0430yments", "mixed-script", 1),
    ("greek-omicron-in-latin", "gate_n\u03bfrth", "mixed-script", 6),
    ("latin-in-cyrillic", "\u0421ектоp", "mixed-script", 1),
    ("greek", "Ζώνη Α", "uncovered-script", 1),
    ("hebrew-after-latin", "Hall אולם", "uncovered-script", 6),
    ("thai", "โซน 3", "uncovered-script", 1),
    ("georgian", "ზონა", "uncovered-script", 1),
]


@pytest.mark.parametrize(("name", "kind", "position"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_deceptive_names_are_refused(name: str, kind: str, position: int) -> None:
    problem = check_name(name)
    assert isinstance(problem, NameProblem)
    assert (problem.kind, problem.position) == (kind, position)
    assert problem.reason.startswith(f"{kind}: ")


def test_a_clean_name_still_goes_through_the_guard() -> None:
    problem = check_name("Protest team")
    assert isinstance(problem, Violation) and problem.ground == Ground.ASSEMBLY


def test_reason_names_the_character() -> None:
    problem = check_name("zone\u202eB")
    assert str(problem) == "bidi-control: U+202E RIGHT-TO-LEFT OVERRIDE at character 5"


def test_names_in_every_script_the_lexicon_reads_pass() -> None:
    """One ordinary zone name per covered script (the lexicon's languages): none is refused."""
    names = ["Main Stage", "Bühne Süd", "Sân khấu", "Сектор 5", "Сахна", "منطقة الطعام", "主舞台", "ゲートA",
             "무대 구역", "मुख्य मंच", "প্রধান মঞ্চ", "ዋና መድረክ", "སྟེགས་ཆེན", "ဇာတ်စင်"]  # fmt: skip
    assert [(n, check_name(n)) for n in names if check_name(n) is not None] == []
    assert covered_scripts() >= {"LATIN", "CYRILLIC", "ARABIC", "HAN", "HANGUL", "DEVANAGARI", "ETHIOPIC"}
    assert "GREEK" not in covered_scripts()
