"""The console's catalogues and the choice of language (console/i18n.py): every message translated in every
language, every script string in every JSON catalogue, the catalogues in step with the sources, negotiation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from fairwatch.console import auth, handover, i18n
from fairwatch.console.i18n import Choice, accepted, choose, normalize
from fairwatch.console.render import Pages

ROOT = Path(__file__).parents[2]
STATIC = ROOT / "src" / "fairwatch" / "console" / "static"
TRANSLATED = [lang for lang in i18n.LANGUAGES if lang != i18n.DEFAULT]
PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)s")
# t("...") and N_("...") in the scripts: the keys of the JSON catalogues (a plain string literal, as extracted)
SCRIPT_KEY = re.compile(r'\b(?:t|N_)\("((?:[^"\\]|\\.)*)"')


def po(lang: str) -> Catalog:
    with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


def template() -> Catalog:
    with (i18n.LOCALE_DIR / "messages.pot").open("rb") as handle:
        return read_po(handle)


def script_keys() -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {}
    for path in sorted(STATIC.rglob("*.js")):
        for found in SCRIPT_KEY.finditer(path.read_text(encoding="utf-8")):
            keys.setdefault(json.loads(f'"{found.group(1)}"'), set()).add(path.name)
    return keys


def test_six_languages_with_arabic_right_to_left() -> None:
    assert set(i18n.LANGUAGES) == {"en", "de", "fr", "es", "zh", "ar"}
    assert [lang for lang in i18n.LANGUAGES if i18n.direction(lang) == "rtl"] == ["ar"]


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_with_its_placeholders(lang: str) -> None:
    catalog = po(lang)
    ids = {m.id for m in template() if m.id}
    messages = [m for m in catalog if m.id]
    assert {m.id for m in messages} == ids, "run `make i18n`: the .po lags behind the .pot"
    for m in messages:
        assert isinstance(m.string, str) and m.string.strip(), f"{lang}: {m.id!r} has no translation"
        assert "fuzzy" not in m.flags, f"{lang}: {m.id!r} is marked fuzzy"
        assert sorted(PLACEHOLDER.findall(str(m.id))) == sorted(PLACEHOLDER.findall(m.string)), (
            f"{lang}: {m.id!r} -> {m.string!r} changes the placeholders"
        )


def test_the_template_holds_every_message_the_sources_mark() -> None:
    """Templates, scripts and i18n.py extracted now give exactly the .pot's messages (`make i18n` was run)."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)  # type: ignore[no-untyped-call]
    keywords = {
        "_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "pgettext": ((1, "c"), 2),
        "t": None,
        "N_": None,
    }
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    assert found == {m.id for m in template() if m.id}


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_every_script_string_is_in_every_json_catalogue(lang: str) -> None:
    catalogue = json.loads((i18n.SCRIPT_CATALOGUES / f"{lang}.json").read_text(encoding="utf-8"))
    keys = script_keys()
    assert keys, "no t(...) found in the scripts"
    for key, files in sorted(keys.items()):
        assert catalogue.get(key), f"{lang}.json lacks {key!r} (used in {', '.join(sorted(files))})"
    assert "Live" in keys and "Unacknowledged" in keys  # the connection pill and the queue's state, at least


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_json_catalogues_are_made_from_the_po_files(lang: str) -> None:
    catalogue = json.loads((i18n.SCRIPT_CATALOGUES / f"{lang}.json").read_text(encoding="utf-8"))
    assert catalogue == i18n.script_messages(po(lang)), "run `make i18n` to write the JSON catalogues again"
    assert i18n.script_catalogue(lang) == catalogue


def test_messages_the_python_code_shows_are_marked_for_translation() -> None:
    shown = [auth.BAD_CREDENTIALS, auth.CSRF_REFUSED, auth.SIGNED_OUT, *auth.ENDED_MESSAGES.values()]
    for message in shown:
        assert message in i18n.SHOWN_MESSAGES, message


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        ("de", "de"),
        ("DE", "de"),
        ("de-AT", "de"),
        ("fr_CA", "fr"),
        ("es-419", "es"),
        ("zh", "zh"),
        ("zh-Hans", "zh"),
        ("zh-CN", "zh"),
        ("zh_Hans_CN", "zh"),
        ("ar-EG", "ar"),
        ("en-GB", "en"),
        ("xx", None),
        ("", None),
        ("de" * 30, None),
        (None, None),
    ],
)
def test_codes_are_narrowed_to_a_language_the_console_has(code: str | None, lang: str | None) -> None:
    assert normalize(code) == lang


def test_accept_language_is_ranked_by_quality() -> None:
    assert accepted("fr;q=0.5, es;q=0.9, de") == ["de", "es", "fr"]
    assert accepted("it, *;q=0.1, ar;q=0") == ["it"]
    assert accepted("de;q=bad, fr") == ["fr"]
    assert accepted(None) == []


def test_query_then_cookie_then_browser_then_english() -> None:
    assert choose("ar", "de", "fr") == Choice("ar", remember=True)
    assert choose(None, "de", "fr") == Choice("de")
    assert choose(None, None, "it, fr-CH;q=0.8, de;q=0.7") == Choice("fr")
    assert choose(None, "xx", "zh-Hans-CN") == Choice("zh")
    assert choose(None, None, "it, pt") == Choice("en")
    # an unknown ?lang= is English for this page, said so, and not remembered
    assert choose("xx", "de", "fr") == Choice("en", refused="xx")


def test_gettext_follows_the_request_language() -> None:
    assert i18n.current() == "en"
    assert i18n.gettext("Alarm queue") == "Alarm queue"
    assert i18n.translations("de").gettext("Alarm queue") == "Alarmliste"
    assert i18n.translations("ar").gettext("Sign in") == "تسجيل الدخول"
    assert i18n.translations("zh").gettext("Shift handover") == "交接班"


def test_a_value_shown_as_a_word_is_never_formatted() -> None:
    """`| tr` translates a value (a state, a title) without %-formatting: a stray % is text, not a crash."""
    env = Pages().env
    assert env.from_string("{{ text | tr }}").render(text="100% full") == "100% full"
    assert env.from_string("{{ state | tr }}").render(state="acknowledged") == "acknowledged"


def test_the_handover_lines_speak_the_page_language() -> None:
    raised = {"severity": "critical", "type": "fire.suspected", "explanation": "smoke"}
    assert handover.summarise("alarm-raised", raised) == "raised: critical fire.suspected (smoke)"
    zh = i18n.translations("zh").gettext
    assert handover.summarise("alarm-raised", raised, zh) == "触发：危急 fire.suspected (smoke)"
    de = i18n.translations("de").gettext
    assert (
        handover.summarise("alarm-resolved", {"disposition": "false_alarm"}, de) == "erledigt als Fehlalarm"
    )
    assert handover.summarise("alarm-escalated", {"from": "high", "to": "critical"}, de) == (
        "eskaliert von hoch auf kritisch"
    )
