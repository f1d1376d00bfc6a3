"""The bundled Riverside Festival demo files (src/fairwatch/sim/demo/): site, plan drawing, rules and action cards."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from fairwatch.site import Site, load_site


def demo_file(name: str) -> Path:
    """Path of a bundled demo file, e.g. 'riverside.site.yaml'."""
    return Path(str(resources.files("fairwatch.sim") / "demo" / name))


def demo_site_path() -> Path:
    """The Riverside Festival site file."""
    return demo_file("riverside.site.yaml")


def demo_rules_path() -> Path:
    """The Riverside Festival rules (in a checkout, a link to examples/rules/riverside.yaml)."""
    return demo_file("riverside.rules.yaml")


def demo_checklists_path() -> Path:
    """The Riverside Festival readiness checklists (docs/field.md#readiness-checks)."""
    return demo_file("riverside.checklists.yaml")


def demo_cards_path() -> Path:
    """The Riverside Festival action cards (docs/incidents.md)."""
    return demo_file("riverside.cards.yaml")


@cache
def demo_site() -> Site:
    """The Riverside Festival site, parsed once."""
    return load_site(demo_site_path())
