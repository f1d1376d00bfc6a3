"""check_text: the RIGHTS.md examples exactly as written there, and how matching behaves."""

from __future__ import annotations

import pytest

from fairwatch.policy import Ground, Violation, check_text, explain

# RIGHTS.md, "Examples", verbatim.
RIGHTS_EXAMPLES = [
    ("Crowd density > 4 persons/m² in zone B", None),
    ("Egress blocked at gate 3", None),
    ("Unauthorised assembly detected", Ground.ASSEMBLY),
    ("非法集会", Ground.ASSEMBLY),
    ("Protest banner detected", Ground.POLITICAL),  # expression
    ("扬言上访", Ground.PETITION),
    ("Falun Gong and other cults", Ground.RELIGION),
    ("Strike picket at depot", Ground.ASSOCIATION),
    ("Watchlist face match", Ground.BIOMETRIC),
]


@pytest.mark.parametrize(("text", "ground"), RIGHTS_EXAMPLES, ids=[t for t, _ in RIGHTS_EXAMPLES])
def test_rights_md_examples_hold_as_written(text: str, ground: Ground | None) -> None:
    violation = check_text(text)
    assert (violation.ground if violation else None) == ground


# The vendor alarm types quoted in RIGHTS.md, "Why".
VENDOR_TYPES = [
    ("法轮功等邪教类", Ground.RELIGION),
    ("宗教", Ground.RELIGION),
    ("非法集会、游行、示威", Ground.ASSEMBLY),
    ("聚众扰乱公共秩序", Ground.ASSEMBLY),
    ("扬言上访", Ground.PETITION),
    ("上访类", Ground.PETITION),
    ("religion", Ground.RELIGION),
    ("unlawful assembly, procession, demonstration", Ground.ASSEMBLY),
    ("gathering crowds to disrupt order", Ground.ASSEMBLY),
    ("threatening to petition", Ground.PETITION),
    ("petitioner class", Ground.PETITION),
    ("political status", Ground.POLITICAL),
    ("ethnicity", Ground.ETHNICITY),
]


@pytest.mark.parametrize(("text", "ground"), VENDOR_TYPES, ids=[t for t, _ in VENDOR_TYPES])
def test_vendor_alarm_types_from_rights_md_are_rejected(text: str, ground: Ground) -> None:
    violation = check_text(text)
    assert violation is not None and violation.ground == ground


VIOLATIONS = [
    # id, text, expected violation: the term is the lexicon's spelling, whatever the text's
    ("strong", "Falun Gong", Violation(Ground.RELIGION, "falun gong", "targets people for their religion or belief; en lexicon")),
    ("combination", "Unauthorised assembly", Violation(Ground.ASSEMBLY, "unauthorised + assembly", "targets peaceful assembly; en lexicon")),
    ("longest-wins", "Protest banner", Violation(Ground.POLITICAL, "protest + banner", "targets political opinion or expression; en lexicon")),
    ("traditional", "上訪", Violation(Ground.PETITION, "上访", "targets petitioning the authorities; zh lexicon")),
    ("pinyin", "shàng fǎng", Violation(Ground.PETITION, "上访", "targets petitioning the authorities; zh lexicon, pinyin")),
    ("leet", "P3T1T10N", Violation(Ground.PETITION, "petition", "targets petitioning the authorities; en lexicon")),
    ("other-language", "Streikposten", Violation(Ground.ASSOCIATION, "streik", "targets association or trade union activity; de lexicon")),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in VIOLATIONS], ids=[c[0] for c in VIOLATIONS])
def test_violation_names_ground_lexicon_term_and_reason(text: str, expected: Violation) -> None:
    assert check_text(text) == expected


