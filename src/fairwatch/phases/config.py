"""Strict reading of run-of-show files (docs/phases.md) into a `RunOfShow`.

Every problem is collected and raised together as one ConfigError; each message names file, line, item
(`phase 2 ('ingress')`, 1-based), field and the bad value. Each phase's rules file is read with the same
loader, taxonomy check and site as `--rules`, and its own errors keep naming that file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import yaml

from fairwatch.errors import ConfigError
from fairwatch.events.validate import parse_time
from fairwatch.phases.plan import Phase, RunOfShow
from fairwatch.policy import NameProblem, Violation, check_name
from fairwatch.rules import RuleSet, load_rules
from fairwatch.schemas import Catalogue
from fairwatch.site import Site
from fairwatch.yamlfile import Reader, compose, line_of, read_text

KnownType = Callable[[str], bool]
PHASE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
ID_HELP = "lowercase letters, digits, '-' and '_', starting with a letter or digit"
TIME_HELP = "an RFC 3339 time with a UTC offset, like 2026-07-04T12:00:00+01:00"
PHASE_KEYS = ("id", "rules", "starts")
_STR = "tag:yaml.org,2002:str"


@dataclass
class _Reader(Reader):
    """The one strict reader, plus the phases' rules files: each read once, their own errors kept as they are."""

    base: Path = field(default_factory=Path.cwd)
    known_type: KnownType | None = None
    site: Site | None = None
    schemas: Catalogue | None = None
    rule_errors: list[str] = field(default_factory=list)
    loaded: dict[Path, tuple[RuleSet, str] | None] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Errors so far, this file's and its rules files'."""
        return self.count + len(self.rule_errors)

    def rules(self, path: Path) -> tuple[Path, tuple[RuleSet, str] | None]:
        """The compiled rules of a phase's file, each file read once; its errors are kept as they are."""
        if path not in self.loaded:
            try:
                ruleset = load_rules(path, self.known_type, self.site, self.schemas)
                self.loaded[path] = (ruleset, hashlib.sha256(path.read_bytes()).hexdigest())
            except ConfigError as exc:
                self.rule_errors.extend(exc.messages)
                self.loaded[path] = None
        return path, self.loaded[path]


def _refusal(found: NameProblem | Violation) -> str:
    if isinstance(found, Violation):
        return f"refused by the rights guard: {found.ground.value}: '{found.term}' ({found.reason})"
    return f"refused by the rights guard: {found.reason}"


def load_phases(
    path: str | PathLike[str],
    known_type: KnownType | None = None,
    site: Site | None = None,
    schemas: Catalogue | None = None,
) -> RunOfShow:
    """Read, check and compile a run-of-show file and every rules file it names; ConfigError lists all problems.
    `schemas` limits the rules to declared event types and measurements (RS-11)."""
    filename = str(path)
    text = read_text(path, "phases")
    return parse_phases(text, filename, Path(path).parent, known_type, site, schemas)


def parse_phases(
    text: str,
    filename: str = "phases.yaml",
    base: Path | None = None,
    known_type: KnownType | None = None,
    site: Site | None = None,
    schemas: Catalogue | None = None,
) -> RunOfShow:
    """Check and compile run-of-show text; rules files are relative to `base` (default: the working directory)."""
    reader = _Reader(filename, base=base or Path.cwd(), known_type=known_type, site=site, schemas=schemas)
    root, syntax_error = compose(text, filename)
    if syntax_error is not None:
        raise ConfigError([syntax_error])
    phases: list[Phase] = []
    if not isinstance(root, yaml.MappingNode):
        line = line_of(root) if root is not None else 1
        raise ConfigError([f"{filename}:{line}: expected a mapping with the key 'phases'"])
    top = reader.mapping(root, "", ("phases",), required=("phases",))
    if top is not None and "phases" in top:
        phases = _phases(reader, top["phases"][1])
    problems = reader.errors + reader.rule_errors
    if problems:
        raise ConfigError(problems)
    return RunOfShow(tuple(phases), filename)


