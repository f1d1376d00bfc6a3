"""Field teams: units and their statuses (a pure state machine), dispatch to incidents and alarms, one-time
sign-in links for phones, check-in and status timers that raise alarms, and field reports as `report.*` events
(docs/field.md). Writes run through the single writer with their audit records."""

from fairwatch.field.invites import InviteState, code_hash, invite_state, link
from fairwatch.field.model import Refusal, UnitKind, UnitStatus, status_refusal
from fairwatch.field.reports import report_event
from fairwatch.field.serialize import unit_json
from fairwatch.field.service import HELP_NOW, FieldDesk, unit_name
from fairwatch.field.timers import MISSED_CHECK_IN, STATUS_OVERDUE, Fire, Timers

__all__ = [
    "HELP_NOW",
    "MISSED_CHECK_IN",
    "STATUS_OVERDUE",
    "FieldDesk",
    "Fire",
    "InviteState",
    "Refusal",
    "Timers",
    "UnitKind",
    "UnitStatus",
    "code_hash",
    "invite_state",
    "link",
    "report_event",
    "status_refusal",
    "unit_json",
    "unit_name",
]