BEHAVIOUR = [
    # id, text, rejected?
    ("word-inside-longer-word", "Difficult access to stage", False),  # "cult"
    ("petition-inside-competition", "Competition finish line", False),
    ("gap-too-wide", "Unauthorised drone over gathering", False),  # 2 words between the parts
    ("gap-one-word", "Illegal public assembly", True),
    ("either-order", "Reunión ilegal", True),
    ("safe-phrase-masks-combination", "Unauthorised person assembly point", False),
    ("safe-phrase-not-strong", "Protest at assembly point", True),
    ("religious-word-alone", "St Mary's Church car park", False),
    ("people-by-religion", "Christian gathering", True),
    ("ordered-combination", "Black man seen at gate", True),
    ("ordered-combination-reversed", "Lost person, black jacket", False),
    ("crowd-risk-score", "Crush risk score for people in zone B", False),
    ("person-risk-score", "Person risk score above 80", True),
    ("short-stem-not-across-words", "The union is closed", False),
    ("short-stem-inside-word", "Protestors", True),
    ("pinyin-everyday-word", "Guoji exhibition centre", False),  # 国籍 is @nopinyin: guoji is also 国际
    ("fullwidth", "ｐｒｏｔｅｓｔ", True),
    ("math-alphanumerics", "𝐩𝐫𝐨𝐭𝐞𝐬𝐭", True),
    ("soft-hyphen", "pro\u00adtest", True),
    ("number-is-not-leet", "Gate 1337 closed", False),
    ("parts-far-apart-in-long-text", "gathering x x " * 200 + "crowds x x " * 200 + "disrupt " * 200, False),
    ("term-deep-in-long-text", "word " * 5000 + "protest", True),
    ("empty", "", False),
    ("punctuation-only", "!!! ??? ...", False),
]


@pytest.mark.parametrize(("text", "rejected"), [c[1:] for c in BEHAVIOUR], ids=[c[0] for c in BEHAVIOUR])
def test_matching_behaviour(text: str, rejected: bool) -> None:
    assert (check_text(text) is not None) == rejected, explain(text)


def test_explain_lists_every_match_longest_first() -> None:
    found = explain("Protest banner at strike picket")
    assert [(v.ground, v.term, v.reason.rsplit("; ", 1)[1]) for v in found] == [
        (Ground.POLITICAL, "protest + banner", "en lexicon"),
        (Ground.POLITICAL, "protestbanner", "de lexicon"),  # German compound, spelled across two words
        (Ground.ASSOCIATION, "strike + picket", "en lexicon"),
        (Ground.ASSEMBLY, "protest", "en lexicon"),
        (Ground.ASSOCIATION, "picket", "en lexicon"),
    ]


# Chinese is cut into words before matching: a word that merely contains a listed term is not the term.
CJK_WORDS = [
    # id, text, refused ground or None
    ("online-access-is-not-petition", "网上访问异常", None),  # 网上|访问 contains 上访
    ("sensible-person-is-not-race", "明白人", None),  # contains 白人
    ("black-figure-is-not-race", "黑人物", None),  # 黑|人物 contains 黑人
    ("thinking-group-is-not-ethnicity", "思维族群", None),  # 思维|族群 contains 维族
    ("petition-word-still-refused", "扬言上访", "petitioning"),
    ("petition-compound-refused", "上访户聚集", "petitioning"),  # stem 上访*
    ("cult-compound-refused", "邪教组织活动", "religion_or_belief"),  # stem 邪教*
    ("spaced-term-refused", "重 点 人 员", "biometric_identification"),
    ("compound-beginning-with-a-term", "反动分子", "political_opinion"),  # one word, starts with 反动
    ("protester-compound", "示威者", "peaceful_assembly"),
    ("combination-inside-one-word", "聚众闹事", "peaceful_assembly"),  # 聚众 + 闹事 in one word
    ("assembly-march-one-word", "集会游行", "peaceful_assembly"),
    ("term-split-by-the-cut-still-whole-words", "陈情人", "petitioning"),  # 陈|情人
    ("one-character-part-stays-a-word", "进京访问", None),  # 访问 is not the petition word 访
    ("part-across-two-words-is-not-a-part", "召集会议", None),  # 召集|会议 spells 集会 across words
    ("digits-do-not-undo-the-cut", "网上访问异常 3号门", None),  # the leetspeak reading is cut too
    ("symbols-do-not-undo-the-cut", "明白人 @ gate", None),
    ("korean-city-committee-is-not-protest", "시위원회 회의실 화재", None),  # 시위원회 contains 시위
    ("korean-flag-carrier-is-not-nationality", "국적기 지연 도착", None),  # 국적기 contains 국적
    ("korean-protesters-with-particle", "시위대가 정문에 모임", "peaceful_assembly"),
    ("korean-compound-stem", "종교단체 활동", "religion_or_belief"),
    ("korean-combination-in-one-word", "정치성향 분석", "political_opinion"),  # 정치 + 성향
    ("korean-term-before-a-compound-head", "시위단체", "peaceful_assembly"),  # 시위|단체
    ("korean-stem-across-a-particle-split", "성소수자가 모임", "sexual_orientation_or_gender_identity"),
]