def _phases(reader: _Reader, node: yaml.Node) -> list[Phase]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        reader.error(node, "phases", "expected a non-empty list of phases", got=node)
        return []
    out: list[Phase] = []
    first_line: dict[str, int] = {}
    last: tuple[int, Phase] | None = None
    for index, item in enumerate(node.value, start=1):
        phase = _phase(reader, item, index, first_line)
        if phase is None:
            continue
        if phase.starts is not None:
            if last is not None and last[1].starts is not None and phase.starts <= last[1].starts:
                order = (
                    f"must be later than phase {last[0]} ({last[1].id!r}), which starts {last[1].starts_text}"
                )
                reader.item = f"phase {index} ({phase.id!r})"
                reader.error(_value(item, "starts"), "starts", order)
            last = (index, phase)
        out.append(phase)
    return out


def _phase(reader: _Reader, node: yaml.Node, index: int, first_line: dict[str, int]) -> Phase | None:
    reader.item = f"phase {index}"
    if not isinstance(node, yaml.MappingNode):
        reader.error(node, "", "expected a mapping with id, rules and optionally starts", got=node)
        return None
    id_node = _value(node, "id")
    if id_node is not node and isinstance(id_node, yaml.ScalarNode) and id_node.tag == _STR:
        reader.item = f"phase {index} ({id_node.value!r})"
    count = reader.total
    entries = reader.mapping(node, "", PHASE_KEYS, required=("id", "rules")) or {}
    phase_id = _phase_id(reader, entries, first_line)
    rules = _rules(reader, entries)
    starts = _starts(reader, entries)
    if phase_id is None or rules is None or reader.total > count:
        return None
    path, compiled = rules
    if compiled is None:  # a rules file another phase already named, and its errors are reported
        return None
    return Phase(phase_id, entries["rules"][1].value, path, compiled[0], compiled[1], *starts)


def _phase_id(
    reader: _Reader, entries: dict[str, tuple[yaml.Node, yaml.Node]], first_line: dict[str, int]
) -> str | None:
    if "id" not in entries:
        return None
    node = entries["id"][1]
    if not isinstance(node, yaml.ScalarNode) or node.tag != _STR:
        reader.error(node, "id", "expected a string", got=node)
        return None
    if not PHASE_ID.fullmatch(node.value):
        reader.error(node, "id", f"invalid phase id {node.value!r} ({ID_HELP})")
        return None
    refused = check_name(node.value)  # phase ids show on the console and in the audit log (RS-2)
    if refused is not None:
        reader.error(node, "id", f"phase id {node.value!r} {_refusal(refused)}")
        return None
    line = line_of(node)
    if node.value in first_line:
        reader.error(
            node, "id", f"duplicate phase id {node.value!r} (first at line {first_line[node.value]})"
        )
        return None
    first_line[node.value] = line
    return str(node.value)


def _rules(
    reader: _Reader, entries: dict[str, tuple[yaml.Node, yaml.Node]]
) -> tuple[Path, tuple[RuleSet, str] | None] | None:
    if "rules" not in entries:
        return None
    node = entries["rules"][1]
    if not isinstance(node, yaml.ScalarNode) or node.tag != _STR or not node.value.strip():
        reader.error(node, "rules", "expected the name of a rules file", got=node)
        return None
    path = (reader.base / node.value).resolve()
    if not path.is_file():
        reader.error(node, "rules", f"no such file {node.value!r} (looked for {path})")
        return None
    return reader.rules(path)


def _starts(
    reader: _Reader, entries: dict[str, tuple[yaml.Node, yaml.Node]]
) -> tuple[float | None, str | None]:
    if "starts" not in entries:
        return None, None
    node = entries["starts"][1]
    text = node.value if isinstance(node, yaml.ScalarNode) else None
    when = parse_time(text)
    if when is None:
        reader.error(node, "starts", f"expected {TIME_HELP}", got=node)
        return None, None
    return when, text


def _value(node: yaml.Node, key: str) -> yaml.Node:
    """The value node of `key` in a mapping node (the node itself if absent)."""
    found = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key]
    return found[0] if found else node
