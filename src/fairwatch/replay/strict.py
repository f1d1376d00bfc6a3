"""Strict reading of composed YAML nodes for rule test files: unknown keys, wrong types and bad values are
collected with file, line and field path, and raised together (like rule files)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from fairwatch.errors import ConfigError
from fairwatch.yamlfile import compose as compose_node
from fairwatch.yamlfile import line_of

Node = yaml.Node
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_OFFSET = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
OFFSET_HELP = "expected a duration like 0s, 61s, 1m30s or 2h (units ms, s, m, h, d)"


def parse_offset(text: str) -> float | None:
    """Seconds of a non-negative duration like `0s`, `90s` or `1m30s`; None if it is not one."""
    if not _OFFSET.match(text):
        return None
    return sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(text))


def compose(text: str, filename: str) -> Node | None:
    """One YAML document's root node (None if empty); ConfigError with file:line on a syntax error."""
    root, problem = compose_node(text, filename)
    if problem is not None:
        raise ConfigError([problem])
    return root


_STANDARD = frozenset(
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)


def foreign_tags(root: Node) -> list[Node]:
    """Nodes with a tag outside the plain YAML types (e.g. `!!python/object`), in document order."""
    found: list[Node] = []
    stack = [root]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:  # aliases share nodes
            continue
        seen.add(id(node))
        if node.tag not in _STANDARD:
            found.append(node)
        if isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in reversed(node.value) for n in reversed(pair))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed(node.value))
    return found


@dataclass
class Reader:
    """Collects errors for one file; `prefix` names the item being read (e.g. "test 2 ('surge')")."""

    filename: str
    found: list[tuple[int, str]] = field(default_factory=list)
    prefix: str = ""
    _constructor: SafeConstructor = field(default_factory=SafeConstructor)

    def error(self, node: Node | int, path: str, message: str) -> None:
        """Record an error at `node` (or a line number) for the field `path`."""
        line = node if isinstance(node, int) else line_of(node)
        where = f"{self.filename}:{line}: " + (f"{self.prefix}: " if self.prefix else "")
        self.found.append((line, where + (f"{path}: " if path else "") + message))

    def raise_if_any(self) -> None:
        """Raise every error so far as one ConfigError, in line order."""
        if self.found:
            raise ConfigError([m for _, m in sorted(self.found, key=lambda item: item[0])])

    @property
    def count(self) -> int:
        """How many errors so far."""
        return len(self.found)

    def value(self, node: Node) -> Any:
        """The Python value of a node (nested for collections); timestamps stay the text as written."""
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # the event contract wants RFC 3339 text, not a datetime
        if isinstance(node, yaml.MappingNode):
            return {self.value(k): self.value(v) for k, v in node.value}
        if isinstance(node, yaml.SequenceNode):
            return [self.value(v) for v in node.value]
        return self._constructor.construct_object(node, deep=True)

    def describe(self, node: Node) -> str:
        """How a bad value is shown in a message."""
        if isinstance(node, yaml.MappingNode):
            return "a mapping"
        if isinstance(node, yaml.SequenceNode):
            return "a list"
        return repr(self.value(node))

    def mapping(
        self, node: Node, path: str, allowed: Sequence[str] | None, required: Sequence[str] = ()
    ) -> dict[str, tuple[Node, Node]] | None:
        """A mapping's entries by key; reports a non-mapping, unknown (unless `allowed` is None), duplicate
        and missing keys."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, path, f"expected a mapping, got {self.describe(node)}")
            return None
        entries: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self.error(key_node, path, f"keys must be strings, got {self.describe(key_node)}")
            elif key in entries:
                self.error(
                    key_node, path, f"duplicate key {key!r} (first at line {line_of(entries[key][0])})"
                )
            elif allowed is not None and key not in allowed:
                self.error(key_node, path, f"unknown key {key!r} (expected one of {', '.join(allowed)})")
            else:
                entries[key] = (key_node, value_node)
        for key in required:
            if key not in entries:
                self.error(node, path, f"missing required key {key!r}")
        return entries

    def sequence(self, node: Node, path: str, what: str) -> list[Node] | None:
        """The items of a list, or None after reporting."""
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, path, f"expected a list of {what}, got {self.describe(node)}")
            return None
        return list(node.value)

    def string(self, node: Node, path: str) -> str | None:
        """A non-empty string, or None after reporting."""
        value = self.value(node) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(value, str) or not value:
            self.error(node, path, f"expected a non-empty string, got {self.describe(node)}")
            return None
        return value

    def offset(self, node: Node, path: str) -> tuple[float, str] | None:
        """(seconds, text) of a duration offset like `61s`, or None after reporting."""
        text = node.value if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":str") else None
        seconds = parse_offset(text) if text is not None else None
        if text is None or seconds is None:
            self.error(node, path, f"invalid duration {self.describe(node)} ({OFFSET_HELP})")
            return None
        return seconds, text
