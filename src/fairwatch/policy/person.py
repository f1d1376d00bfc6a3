"""`check_event`: the person-data ban on the ingest hot path (RIGHTS.md RS-4).

Banned names are loaded once into dicts of normalised names; each distinct event type and data key is
judged once and cached, so a steady stream costs a dict lookup per key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

from fairwatch.errors import Problem
from fairwatch.policy.grounds import Ground

_WORD_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_NON_ALNUM_RE = re.compile(r"[^0-9a-z]+")
_MAX_NGRAM = 3
_MAX_DEPTH = 4
_CACHE_LIMIT = 65536
_PREFIX = "refused: person-data ban (RS-4)"


def normalise_name(name: str) -> str:
    """Lower case with everything but ASCII letters and digits removed."""
    return _NON_ALNUM_RE.sub("", name.lower())


def _load() -> tuple[dict[str, Ground], dict[str, Ground], frozenset[str]]:
    text = resources.files("fairwatch.policy").joinpath("data/person_fields.txt").read_text("utf-8")
    types: dict[str, Ground] = {}
    keys: dict[str, Ground] = {}
    exact: set[str] = set()
    section: dict[str, Ground] = types
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if fields[0] in ("[event-types]", "[data-keys]"):
            section = types if fields[0] == "[event-types]" else keys
            continue
        name = normalise_name(fields[0])
        section[name] = Ground(fields[1])
        if fields[2:] == ["exact"]:
            exact.add(name)
    return types, keys, frozenset(exact)


_TYPES, _KEYS, _EXACT = _load()
BANNED_TYPES = frozenset(_TYPES)
BANNED_KEYS = frozenset(_KEYS)
_type_cache: dict[str, Ground | None] = {}
_key_cache: dict[str, Ground | None] = {}


def _ngrams(name: str) -> list[str]:
    words = [w.lower() for w in _WORD_RE.findall(name)]
    return ["".join(words[i : i + n]) for n in range(1, _MAX_NGRAM + 1) for i in range(len(words) - n + 1)]


def _judge(name: str, banned: dict[str, Ground], exact: frozenset[str]) -> Ground | None:
    whole = normalise_name(name)
    if whole in banned:
        return banned[whole]
    for gram in _ngrams(name):
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
