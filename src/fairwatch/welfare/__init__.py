"""Welfare: lost and found persons' cases (described by closed bands and narrative only, visible to welfare
staff, supervisors and admins, escalated to the police liaison by the writer's tick, purged on the shortest
retention class) and scene photos of incidents (checked by content, EXIF stripped, own retention class).
docs/welfare.md."""

from fairwatch.welfare.cases import WelfareDesk
from fairwatch.welfare.escalation import Escalation
from fairwatch.welfare.model import ESCALATION_TYPE, AgeBand, CaseKind, CaseState, HeightBand
from fairwatch.welfare.service import Welfare

__all__ = [
    "ESCALATION_TYPE",
    "AgeBand",
    "CaseKind",
    "CaseState",
    "Escalation",
    "HeightBand",
    "Welfare",
    "WelfareDesk",
]
