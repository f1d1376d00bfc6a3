"""Incidents and the control log: the incident record (alarms merged into it, lifecycle, M/ETHANE), the
append-only log, action-card tasks and the NENA EIDO export. Everything is written through the single writer
with its audit record in the same transaction (docs/incidents.md)."""

from fairwatch.incidents.cards import Cards, load_cards, parse_cards
from fairwatch.incidents.lifecycle import Action, Reason, allowed_actions, transition
from fairwatch.incidents.model import (
    Disposition,
    IncidentState,
    LogKind,
    MajorIncident,
    TaskState,
)
from fairwatch.incidents.service import IncidentDesk

__all__ = [
    "Action",
    "Cards",
    "Disposition",
    "IncidentDesk",
    "IncidentState",
    "LogKind",
    "MajorIncident",
    "Reason",
    "TaskState",
    "allowed_actions",
    "load_cards",
    "parse_cards",
    "transition",
]
