"""Strict reading of composed YAML nodes; every error names file, line, rule and field path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml
from yaml.constructor import SafeConstructor

from fairwatch import policy
from fairwatch.rules.duration import Duration, parse_duration
from fairwatch.yamlfile import line_of, one_of

if TYPE_CHECKING:
    from fairwatch.site import Site

# The C loader is much faster on big files and keeps marks; fall back to pure Python without libyaml.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Node = yaml.Node
DATA_KEY = "data.<key>"
Scalar = str | int | float | bool


_STR = "tag:yaml.org,2002:str"
_STANDARD_TAGS = frozenset(
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
        if current.tag not in _STANDARD_TAGS:
            found.append(current)
        if isinstance(current, yaml.MappingNode):
            stack.extend(n for pair in reversed(current.value) for n in reversed(pair))
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(reversed(current.value))
    return found


@dataclass
class Reader:
    """Collects errors for one file; `rule`/`rule_id` name the rule being read for the message prefix.

    `site`, when given, resolves and checks the zone ids the rules name.
    """

    filename: str
    site: Site | None = None
    found: list[tuple[int, str]] = field(default_factory=list)  # (line, message), in reading order
    rule: int | None = None
    rule_id: str | None = None
    _constructor: SafeConstructor = field(default_factory=SafeConstructor)
    _verdicts: dict[str, Any] = field(default_factory=dict)

    def error(self, node: Node, path: str, message: str) -> None:
        """Record an error at `node`'s line for the field `path`."""
        where = f"{self.filename}:{line_of(node)}: "
        if self.rule is not None:
            where += f"rule {self.rule} ({self.rule_id!r}): " if self.rule_id else f"rule {self.rule}: "
        if path:
            where += f"{path}: "
        self.found.append((line_of(node), where + message))

    def file_error(self, line: int, message: str) -> None:
        """Record an error that belongs to the file, not to a rule."""
        self.found.append((line, f"{self.filename}:{line}: {message}"))

    @property
    def count(self) -> int:
        """How many errors so far; compare before and after reading a part."""
        return len(self.found)

    @property
    def errors(self) -> list[str]:
        """Every message, by line (stable, so messages on one line keep their reading order)."""
        return [message for _, message in sorted(self.found, key=lambda item: item[0])]

    def value(self, node: Node) -> Any:
        """The Python value of a scalar node (None for collections or an unknown tag)."""
        if not isinstance(node, yaml.ScalarNode):
            return None
        if node.tag == _STR:
            return node.value  # the common case, without the constructor's bookkeeping
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
        if node.tag not in _STANDARD_TAGS:
            return f"{node.tag} {node.value!r}"
        return repr(self.value(node))

    def mapping(self, node: Node, path: str, allowed: Sequence[str]) -> dict[str, tuple[Node, Node]] | None:
        """The entries of a mapping node by key; reports non-mappings, unknown and duplicate keys.

        `allowed` may contain the placeholder `data.<key>`, which admits any `data.` key.
        """
        if not isinstance(node, yaml.MappingNode):
            self.error(node, path, f"expected a mapping, got {self.describe(node)}")
            return None
        entries: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if not isinstance(key, str):
                self.error(key_node, path, f"keys must be strings, got {self.describe(key_node)}")
            elif key in entries:
                first = line_of(entries[key][0])
                self.error(key_node, path, f"duplicate key {key!r} (first at line {first})")
            elif key in allowed or (DATA_KEY in allowed and is_data_key(key)):
                entries[key] = (key_node, value_node)
            else:
                self.error(key_node, path, f"unknown key {key!r} (expected {one_of(allowed)})")
        return entries

    def require(
        self, node: Node, path: str, entries: dict[str, tuple[Node, Node]], keys: Sequence[str]
    ) -> bool:
        """Report each missing required key; True if all are present."""
        missing = [k for k in keys if k not in entries]
        for key in missing:
            self.error(node, path, f"missing required key {key!r}")
        return not missing

    def string(self, node: Node, path: str) -> str | None:
        """A non-empty string value, or None after reporting."""
        value = self.value(node)
        if not isinstance(value, str):
            self.error(node, path, f"expected a string, got {self.describe(node)}")
            return None
        if not value:
            self.error(node, path, "must not be empty")
            return None
        return value

    def sequence(self, node: Node, path: str, what: str) -> list[Node] | None:
        """The items of a sequence node, or None after reporting."""
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, path, f"expected a list of {what}, got {self.describe(node)}")
            return None
        return list(node.value)

    def duration(self, node: Node, path: str) -> Duration | None:
        """A positive duration like `30s`, or None after reporting."""
        value = self.value(node)
        if not isinstance(value, str):
            reason = "expected a number with a unit ms, s, m, h or d, e.g. 30s"
            self.error(node, path, f"invalid duration {self.describe(node)} ({reason})")
            return None
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.error(node, path, f"invalid duration {value!r} ({exc})")
            return None

    def guard(self, node: Node, path: str, text: str) -> None:
        """Report `text` if the rights guard refuses it (RIGHTS.md RS-2; there is no override)."""
        if text not in self._verdicts:  # rule files repeat texts (alarm types, event types) a lot
            self._verdicts[text] = policy.check_text(text)
        violation = self._verdicts[text]
        if violation is not None:
            ground = str(violation.ground)
            detail = f"{ground}: {violation.term!r} ({violation.reason})"
            self.error(node, path, f"refused by the rights guard: {detail}")


def is_data_key(key: str) -> bool:
    """True for `data.<key>` with a non-empty key."""
    return key.startswith("data.") and len(key) > 5
