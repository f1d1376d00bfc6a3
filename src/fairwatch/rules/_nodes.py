"""Rule files on the one strict reader (`yamlfile.Reader`): the rule being read names the item, `data.<key>`
keys, durations and the rights guard."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fairwatch import policy
from fairwatch.rules.duration import Duration, parse_duration
from fairwatch.yamlfile import Node, foreign_tags
from fairwatch.yamlfile import Reader as YamlReader

if TYPE_CHECKING:
    from collections.abc import Sequence

    from fairwatch.schemas import Catalogue
    from fairwatch.site import Site

__all__ = ["DATA_KEY", "Node", "Reader", "foreign_tags", "is_data_key"]

DATA_KEY = "data.<key>"


@dataclass
class Reader(YamlReader):
    """Collects errors for one rule file; `rule`/`rule_id` name the rule being read (the message's item).

    `site`, when given, resolves and checks the zone ids the rules name; `schemas`, when given, the event types
    and fields they use (RS-11, `rules.declared`).
    """

    site: Site | None = None
    schemas: Catalogue | None = None
    rule: int | None = None
    rule_id: str | None = None
    _verdicts: dict[str, Any] = field(default_factory=dict)

    def prefix(self) -> str:
        """`rule 3 ('crowd-crush-risk')`, `rule 3` before its id is known, or nothing outside a rule."""
        if self.rule is None:
            return ""
        return f"rule {self.rule} ({self.rule_id!r})" if self.rule_id else f"rule {self.rule}"

    def allows(self, key: str, allowed: Sequence[str]) -> bool:
        """`allowed` may contain the placeholder `data.<key>`, which admits any `data.` key."""
        return key in allowed or (DATA_KEY in allowed and is_data_key(key))

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
