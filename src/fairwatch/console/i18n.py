"""The console's languages: gettext catalogues (Babel) for server-rendered text, one JSON catalogue per language for
the scripts, and the choice of language for each request (`?lang=xx`, remembered in a cookie; otherwise the
browser's Accept-Language; otherwise English).

The `.po` files are the source: they are compiled in memory at start-up (no `.mo` files to keep in step), and
`make i18n` extracts new strings into them and writes the scripts' JSON catalogues from them (docs/console.md).
"""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import orjson
from babel import negotiate_locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

HERE = Path(__file__).parent
LOCALE_DIR = HERE / "locale"
SCRIPT_CATALOGUES = HERE / "static" / "i18n"
DEFAULT = "en"
# Code -> the language's own name (the language menu shows each in its own script).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "zh": "中文",
    "ar": "العربية",
}
RTL = frozenset({"ar"})
COOKIE = "fw_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
# Pages the language applies to: everything but the API, the static files and the metrics.
_UNTOUCHED = ("/api/", "/static/", "/metrics", "/healthz", "/readyz")

_current: ContextVar[str] = ContextVar("fairwatch_console_lang", default=DEFAULT)
_refused: ContextVar[str | None] = ContextVar("fairwatch_console_lang_refused", default=None)


def N_(message: str) -> str:
    """Marks `message` for extraction; it is translated where it is shown."""
    return message


# Messages the console's Python code shows to people (sign-in, session end, page titles); marked here so that
# `make i18n` extracts them, translated when the page shows them (tests/console/test_i18n.py keeps this list whole).
SHOWN_MESSAGES = (
    N_("Alarm queue"),
    N_("Venue map"),
    N_("Shift handover"),
    N_("Users"),
    N_("Incidents"),
    N_("Control log"),
    N_("History"),
    N_("Silences"),
    N_("Welfare"),
    N_("Units"),
    N_("Wall display"),
    N_("You signed out."),
    N_("Your session ended after 30 minutes without activity. Sign in again."),
    N_("Your session reached its 12-hour limit. Sign in again."),
    N_("Unknown user or wrong password."),
    N_("CSRF token missing or invalid: reload the page and try again."),
    N_("sign in to use the console"),
    # severities, alarm states and field unit statuses, shown by templates from their values
    N_("critical"),
    N_("high"),
    N_("medium"),
    N_("low"),
    N_("info"),
    N_("open"),
    N_("acknowledged"),
    N_("shelved"),
    N_("resolved"),
    N_("available"),
    N_("dispatched"),
    N_("en route"),
    N_("on scene"),
    N_("clear"),
    N_("off duty"),
    # kinds of note in the shift handover
    N_("comment"),
    N_("resolution"),
    N_("reopen"),
    N_("handover"),
    # kinds of field unit, on the phone's top bar
    N_("steward"),
    N_("security"),
    N_("medic"),
    N_("fire"),
    N_("police liaison"),
    # roles, shown beside the signed-in user's name and on the Users page
    N_("viewer"),
    N_("welfare"),
    N_("operator"),
    N_("supervisor"),
    N_("admin"),
    N_("device"),
)


@dataclass(frozen=True)
class Choice:
    """The language of one request; `remember` when `?lang=` chose it (set the cookie); `refused` the code asked
    for that the console does not have (the page says it shows English instead)."""

    lang: str
    remember: bool = False
    refused: str | None = None


def normalize(code: str | None) -> str | None:
    """`de`, `de-AT`, `zh-Hans`, `zh_CN`, `AR` -> a language the console has, or None."""
    if not code:
        return None
    cleaned = code.strip().replace("_", "-").lower()
    if not cleaned or len(cleaned) > 35:
        return None
    return negotiate_locale([cleaned], list(LANGUAGES), sep="-")


def accepted(header: str | None) -> list[str]:
    """The languages of an Accept-Language header, most wanted first (`q=0` ones left out)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")[:32]):
        code, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if code and code != "*" and quality > 0:
            ranked.append((-quality, index, code.strip()))
    return [code for _, _, code in sorted(ranked)]


def choose(query: str | None, cookie: str | None, accept_language: str | None) -> Choice:
    """`?lang=` first (remembered), then the cookie, then the browser's languages, then English."""
    if query is not None:
        chosen = normalize(query)
        if chosen is not None:
            return Choice(chosen, remember=True)
        return Choice(DEFAULT, refused=query[:35])
    remembered = normalize(cookie)
    if remembered is not None:
        return Choice(remembered)
    for code in accepted(accept_language):
        found = normalize(code)
        if found is not None:
            return Choice(found)
    return Choice(DEFAULT)


def current() -> str:
    """The language of the request being served (English outside one)."""
    return _current.get()


