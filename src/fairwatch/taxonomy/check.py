"""The rights guard applied to alarm types (RS-1, RS-2): closed hazard classes and protected-ground text.

`check_taxonomy_file` backs `fairwatch taxonomy check PATH`: one `REJECTED ...` line per refused type,
exit 0 when all pass, 1 when any is refused, 2 when the file is malformed (ConfigError).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from fairwatch.errors import ConfigError, PolicyViolation, Problem
from fairwatch.policy import HAZARD_CLASSES, check_text
from fairwatch.taxonomy.builtin import builtin_ids
from fairwatch.taxonomy.model import AlarmType
from fairwatch.taxonomy.parse import Entry, read_entries
from fairwatch.yamlfile import read_text

CLOSED_HAZARD_CLASSES = "closed_hazard_classes"
_CLOSED_REASON = "hazard class outside the closed list, RS-1"


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why the guard refused one alarm type: ground, matched lexicon term (or hazard class), reason, field."""

    id: str
    ground: str  # a policy Ground value, or "closed_hazard_classes"
    term: str
    reason: str
    field: str
    line: int | None = None


def format_rejection(rejection: Rejection) -> str:
    """The one line the CLI prints for a refused type."""
    return f"REJECTED {rejection.id}: {rejection.ground}: {rejection.term} ({rejection.reason})"


def screen(alarm_type: AlarmType, lines: dict[str, int] | None = None) -> Rejection | None:
    """The guard's verdict on one type: its hazard class first, then id, names and description."""
    where = lines or {}
    if alarm_type.hazard_class not in HAZARD_CLASSES:
        line = where.get("hazard_class")
        return Rejection(
            alarm_type.id,
            CLOSED_HAZARD_CLASSES,
            alarm_type.hazard_class,
            _CLOSED_REASON,
            "hazard_class",
            line,
        )
    for field, text in alarm_type.texts():
        violation = check_text(text)
        if violation is not None:
            ground = str(violation.ground)
            return Rejection(alarm_type.id, ground, violation.term, violation.reason, field, where.get(field))
    return None


def refuse(rejections: Iterable[Rejection]) -> PolicyViolation:
    """The error a write path raises for refused types; there is no override (RS-2)."""
    problems = [
        Problem(field=f"{r.id}.{r.field}", value=r.id, message=format_rejection(r)) for r in rejections
    ]
    return PolicyViolation(problems)


@dataclass(frozen=True, slots=True)
class TaxonomyCheck:
    """The verdict on a taxonomy file: the types that pass and one rejection per refused type."""

    source: str
    accepted: tuple[AlarmType, ...]
    rejected: tuple[Rejection, ...]

    @property
    def exit_code(self) -> int:
        """0 when every type passes, 1 when any is refused (a malformed file raises ConfigError: exit 2)."""
        return 1 if self.rejected else 0

    def lines(self) -> list[str]:
        """What `fairwatch taxonomy check` prints: exactly one line per refused type."""
        return [format_rejection(r) for r in self.rejected]


def check_entries(source: str, entries: list[Entry]) -> TaxonomyCheck:
    """Screen parsed entries."""
    accepted, rejected = [], []
    for entry in entries:
        rejection = screen(entry.type, entry.lines)
        if rejection is None:
            accepted.append(entry.type)
        else:
            rejected.append(rejection)
    return TaxonomyCheck(source, tuple(accepted), tuple(rejected))


def read_file(path: str | Path) -> tuple[str, str]:
    """(source name, text) of a taxonomy file; an unreadable file is a ConfigError (exit 2)."""
    return str(path), read_text(path, "taxonomy")


def check_taxonomy_text(text: str, source: str = "taxonomy.yaml") -> TaxonomyCheck:
    """Parse and screen site additions given as text; raises ConfigError if malformed."""
    return check_entries(source, _site_entries(text, source))


def check_taxonomy_file(path: str | Path) -> TaxonomyCheck:
    """Parse and screen a site additions file; raises ConfigError if it is unreadable or malformed."""
    source, text = read_file(path)
    return check_taxonomy_text(text, source)


def _site_entries(text: str, source: str) -> list[Entry]:
    entries = read_entries(text, source, origin="site")
    clashes = [e for e in entries if e.type.id in builtin_ids()]
    if clashes:
        raise ConfigError(
            [
                f"{source}:{e.lines['id']}: type {e.index} ('{e.type.id}'): id: '{e.type.id}' is a built-in type "
                "(site additions need ids of their own)"
                for e in clashes
            ]
        )
    return entries
