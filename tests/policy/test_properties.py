"""Properties of the guard over generated text: it never fails, and invisible characters never hide a term."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fairwatch.policy import check_name, check_text
from fairwatch.policy.normalize import fold

INVISIBLE = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e", "\u202e", "\u00ad"])
FORBIDDEN = st.sampled_from(
    ["Falun Gong", "Unauthorised assembly", "上访", "Watchlist face match", "Streikposten"]
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_check_text_never_fails(text: str) -> None:
    result = check_text(text)
    assert result is None or result.term


@settings(max_examples=200, deadline=None)
@given(FORBIDDEN, st.lists(st.tuples(st.integers(min_value=0, max_value=40), INVISIBLE), max_size=6))
def test_invisible_characters_never_hide_a_term(text: str, inserts: list[tuple[int, str]]) -> None:
    for position, char in inserts:
        cut = position % (len(text) + 1)
        text = text[:cut] + char + text[cut:]
    assert check_text(text) is not None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_fold_is_stable(text: str) -> None:
    assert fold(fold(text)) == fold(fold(fold(text)))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_check_name_never_fails(text: str) -> None:
    result = check_name(text)
    assert result is None or result.reason


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(categories=["Lu", "Ll"]), min_size=1, max_size=30), INVISIBLE)
def test_an_invisible_character_inside_a_name_is_always_refused(word: str, char: str) -> None:
    assert check_name(word[:1] + char + word[1:]) is not None
