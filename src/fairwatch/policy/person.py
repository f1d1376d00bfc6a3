"""`check_event`: the person-data ban on the ingest hot path (RIGHTS.md RS-4).

Banned names are loaded once into dicts of normalised names; each distinct event type and data key is
judged once and cached, so a steady stream costs a dict lookup per key. A name is normalised before it is
judged: NFKC (full-width letters), look-alike letters folded (UTS #39 skeletons: Cyrillic "е" is "e"),
case, separators and camelCase, then synonyms, abbreviations and transliterations ("face_vec",
"reidVector", "religiya") map to the words the ban lists.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from importlib import resources
from typing import Any

from fairwatch.errors import Problem
from fairwatch.policy.grounds import Ground
from fairwatch.policy.normalize import fold

_MAX_NGRAM = 3
_MAX_DEPTH = 4
_CACHE_LIMIT = 65536
_PREFIX = "refused: person-data ban (RS-4)"
# Upper case followed by lower case starts a word ("FaceVec" -> Face|Vec, "HTTPFace" -> HTTP|Face).
_CAMEL_RE = re.compile(
    r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])|(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])"
)


def _split(name: str) -> list[str]:
    """Words of a name: NFKC (full-width, ligatures), invisible characters dropped, split at every
    separator (anything but a letter or digit) and at camelCase and letter/digit boundaries."""
    text = "".join(ch for ch in unicodedata.normalize("NFKC", name) if unicodedata.category(ch) != "Cf")
    words: list[str] = []
    for chunk in re.split(r"[\W_]+", text):
        words.extend(w for w in _CAMEL_RE.split(chunk) if w)
    return words


def _words(name: str, synonyms: dict[str, tuple[str, ...]]) -> list[str]:
    """The normalised words of a name: each word folded (case, accents, look-alike letters) and mapped
    through the synonyms ("vec" -> "vector", "religiya" -> "religion")."""
    out: list[str] = []
    for word in _split(name):
        folded = _NON_WORD_RE.sub("", fold(word))
        if folded:
            out.extend(synonyms.get(folded, (folded,)))
    return out


_NON_WORD_RE = re.compile(r"[\W_]+")


def normalise_name(name: str) -> str:
    """A name as the ban lists compare it: its normalised words (`_words`) joined."""
    return "".join(_words(name, _SYNONYMS))


def _sections(text: str) -> dict[str, list[list[str]]]:
    sections: dict[str, list[list[str]]] = {}
    current: list[list[str]] = []
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if fields[0].startswith("[") and fields[0].endswith("]"):
            current = sections.setdefault(fields[0][1:-1], [])
            continue
        current.append(fields)
    return sections


def _load() -> tuple[dict[str, Ground], dict[str, Ground], frozenset[str], dict[str, tuple[str, ...]]]:
    text = resources.files("fairwatch.policy").joinpath("data/person_fields.txt").read_text("utf-8")
    sections = _sections(text)
    synonyms = {
        _NON_WORD_RE.sub("", fold(source)): tuple(target.split("_"))
        for source, target, *_ in sections.get("synonyms", [])
    }
    types: dict[str, Ground] = {}
    keys: dict[str, Ground] = {}
    exact: set[str] = set()
    for section, banned in (("event-types", types), ("data-keys", keys)):
        for fields in sections[section]:
            name = "".join(_words(fields[0], synonyms))
            banned[name] = Ground(fields[1])
            if fields[2:] == ["exact"]:
                exact.add(name)
    for fields in sections.get("biometric-pairs", []):
        cut = fields.index(":")
        for source in fields[:cut]:
            for representation in fields[cut + 1 :]:
                name = "".join(_words(f"{source}_{representation}", synonyms))
                keys.setdefault(name, Ground.BIOMETRIC)
                types.setdefault(name, Ground.BIOMETRIC)
    return types, keys, frozenset(exact), synonyms


_TYPES, _KEYS, _EXACT, _SYNONYMS = _load()
BANNED_TYPES = frozenset(_TYPES)
BANNED_KEYS = frozenset(_KEYS)
_type_cache: dict[str, Ground | None] = {}
_key_cache: dict[str, Ground | None] = {}


def _judge(name: str, banned: dict[str, Ground], exact: frozenset[str]) -> Ground | None:
    words = _words(name, _SYNONYMS)
    whole = "".join(words)
    if whole in banned:
        return banned[whole]
    grams = ["".join(words[i : i + n]) for n in range(1, _MAX_NGRAM + 1) for i in range(len(words) - n + 1)]
    for gram in grams:
        if gram in banned and gram not in exact:
            return banned[gram]
    return None


def _cached(cache: dict[str, Ground | None], name: str, banned: dict[str, Ground]) -> Ground | None:
    try:
        return cache[name]
    except KeyError:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()  # bounded: a sender inventing keys cannot grow memory
        ground = cache[name] = _judge(name, banned, _EXACT if banned is _KEYS else frozenset())
        return ground


def type_ground(event_type: str) -> Ground | None:
    """The ground an event type is refused on, or None."""
    return _cached(_type_cache, event_type, _TYPES)


def key_ground(key: str) -> Ground | None:
    """The ground a data key is refused on, or None."""
    return _cached(_key_cache, key, _KEYS)


def _check_data(
    data: Mapping[Any, Any], path: str, index: int | None, depth: int, out: list[Problem]
) -> None:
    cache = _key_cache
    for raw_key, value in data.items():
        key = raw_key if type(raw_key) is str else str(raw_key)
        ground = cache[key] if key in cache else _cached(cache, key, _KEYS)
        if ground is not None:
            message = f"{_PREFIX}: {ground}: key '{key}' carries a person attribute"
            out.append(Problem(field=f"{path}.{key}", value=key, message=message, index=index))
        elif depth < _MAX_DEPTH and isinstance(value, Mapping | list):
            _check_nested(value, f"{path}.{key}", index, depth + 1, out)


def _check_nested(value: Any, path: str, index: int | None, depth: int, out: list[Problem]) -> None:
    if isinstance(value, Mapping):
        _check_data(value, path, index, depth, out)
    elif isinstance(value, list):
        for number, item in enumerate(value):
            if isinstance(item, Mapping | list):
                _check_nested(item, f"{path}[{number}]", index, depth, out)


def check_event(event_type: str, data: Mapping[str, Any], index: int | None = None) -> list[Problem]:
    """Problems for an event whose type or data keys (at any depth) carry person attributes (RS-4)."""
    problems: list[Problem] = []
    cache = _type_cache
    ground = cache[event_type] if event_type in cache else _cached(cache, event_type, _TYPES)
    if ground is not None:
        message = f"{_PREFIX}: {ground}: event type '{event_type}' identifies or profiles a person"
        problems.append(Problem(field="type", value=event_type, message=message, index=index))
    if data:
        _check_data(data, "data", index, 1, problems)
    return problems