@pytest.mark.parametrize(("text", "ground"), [c[1:] for c in CJK_WORDS], ids=[c[0] for c in CJK_WORDS])
def test_chinese_words_not_substrings(text: str, ground: str | None) -> None:
    violation = check_text(text)
    assert (violation.ground if violation else None) == ground, explain(text)


# Context (issue 17): an assembly or place of worship as the *place* of a hazard is in scope; the people
# as the object of the alarm are not. Equipment and ordinary senses are words of their own.
CONTEXT = [
    # id, text, refused ground or None
    ("fire-at-vigil", "Fire at the vigil", None),
    ("crush-at-protest-march", "Crush risk at protest march", None),
    ("heading-names-the-place", "Easter Vigil: cathedral at capacity", None),
    ("protest-detected", "Protest detected", Ground.ASSEMBLY),
    ("vigil-attendance", "Vigil attendance count", Ground.ASSEMBLY),
    ("heading-must-end-with-the-place", "Protest detected: fire", Ground.ASSEMBLY),
    ("hazard-after-the-term-is-no-place", "Protest near the fire exit", Ground.ASSEMBLY),
    ("place-marker-too-far", "Fire in the north car park and then the big protest", Ground.ASSEMBLY),
    ("no-hazard-no-venue", "Headcount at the vigil", Ground.ASSEMBLY),
    ("demonstration-of-equipment", "Demonstration of fire extinguishers", None),
    ("demonstration-of-people", "Demonstration of workers at the gate", Ground.ASSEMBLY),
    ("picket-fence", "Picket fence collapsed", None),
    ("picket-line", "Picket line at the fence", Ground.ASSOCIATION),
    ("lightning-striking", "Lightning striking near workers' camp", None),
    ("striking-workers", "Striking workers near the camp", Ground.ASSOCIATION),
    ("biometric-device-fault", "Biometric door reader offline", None),
    ("biometric-reader-match", "Biometric reader match", Ground.BIOMETRIC),
    ("hiv-exposure-protocol", "Needle-stick injury, HIV exposure protocol", None),
    ("hiv-status", "HIV positive visitor", Ground.HEALTH),
    ("estimated-age-of-a-lost-child", "estimated_age", None),
    ("age-estimation-by-camera", "Age estimation on entry cameras", Ground.BIOMETRIC),
    ("chinese-hazard-at-march", "在游行示威现场发生踩踏", None),
    ("chinese-march-alone", "游行示威", Ground.ASSEMBLY),
    ("spanish-fire-at-march", "Incendio en la manifestación", None),
    ("spanish-march-detected", "Manifestación detectada", Ground.ASSEMBLY),
    ("german-fire-at-vigil", "Brand bei der Mahnwache", None),
    ("german-vigil-detected", "Mahnwache erkannt", Ground.ASSEMBLY),
    ("russian-fire-at-rally", "Пожар на митинге", None),
    ("russian-rally-at-entrance", "Митинг у входа", Ground.ASSEMBLY),
    ("turkish-postposition", "Miting sırasında yangın", None),
    ("mongolian-postposition", "Жагсаал дээр гал гарлаа", None),
]


@pytest.mark.parametrize(("text", "ground"), [c[1:] for c in CONTEXT], ids=[c[0] for c in CONTEXT])
def test_context_decides(text: str, ground: Ground | None) -> None:
    violation = check_text(text)
    assert (violation.ground if violation else None) == ground, explain(text)


PADDING = [
    # id, text: filler words between the parts of a combination do not hide it
    ("one-filler", "Unlawful big assembly"),
    ("two-fillers", "Unlawful very big assembly"),
    ("dots-and-fillers", "unlawful ... big ... assembly"),
    ("articles", "Illegal, the alleged spontaneous gathering"),
]


@pytest.mark.parametrize("text", [c[1] for c in PADDING], ids=[c[0] for c in PADDING])
def test_filler_words_do_not_hide_a_combination(text: str) -> None:
    violation = check_text(text)
    assert violation is not None and violation.ground == Ground.ASSEMBLY, explain(text)


def test_content_words_still_break_a_combination() -> None:
    assert check_text("Unauthorised drone over gathering") is None
