"""Entry points that turn a rule file into a compiled RuleSet."""

from __future__ import annotations

from os import PathLike

from fairwatch.rules.config import KnownType, read_rules
from fairwatch.rules.model import RuleSet, compile_rules
from fairwatch.schemas import Catalogue
from fairwatch.site import Site
from fairwatch.yamlfile import read_text


def parse_rules(
    text: str,
    filename: str = "rules.yaml",
    known_type: KnownType | None = None,
    site: Site | None = None,
    schemas: Catalogue | None = None,
) -> RuleSet:
    """Check and compile rule-file text; raise ConfigError listing every problem (names use `filename`).

    `site` resolves the zones the rules name (geofences, capacities, areas) and rejects unknown ones; `schemas`
    limits the rules to declared event types and measurements (RS-11).
    """
    return compile_rules(read_rules(text, filename, known_type, site, schemas), filename, site)


def load_rules(
    path: str | PathLike[str],
    known_type: KnownType | None = None,
    site: Site | None = None,
    schemas: Catalogue | None = None,
) -> RuleSet:
    """Read, check and compile a rule file; an unreadable file is a ConfigError too."""
    return parse_rules(read_text(path, "rule"), str(path), known_type, site, schemas)
