"""The two corpora (corpus/forbidden.yaml, corpus/allowed.yaml) as plain records for the tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

CORPUS = Path(__file__).with_name("corpus")


@dataclass(frozen=True)
class Forbidden:
    lang: str
    ground: str
    form: str
    text: str


@dataclass(frozen=True)
class Allowed:
    lang: str
    text: str


def forbidden() -> list[Forbidden]:
    """Every definition the guard must reject."""
    data = yaml.safe_load((CORPUS / "forbidden.yaml").read_text(encoding="utf-8"))
    return [Forbidden(**entry) for entry in data["forbidden"]]


def allowed() -> list[Allowed]:
    """Every safety text the guard must let through."""
    data = yaml.safe_load((CORPUS / "allowed.yaml").read_text(encoding="utf-8"))
    return [Allowed(**entry) for entry in data["allowed"]]
