"""The deployment's configuration files, loaded and checked once: `load(settings) -> Config`.

`serve`, `demo`, `rules check`, `rules test` and `replay` all read their files through here, so every command runs
the same checks, the rights guard's included (RS-2): a site `serve` refuses is refused by `rules check` too.
Config types are not runtime types: the app builds its services from a `Config`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from fairwatch.errors import ConfigError, ConfigRejected, PolicyViolation
from fairwatch.field.checklists import Checklists, load_checklists
from fairwatch.field.operations import Operations, load_operations
from fairwatch.field.operations import read_section as read_operations
from fairwatch.incidents import Cards, load_cards
from fairwatch.notify.config import load_notify
from fairwatch.notify.model import NotifyConfig
from fairwatch.phases.config import load_phases
from fairwatch.phases.plan import RunOfShow
from fairwatch.policy import NameProblem, Violation, check_name, check_text
from fairwatch.rules import RuleSet, load_rules, parse_rules
from fairwatch.schemas import Catalogue, builtin, load_schemas, read_section
from fairwatch.settings import Settings
from fairwatch.site import Site
from fairwatch.site import load_site as _read_site
from fairwatch.taxonomy import Taxonomy
from fairwatch.yamlfile import LineDict, Reader, load_yaml, read_text

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the files of a deployment say, checked: the taxonomy, the site, the rules (or the run of show
    whose phases name them) and the notification routes."""

    taxonomy: Taxonomy
    site: Site | None = None
    rules: RuleSet = field(default_factory=lambda: parse_rules("rules: []\n", "(no rules)"))
    rules_info: dict[str, Any] = field(default_factory=lambda: {"path": None, "rules": 0})
    phases: RunOfShow | None = None
    notify: NotifyConfig | None = None
    cards: Cards = field(default_factory=Cards)
    schemas: Catalogue = field(default_factory=builtin)
    checklists: Checklists = field(default_factory=Checklists)
    operations: Operations = field(default_factory=Operations)  # site section, operations file over it


def load(settings: Settings) -> Config:
    """Load and check every file `settings` names; raises ConfigRejected naming the file and every problem."""
    taxonomy = _step("taxonomy", settings.taxonomy, load_taxonomy) or Taxonomy.builtin()
    site = _step("site", settings.site, load_site)
    schemas = _step("site", settings.site, lambda p: site_schemas(p, builtin())) or builtin()
    schemas = _step("schemas", settings.schemas, lambda p: load_schemas(p, schemas, guard)) or schemas
    rules = _step("rules", settings.rules, lambda p: load_rules(p, taxonomy.is_active, site, schemas))
    info: dict[str, Any] = {"path": None, "rules": 0}
    if rules is None:
        rules = parse_rules("rules: []\n", "(no rules)", site=site, schemas=schemas)
    elif settings.rules is not None:
        digest = hashlib.sha256(settings.rules.read_bytes()).hexdigest()
        info = {"path": str(settings.rules), "rules": len(rules.rules), "sha256": digest}
    phases = _step("phases", settings.phases, lambda p: load_phases(p, taxonomy.is_active, site, schemas))
    notify = _step("notify", settings.notify, load_notify)
    cards = _step("cards", settings.cards, lambda p: load_cards(p, taxonomy.is_active)) or Cards()
    zones = site.zone_ids if site is not None else None
    checklists = (
        _step("checklists", settings.field_checklists, lambda p: load_checklists(p, zones)) or Checklists()
    )
    operations = _step("site", settings.site, site_operations) or Operations()
    from_file = _step("operations", settings.operations, load_operations)
    operations = from_file.over(operations) if from_file is not None else operations
    return Config(taxonomy, site, rules, info, phases, notify, cards, schemas, checklists, operations)


def guard(text: str) -> str | None:
    """The rights guard for schema names, units and enum values: None, or the ground, term and reason."""
    refused = check_text(text)
    return None if refused is None else f"{refused.ground.value}: {refused.term!r} ({refused.reason})"


def site_schemas(path: Path, base: Catalogue) -> Catalogue:
    """`base` extended by the `schemas:` section of a site file (RS-10), each name passing the guard."""
    doc = load_yaml(read_text(path, "site"), str(path))
    if not isinstance(doc, LineDict) or "schemas" not in doc:
        return base
    reader = Reader(str(path))
    added = read_section(reader, doc["schemas"], doc.lines["schemas"], base, guard)
    reader.raise_if_any()
    return base.extended(added)


def site_operations(path: Path) -> Operations:
    """The `operations:` section of a site file (field and welfare timers), or nothing said."""
    doc = load_yaml(read_text(path, "site"), str(path))
    if not isinstance(doc, LineDict) or "operations" not in doc:
        return Operations()
    reader = Reader(str(path))
    found = read_operations(reader, doc["operations"], doc.lines["operations"])
    reader.raise_if_any()
    return found or Operations()


def load_taxonomy(path: Path | None) -> Taxonomy:
    """Site additions to the built-in taxonomy (each passes the rights guard), or the built-in catalogue."""
    if path is None:
        return Taxonomy.builtin()
    try:
        return Taxonomy.from_file(path)
    except PolicyViolation as exc:
        raise ConfigError([f"{path}: {p}" for p in exc.problems]) from exc


def load_site(path: Path) -> Site:
    """A site file whose names (site, zones, devices) pass `check_name`: no bidi controls, invisible characters
    or mixed scripts, and the rights guard; operators, partners and the public CAP feed see them."""
    site = _read_site(path)
    labels = [("site", "id", site.id), ("site", "name", site.name)]
    for zone in site.zones:
        labels += [(f"zone '{zone.id}'", "id", zone.id), (f"zone '{zone.id}'", "name", zone.name)]
    labels += [(f"device '{device.id}'", "id", device.id) for device in site.devices]
    errors = []
    for item, field_name, text in labels:
        refused = check_name(text)
        if refused is not None:
            errors.append(f"{path}: {item}: {field_name}: {refusal(refused)}")
    if errors:
        raise ConfigError(errors)
    return site


def refusal(found: NameProblem | Violation) -> str:
    """`refused by the rights guard: <ground>: '<term>' (<reason>)`, or the name problem's kind and place."""
    if isinstance(found, Violation):
        return f"refused by the rights guard: {found.ground.value}: '{found.term}' ({found.reason})"
    return f"refused by the rights guard: {found.reason}"


def _step(what: str, path: Path | None, loader: Callable[[Path], T]) -> T | None:
    """`loader(path)`, None without a path; its errors become a ConfigRejected naming `what` and `path`."""
    if path is None:
        return None
    try:
        return loader(path)
    except ConfigRejected:
        raise
    except ConfigError as exc:
        raise ConfigRejected(what, path, exc.messages) from exc
    except PolicyViolation as exc:
        raise ConfigRejected(what, path, [f"{path}: {p}" for p in exc.problems]) from exc
