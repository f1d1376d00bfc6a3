"""The rights guard (RIGHTS.md): the protected-ground text check, the name check, the person-data ban and
the closed hazard classes. Pure: it reads only its own packaged lexicon data, once, at import, and jieba's
packaged dictionary on the first Chinese text.
"""

from __future__ import annotations

from fairwatch.policy.grounds import (
    GROUND_REASONS,
    HAZARD_CLASS_ORDER,
    HAZARD_CLASSES,
    POLICY_VERSION,
    Ground,
    Violation,
)
from fairwatch.policy.lexicon import LANGUAGES, lexicon_sha256
from fairwatch.policy.matcher import check_text, explain
from fairwatch.policy.names import NameProblem, check_name
from fairwatch.policy.normalize import fold
from fairwatch.policy.person import check_event

__all__ = [
    "GROUND_REASONS",
    "HAZARD_CLASSES",
    "HAZARD_CLASS_ORDER",
    "LANGUAGES",
    "POLICY_VERSION",
    "Ground",
    "NameProblem",
    "Violation",
    "check_event",
    "check_name",
    "check_text",
    "explain",
    "fold",
    "lexicon_sha256",
]
