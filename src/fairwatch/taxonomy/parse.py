"""Strict parsing of taxonomy files (the built-in catalogue and site additions; docs/rights.md).

Every problem in a file is collected and raised together as one ConfigError. Each message names the file,
line, type (1-based, with its id when known), field and bad value:
`taxonomy.yaml:7: type 2 ('crowd_safety.x'): cap_category: unknown category 'Foo' (expected one of Geo, ...)`.
A hazard class outside the closed list is not a syntax error but a refusal: see `screen`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

from fairwatch.model import Severity
from fairwatch.policy import HAZARD_CLASSES, LANGUAGES
from fairwatch.taxonomy.model import CAP_CATEGORIES, STATUSES, AlarmType, Origin, Status
from fairwatch.yamlfile import LineDict, LineList, Reader, load_yaml

KEYS: tuple[str, ...] = ("id", "names", "description", "severity", "hazard_class", "cap_category", "status")
REQUIRED: tuple[str, ...] = KEYS[:-1]
SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)
ID_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9][a-z0-9_]*$")
LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True, slots=True)
class Entry:
    """One parsed type with where it came from; `lines[field]` is the line of each field's value."""

    source: str
    index: int  # 1-based position in the file
    line: int
    type: AlarmType
    lines: dict[str, int]


@dataclass
class _Item:
    """Reads one list item; its problems are the reader's, with the item `type N ('id')`."""

    reader: Reader
    index: int
    data: LineDict
    label: str = ""
    bad: bool = False

    def error(self, line: int, path: str, message: str, *got: Any) -> None:
        """Record a problem of this item; `got` (optional) is the bad value."""
        self.reader.item = f"type {self.index}{self.label}"
        self.reader.error(line, path, message, *got)
        self.bad = True

    def line(self, key: str) -> int:
        line: int = self.data.lines.get(key, self.data.line)
        return line

    def text(self, key: str) -> str:
        value = self.data.get(key)
        if key not in self.data:
            return ""
        if not isinstance(value, str):
            self.error(self.line(key), key, "expected a string", value)
            return ""
        if not value.strip():
            self.error(self.line(key), key, "must not be empty", value)
        return value

    def choice(self, key: str, allowed: tuple[str, ...], what: str) -> str:
        value = self.text(key)
        if value and value not in allowed:
            expected = ", ".join(allowed)
            self.error(self.line(key), key, f"unknown {what} {value!r} (expected one of {expected})")
        return value


@dataclass
class _Reader(Reader):
    first_line: dict[str, int] = field(default_factory=dict)

    def top(self, data: Any) -> LineList | None:
        if not isinstance(data, LineDict):
            self.error(1, "", "expected a mapping with the key 'taxonomy'", got=data)
            return None
        for key in data:
            if key != "taxonomy":
                self.error(data.key_lines[key], "", f"unknown key {key!r} (expected taxonomy)")
        if "taxonomy" not in data:
            self.error(data.line, "", "missing required key 'taxonomy'")
            return None
        types = data["taxonomy"]
        if not isinstance(types, LineList):
            self.error(data.lines["taxonomy"], "taxonomy", "expected a list of alarm types", got=types)
            return None
        return types

    def entry(self, raw: Any, index: int, line: int, origin: Origin) -> Entry | None:
        ident = raw.get("id") if isinstance(raw, LineDict) else None
        label = f" ({ident!r})" if isinstance(ident, str) else ""
        self.item = f"type {index}{label}"
        before = self.count
        if not self.line_mapping(raw, line, "", KEYS, REQUIRED):
            return None
        item = _Item(self, index, raw, label, bad=self.count > before)
        return self._build(item, origin)

    def _build(self, item: _Item, origin: Origin) -> Entry | None:
        type_id = self._id(item)
        names = self._names(item)
        description = item.text("description")
        severity = item.choice("severity", SEVERITIES, "severity")
        hazard_class = item.text("hazard_class")
        cap_category = item.choice("cap_category", CAP_CATEGORIES, "category")
        status = item.choice("status", STATUSES, "status") if "status" in item.data else "active"
        prefix = type_id.split(".", 1)[0]
        if type_id and hazard_class in HAZARD_CLASSES and prefix != hazard_class:
            item.error(
                item.line("id"), "id", f"prefix {prefix!r} does not match hazard_class {hazard_class!r}"
            )
        if item.bad:
            return None
        alarm_type = AlarmType(
            type_id,
            names,
            description,
            Severity(severity),
            hazard_class,
            cap_category,
            cast(Status, status),
            origin,
        )
        lines = {key: item.line(key) for key in KEYS}
        lines.update({f"names.{k}": item.data["names"].lines[k] for k in names})
        return Entry(self.filename, item.index, item.data.line, alarm_type, lines)

    def _id(self, item: _Item) -> str:
        type_id = item.text("id")
        if type_id and not ID_RE.match(type_id):
            reason = "expected <hazard_class>.<name> in lower case letters, digits and _"
            item.error(item.line("id"), "id", f"invalid id {type_id!r} ({reason})")
            return ""
        if type_id in self.first_line:
            first = self.first_line[type_id]
            item.error(item.line("id"), "id", f"duplicate id {type_id!r} (first defined at line {first})")
        elif type_id:
            self.first_line[type_id] = item.line("id")
        return type_id

    def _names(self, item: _Item) -> dict[str, str]:
        names = item.data.get("names")
        if "names" not in item.data:
            return {}
        if not isinstance(names, LineDict) or not names:
            item.error(item.line("names"), "names", "expected a mapping of language code to name", names)
            return {}
        out = {}
        for lang, name in names.items():
            line = names.lines[lang]
            if not LANG_RE.match(lang):
                reason = "expected a code like en, de, pt-BR"
                item.error(names.key_lines[lang], "names", f"invalid language code {lang!r} ({reason})")
            elif lang.split("-", 1)[0] not in LANGUAGES:
                reason = f"a display name is accepted only in a language the rights lexicon reads: {', '.join(sorted(LANGUAGES))}"
                item.error(names.key_lines[lang], "names", f"language {lang!r} is not covered ({reason})")
            elif not isinstance(name, str) or not name.strip():
                item.error(line, f"names.{lang}", "expected a name", name)
            else:
                out[lang] = name
        return out


def read_entries(text: str, source: str, origin: Origin = "site") -> list[Entry]:
    """Every type in a taxonomy file, strictly checked; raises ConfigError listing every problem."""
    reader = _Reader(source)
    types = reader.top(load_yaml(text, source))
    entries = []
    if types is not None:
        for number, (raw, line) in enumerate(zip(types, types.lines, strict=True), start=1):
            entry = reader.entry(raw, number, line, origin)
            if entry is not None:
                entries.append(entry)
    reader.raise_if_any()
    return entries
