"""Strict YAML reading for every configuration file, with one error format (STYLE.md item 7):

    FILE:LINE: ITEM: FIELD: message (got VALUE)

`ITEM` names the list item being read (`rule 3 ('crowd-crush-risk')`, `zone 2`), `FIELD` the dotted path inside
it, `VALUE` the bad value as `describe`/`show` print it; parts that do not apply are left out. `Reader` collects
every problem of a file and raises them together as one ConfigError, in line order. Readers walk composed nodes
(`compose`; rules, notification, rule-test and phases files) or line-tracking values (`load_yaml`: site and
taxonomy files).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from fairwatch.errors import ConfigError


class LineDict(dict[Any, Any]):
    """A YAML mapping; `line` is where it starts, `lines[key]` where each value starts (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: dict[Any, int] = {}
        self.key_lines: dict[Any, int] = {}


class LineList(list[Any]):
    """A YAML sequence; `line` is where it starts, `lines[i]` where item i starts (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: list[int] = []


class _Loader(yaml.SafeLoader):
    """SafeLoader building LineDict/LineList; duplicate keys are errors (PyYAML would keep the last)."""

    source = "<string>"


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict(node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise ConfigError([f"{loader.source}:{line}: keys must be strings (got {key!r})"])
        if key in out:
            first = out.key_lines[key]
            raise ConfigError([f"{loader.source}:{line}: duplicate key '{key}' (first at line {first})"])
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = value_node.start_mark.line + 1
        out.key_lines[key] = line
    return out


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(node.start_mark.line + 1)
    for item in node.value:
        out.append(loader.construct_object(item, deep=True))
        out.lines.append(item.start_mark.line + 1)
    return out


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def read_text(path: str | PathLike[str], what: str) -> str:
    """A configuration file's text; an unreadable file is a ConfigError `FILE:1: cannot read WHAT file: reason`."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError([f"{path}:1: cannot read {what} file: {reason}"]) from exc


def load_yaml(text: str, source: str) -> Any:
    """One YAML document as plain values, LineDict and LineList; syntax errors become ConfigError."""
    loader = _Loader(text)
    loader.source = source
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError([f"{source}:{line}: invalid YAML: {exc.problem or exc.context}"]) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([f"{source}:1: invalid YAML: {exc}"]) from exc
    finally:
        loader.dispose()


# -- composed-node helpers, for readers that walk YAML nodes (rules, notification, rule-test files) ------------
Node = yaml.Node
_NODE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose(text: str, filename: str) -> tuple[Node | None, str | None]:
    """Compose one YAML document; return (root, None) or (None, an error message with the line)."""
    try:
        return yaml.compose(text, Loader=_NODE_LOADER), None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        return None, f"{filename}:{line}: invalid YAML: {exc.problem or exc.context}"
    except yaml.YAMLError as exc:
        return None, f"{filename}:1: invalid YAML: {exc}"


def line_of(node: Node) -> int:
    """The 1-based line where `node` starts."""
    return int(node.start_mark.line) + 1


def join(path: str, key: str) -> str:
    """Extend a dotted field path."""
    return f"{path}.{key}" if path else key


def one_of(names: Sequence[str]) -> str:
    """`a` or `one of a, b, c`, for messages."""
    return names[0] if len(names) == 1 else "one of " + ", ".join(names)


# -- the reader: one error format for every file -------------------------------------------------------------
_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_NOTHING: Any = object()


def show(value: Any) -> str:
    """How a bad plain value is shown in a message: `'text'`, `5`, `True`, `nothing`, `a list`, `a mapping`."""
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, list | tuple):
        return "a list" if value else "an empty list"
    return "nothing" if value is None else repr(value)