def refused() -> str | None:
    """The unknown code `?lang=` asked for in this request, if any."""
    return _refused.get()


def direction(lang: str) -> str:
    return "rtl" if lang in RTL else "ltr"


@cache
def translations(lang: str) -> NullTranslations:
    """The language's gettext catalogue, compiled in memory from its .po file (English: the source text)."""
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT or not path.exists():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    return compiled(catalog)


def load_all() -> None:
    """Compile every language's catalogues now (at start-up): a broken .po stops the start, not a page."""
    for lang in LANGUAGES:
        translations(lang)
        script_catalogue(lang)


def compiled(catalog: Catalog) -> Translations:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def gettext(message: str) -> str:
    """`message` in the request's language (Jinja's newstyle gettext fills in `%(name)s` values)."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` in the request's language where the same English word means two things (the Log page, to log)."""
    return str(translations(current()).pgettext(context, message))


def isolated(text: str) -> str:
    """`text` kept left to right inside a right-to-left page (a time and its zone stay in order)."""
    return f"\u2066{text}\u2069" if direction(current()) == "rtl" else text


@cache
def script_catalogue(lang: str) -> dict[str, str]:
    """The scripts' JSON catalogue for `lang` (English: empty, the keys are the text); embedded in each page."""
    path = SCRIPT_CATALOGUES / f"{lang}.json"
    if lang == DEFAULT or not path.exists():
        return {}
    loaded: dict[str, str] = orjson.loads(path.read_bytes())
    return loaded


def page_values() -> dict[str, Any]:
    """What every template needs to speak the request's language."""
    lang = current()
    return {
        "lang": lang,
        "dir": direction(lang),
        "languages": LANGUAGES,
        "lang_refused": refused(),
        "script_catalogue": script_catalogue(lang),
    }


# -- the ASGI middleware that chooses each page's language ------------------------------------------------------
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class LanguageMiddleware:
    """Sets the language for console and field pages; `?lang=xx` also sets the `fw_lang` cookie (one year)."""

    def __init__(self, app: ASGIApp, secure: bool = False) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(_UNTOUCHED):
            await self.app(scope, receive, send)
            return
        choice = _choice(scope)
        lang_token = _current.set(choice.lang)
        refused_token = _refused.set(choice.refused)
        try:
            if not choice.remember:
                await self.app(scope, receive, send)
                return
            cookie = _cookie_header(choice.lang, self.secure)

            async def remembering(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
                await send(message)

            await self.app(scope, receive, remembering)
        finally:
            _current.reset(lang_token)
            _refused.reset(refused_token)


def _choice(scope: Scope) -> Choice:
    query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"), max_num_fields=50)
    asked = query.get("lang")
    cookies: str | None = None
    accept: str | None = None
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            cookies = value.decode("latin-1")
        elif key == b"accept-language":
            accept = value.decode("latin-1")
    remembered = None
    if cookies:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(cookies)
        except CookieError:  # a malformed cookie header is the browser's problem, not a 500
            jar = SimpleCookie()
        morsel = jar.get(COOKIE)
        remembered = morsel.value if morsel is not None else None
    return choose(asked[0] if asked else None, remembered, accept)


def _cookie_header(lang: str, secure: bool) -> bytes:
    parts = [f"{COOKIE}={lang}", "Path=/", f"Max-Age={COOKIE_MAX_AGE}", "SameSite=Lax", "HttpOnly"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts).encode()


# -- `make i18n`: the scripts' JSON catalogues from the .po files -----------------------------------------------
def script_messages(catalog: Catalog) -> dict[str, str]:
    """The catalogue's messages the scripts use (those found in a static/ file), English text -> translation."""
    found: dict[str, str] = {}
    for message in catalog:
        if not message.id or not isinstance(message.id, str) or not isinstance(message.string, str):
            continue
        if any("/static/" in str(path) for path, _ in message.locations):
            found[message.id] = message.string
    return dict(sorted(found.items()))


def write_script_catalogues() -> list[Path]:
    """static/i18n/<lang>.json for every language (English maps each text to itself), from the .po files."""
    SCRIPT_CATALOGUES.mkdir(exist_ok=True)
    with (LOCALE_DIR / "messages.pot").open("rb") as handle:
        template = read_po(handle)
    written = []
    for lang in LANGUAGES:
        if lang == DEFAULT:
            messages = {k: k for k in script_messages(template)}
        else:
            with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
                messages = script_messages(read_po(handle, locale=lang))
        path = SCRIPT_CATALOGUES / f"{lang}.json"
        path.write_bytes(orjson.dumps(messages, option=orjson.OPT_INDENT_2) + b"\n")
        written.append(path)
    return written


def main() -> None:
    for path in write_script_catalogues():
        print(path.relative_to(HERE.parents[2]))
