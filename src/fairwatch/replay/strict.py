"""Rule test files on the one strict reader (`yamlfile.Reader`): values as plain data, duration offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from fairwatch.errors import ConfigError
from fairwatch.schemas import Catalogue
from fairwatch.yamlfile import Node, foreign_tags
from fairwatch.yamlfile import Reader as YamlReader
from fairwatch.yamlfile import compose as compose_node

__all__ = ["OFFSET_HELP", "Node", "Reader", "compose", "foreign_tags", "parse_offset"]

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


@dataclass
class Reader(YamlReader):
    """Collects errors for one rule-test file; `item` names the test being read (e.g. "test 2 ('surge')").

    `schemas` and `zones` are what the test's events are checked against, as ingest checks them (RS-10)."""

    schemas: Catalogue | None = None
    zones: frozenset[str] | None = None

    def value(self, node: Node) -> Any:
        """The Python value of a node (nested for collections); timestamps stay the text as written."""
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # the event contract wants RFC 3339 text, not a datetime
        if isinstance(node, yaml.MappingNode):
            return {self.value(k): self.value(v) for k, v in node.value}
        if isinstance(node, yaml.SequenceNode):
            return [self.value(v) for v in node.value]
        return self._constructor.construct_object(node, deep=True)

    def offset(self, node: Node, path: str) -> tuple[float, str] | None:
        """(seconds, text) of a duration offset like `61s`, or None after reporting."""
        text = node.value if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":str") else None
        seconds = parse_offset(text) if text is not None else None
        if text is None or seconds is None:
            self.error(node, path, f"invalid duration {self.describe(node)} ({OFFSET_HELP})")
            return None
        return seconds, text
