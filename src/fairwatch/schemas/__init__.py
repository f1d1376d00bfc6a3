"""Closed event schemas (RIGHTS.md RS-10): the built-in catalogue and the types a site adds."""

from functools import cache
from importlib import resources

from fairwatch.schemas.model import Catalogue, EventSchema, FieldSpec, Kind
from fairwatch.schemas.reader import Guard, load_schemas, parse_schemas, read_section
from fairwatch.schemas.units import DENSITY_UNITS, PEOPLE_UNITS, UNITS

__all__ = [
    "DENSITY_UNITS",
    "PEOPLE_UNITS",
    "UNITS",
    "Catalogue",
    "EventSchema",
    "FieldSpec",
    "Guard",
    "Kind",
    "builtin",
    "load_schemas",
    "parse_schemas",
    "read_section",
]


@cache
def builtin() -> Catalogue:
    """The built-in catalogue (`builtin.yaml`): the usual devices of an event venue and field reports."""
    text = resources.files(__package__).joinpath("builtin.yaml").read_text(encoding="utf-8")
    return Catalogue(parse_schemas(text, "fairwatch/schemas/builtin.yaml", {}, None))
