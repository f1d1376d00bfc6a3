"""Strict reading of composed YAML nodes for notification files; errors name file, line, item and field."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from fairwatch import policy
from fairwatch.rules.duration import parse_duration
from fairwatch.yamlfile import line_of, one_of

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Node = yaml.Node


Entries = dict[str, tuple[Node, Node]]


@dataclass
class Reader:
    """Collects every error of one file; `item` (e.g. "route 2") prefixes messages about that item."""

    filename: str
    environ: Mapping[str, str]
    item: str = ""
    found: list[tuple[int, str]] = field(default_factory=list)
    _constructor: SafeConstructor = field(default_factory=SafeConstructor)

    def error(self, node: Node, path: str, message: str) -> None:
        """Record an error at `node`'s line for the field `path`."""
        parts = [f"{self.filename}:{line_of(node)}", self.item, path, message]
        self.found.append((line_of(node), ": ".join(p for p in parts if p)))

    @property
    def errors(self) -> list[str]:
        """Every message, ordered by line (stable for messages on one line)."""
        return [message for _, message in sorted(self.found, key=lambda item: item[0])]

    def value(self, node: Node) -> Any:
        """The Python value of a scalar node (None for collections or unknown tags)."""
        if not isinstance(node, yaml.ScalarNode):
            return None
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError:
            return None

    def describe(self, node: Node) -> str:
        """How a bad value is shown in a message."""
        if isinstance(node, yaml.MappingNode):
            return "a mapping"
        if isinstance(node, yaml.SequenceNode):
            return "a list"
        return repr(self.value(node))

    def mapping(self, node: Node, path: str, allowed: Sequence[str]) -> Entries | None:
        """Entries of a mapping node by key; reports non-mappings, unknown and duplicate keys."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, path, f"expected a mapping, got {self.describe(node)}")
            return None
        entries: Entries = {}
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if not isinstance(key, str):
                self.error(key_node, path, f"keys must be strings, got {self.describe(key_node)}")
            elif key in entries:
                first = line_of(entries[key][0])
                self.error(key_node, path, f"duplicate key {key!r} (first at line {first})")
            elif key not in allowed:
                self.error(key_node, path, f"unknown key {key!r} (expected {one_of(allowed)})")
            else:
                entries[key] = (key_node, value_node)
        return entries

    def require(self, node: Node, path: str, entries: Entries, keys: Sequence[str]) -> bool:
        """Report each missing required key; True if all are there."""
        missing = [k for k in keys if k not in entries]
        for key in missing:
            self.error(node, path, f"missing required key {key!r}")
        return not missing

    def sequence(self, node: Node, path: str, what: str) -> list[Node] | None:
        """Items of a sequence node, or None after reporting."""
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, path, f"expected a list of {what}, got {self.describe(node)}")
            return None
        return list(node.value)

    def string(self, node: Node, path: str) -> str | None:
        """A non-empty string, or None after reporting."""
        value = self.value(node)
        if not isinstance(value, str):
            self.error(node, path, f"expected a string, got {self.describe(node)}")
            return None
        if not value.strip():
            self.error(node, path, "must not be empty")
            return None
        return value

    def strings(self, node: Node, path: str) -> tuple[str, ...] | None:
        """One string or a non-empty list of strings."""
        if not isinstance(node, yaml.SequenceNode):
            one = self.string(node, path)
            return None if one is None else (one,)
        if not node.value:
            self.error(node, path, "must not be an empty list")
            return None
        items = [self.string(item, path) for item in node.value]
        return tuple(i for i in items if i is not None) if None not in items else None

    def boolean(self, node: Node, path: str) -> bool | None:
        """true or false."""
        value = self.value(node)
        if not isinstance(value, bool):
            self.error(node, path, f"expected true or false, got {self.describe(node)}")
            return None
        return value

    def integer(self, node: Node, path: str, low: int, high: int) -> int | None:
        """An integer in [low, high]."""
        value = self.value(node)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.error(node, path, f"expected an integer from {low} to {high}, got {self.describe(node)}")
            return None
        return value

    def duration(self, node: Node, path: str) -> float | None:
        """A positive duration like `30s`, in seconds."""
        value = self.value(node)
        if isinstance(value, str):
            try:
                seconds = parse_duration(value).seconds
            except ValueError as exc:
                self.error(node, path, f"invalid duration {value!r} ({exc})")
                return None
            if math.isfinite(seconds):
                return seconds
        reason = "expected a number with a unit ms, s, m, h or d, e.g. 30s"
        self.error(node, path, f"invalid duration {self.describe(node)} ({reason})")
        return None

    def env(self, node: Node, path: str) -> str | None:
        """The value of the environment variable named by the node (secrets stay out of the file)."""
        name = self.string(node, path)
        if name is None:
            return None
        value = self.environ.get(name)
        if value is None or value == "":
            self.error(node, path, f"environment variable {name!r} is not set")
            return None
        return value

    def guard(self, node: Node, path: str, text: str) -> None:
        """Report `text` if the rights guard refuses it (RIGHTS.md RS-2; there is no override)."""
        violation = policy.check_text(text)
        if violation is not None:
            detail = f"{violation.ground}: {violation.term!r} ({violation.reason})"
            self.error(node, path, f"refused by the rights guard: {detail}")
