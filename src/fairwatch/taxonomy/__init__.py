"""Alarm types: the built-in catalogue, site additions (strictly parsed and screened by the rights guard) and
the runtime Taxonomy that keeps retired types as tombstones. Hazard classes are the closed list in policy.
"""

from __future__ import annotations

from fairwatch.taxonomy.builtin import builtin_ids
from fairwatch.taxonomy.catalogue import Taxonomy, load_additions
from fairwatch.taxonomy.check import (
    CLOSED_HAZARD_CLASSES,
    Rejection,
    TaxonomyCheck,
    check_taxonomy_file,
    check_taxonomy_text,
    format_rejection,
    screen,
)
from fairwatch.taxonomy.model import CAP_CATEGORIES, STATUSES, AlarmType
from fairwatch.taxonomy.parse import read_entries

__all__ = [
    "CAP_CATEGORIES",
    "CLOSED_HAZARD_CLASSES",
    "STATUSES",
    "AlarmType",
    "Rejection",
    "Taxonomy",
    "TaxonomyCheck",
    "builtin_ids",
    "check_taxonomy_file",
    "check_taxonomy_text",
    "format_rejection",
    "load_additions",
    "read_entries",
    "screen",
]