@dataclass
class Reader:
    """Collects every error of one file in the one format; `item` names the item being read (may be empty)."""

    filename: str
    item: str = ""
    found: list[tuple[int, str]] = field(default_factory=list)  # (line, message), in reading order
    _constructor: SafeConstructor = field(default_factory=SafeConstructor, repr=False)

    def prefix(self) -> str:
        """The ITEM part of a message (readers with their own notion of the item override this)."""
        return self.item

    def error(self, at: Node | int, path: str, message: str, got: Any = _NOTHING) -> None:
        """Record `message` at a node (or a 1-based line) for the field `path`; `got` is the bad value: a node
        (shown with `describe`) or a plain value (shown with `show`)."""
        line = at if isinstance(at, int) else line_of(at)
        self._record(line, self.prefix(), path, message, got)

    def file_error(self, line: int, message: str, got: Any = _NOTHING) -> None:
        """Record an error that belongs to the file, not to an item."""
        self._record(line, "", "", message, got)

    def _record(self, line: int, item: str, path: str, message: str, got: Any) -> None:
        if got is not _NOTHING:
            message += f" (got {self.describe(got) if isinstance(got, yaml.Node) else show(got)})"
        parts = (f"{self.filename}:{line}", item, path, message)
        self.found.append((line, ": ".join(p for p in parts if p)))

    @property
    def count(self) -> int:
        """How many errors so far; compare before and after reading a part."""
        return len(self.found)

    @property
    def errors(self) -> list[str]:
        """Every message, by line (stable, so messages on one line keep their reading order)."""
        return [message for _, message in sorted(self.found, key=lambda item: item[0])]

    def raise_if_any(self) -> None:
        """Raise every error so far as one ConfigError, in line order."""
        if self.found:
            raise ConfigError(self.errors)

    # -- line-tracking values (load_yaml) -----------------------------------------------------------------
    def line_mapping(
        self, value: Any, line: int, path: str, allowed: Sequence[str], required: Sequence[str] = ()
    ) -> bool:
        """Check that `value` (at `line`) is a mapping with only `allowed` keys and every `required` key; each
        problem is reported; False only if it is not a mapping at all."""
        if not isinstance(value, LineDict):
            self.error(line, path, "expected a mapping", got=value)
            return False
        for key in value:
            if key not in allowed:
                self.error(value.key_lines[key], path, f"unknown key {key!r} (expected {one_of(allowed)})")
        for key in required:
            if key not in value:
                self.error(value.line, path, f"missing required key {key!r}")
        return True

    # -- composed nodes ------------------------------------------------------------------------------------
    def value(self, node: Node) -> Any:
        """The Python value of a scalar node (None for collections or a value its tag cannot construct)."""
        if not isinstance(node, yaml.ScalarNode):
            return None
        if node.tag == _STR:
            return node.value  # the common case, without the constructor's bookkeeping
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError:
            return None

    def describe(self, node: Node) -> str:
        """How a bad node is shown in a message."""
        if isinstance(node, yaml.MappingNode):
            return "a mapping" if node.value else "an empty mapping"
        if isinstance(node, yaml.SequenceNode):
            return "a list" if node.value else "an empty list"
        if node.tag == _NULL:
            return "nothing"
        if node.tag == _TIMESTAMP:
            return repr(node.value)  # as written, not as a datetime
        if node.tag not in STANDARD_TAGS:
            return f"{node.tag} {node.value!r}"
        return repr(self.value(node))

    def allows(self, key: str, allowed: Sequence[str]) -> bool:
        """Whether a mapping may have `key` (readers with key patterns override this)."""
        return key in allowed

    def mapping(
        self, node: Node, path: str, allowed: Sequence[str] | None, required: Sequence[str] = ()
    ) -> dict[str, tuple[Node, Node]] | None:
        """A mapping's entries by key; reports a non-mapping, non-string, duplicate and unknown keys (any key
        is allowed when `allowed` is None) and each missing `required` key."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, path, "expected a mapping", got=node)
            return None
        entries: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self.error(key_node, path, "keys must be strings", got=key_node)
            elif key in entries:
                first = line_of(entries[key][0])
                self.error(key_node, path, f"duplicate key {key!r} (first at line {first})")
            elif allowed is None or self.allows(key, allowed):
                entries[key] = (key_node, value_node)
            else:
                self.error(key_node, path, f"unknown key {key!r} (expected {one_of(allowed)})")
        self.require(node, path, entries, required)
        return entries

    def require(
        self, node: Node, path: str, entries: dict[str, tuple[Node, Node]], keys: Sequence[str]
    ) -> bool:
        """Report each missing required key; True if all are present."""
        missing = [k for k in keys if k not in entries]
        for key in missing:
            self.error(node, path, f"missing required key {key!r}")
        return not missing

    def sequence(self, node: Node, path: str, what: str) -> list[Node] | None:
        """The items of a sequence node, or None after reporting."""
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, path, f"expected a list of {what}", got=node)
            return None
        return list(node.value)

    def string(self, node: Node, path: str) -> str | None:
        """A non-empty string value, or None after reporting."""
        value = self.value(node)
        if not isinstance(value, str):
            self.error(node, path, "expected a string", got=node)
            return None
        if not value.strip():
            self.error(node, path, "must not be empty", got=node)
            return None
        return value

    def boolean(self, node: Node, path: str) -> bool | None:
        """true or false, or None after reporting."""
        value = self.value(node)
        if not isinstance(value, bool):
            self.error(node, path, "expected true or false", got=node)
            return None
        return value

    def integer(self, node: Node, path: str, low: int, high: int) -> int | None:
        """An integer in [low, high], or None after reporting."""
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.error(node, path, f"expected an integer from {low} to {high}", got=node)
            return None
        return value


STANDARD_TAGS = frozenset(
    "tag:yaml.org,2002:" + t
    for t in (
        "str",
        "int",
        "float",
        "bool",
        "null",
        "map",
        "seq",
        "timestamp",
        "binary",
        "set",
        "omap",
        "pairs",
    )
)


def foreign_tags(node: Node) -> list[Node]:
    """Nodes carrying a tag outside YAML's standard types (e.g. `!!python/object`), in document order."""
    found: list[Node] = []
    stack = [node]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:  # anchors make the node graph shared, never cyclic for safe tags
            continue
        seen.add(id(current))
        if current.tag not in STANDARD_TAGS:
            found.append(current)
        if isinstance(current, yaml.MappingNode):
            stack.extend(n for pair in reversed(current.value) for n in reversed(pair))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(reversed(current.value))
    return found
