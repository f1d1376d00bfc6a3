"""Notification files on the one strict reader (`yamlfile.Reader`): lists of strings, durations, secrets from
the environment and the rights guard."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import yaml

from fairwatch import policy
from fairwatch.rules.duration import parse_duration
from fairwatch.yamlfile import Node
from fairwatch.yamlfile import Reader as YamlReader

__all__ = ["Entries", "Node", "Reader"]

Entries = dict[str, tuple[Node, Node]]


@dataclass
class Reader(YamlReader):
    """Collects every error of one file; `item` (e.g. "route 2") prefixes messages about that item."""

    environ: Mapping[str, str] = field(default_factory=dict)

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

    def guard_name(self, node: Node, path: str, text: str) -> bool:
        """Report a name `check_name` refuses (bidi controls, invisible characters, mixed scripts, a
        protected ground); True when it passes."""
        found = policy.check_name(text)
        if found is None:
            return True
        if isinstance(found, policy.Violation):
            detail = f"{found.ground}: {found.term!r} ({found.reason})"
        else:
            detail = found.reason
        self.error(node, path, f"refused by the rights guard: {detail}")
        return False
