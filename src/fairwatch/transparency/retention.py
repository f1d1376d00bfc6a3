"""Retention (RS-5): raw events and resolved alarms older than their retention are deleted, never audit records.

Every purge writes one `events-purged` audit record with the cut-offs and counts, so the purge is itself
accountable and the hash chain stays whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fairwatch.model import AuditEntry
from fairwatch.settings import Settings
from fairwatch.store import RetentionTxn, StateReads, TransparencyReads

DAY = 86_400.0
PURGE_EVERY = DAY
LAST_PURGE_KEY = "retention.last_purge"


@dataclass(frozen=True, slots=True)
class Cutoffs:
    """Delete events with `time` before `events_before` and resolved alarms last updated before `alarms_before`."""

    now: float
    event_days: int
    alarm_days: int
    events_before: float
    alarms_before: float

    @classmethod
    def at(cls, settings: Settings, now: float) -> Cutoffs:
        """The cut-offs the settings' retention gives at `now`."""
        event_days, alarm_days = settings.event_retention_days, settings.alarm_retention_days
        return cls(now, event_days, alarm_days, now - event_days * DAY, now - alarm_days * DAY)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What a purge deleted (or, for a dry run, would delete)."""

    cutoffs: Cutoffs
    events: int
    alarms: int

    def details(self) -> dict[str, Any]:
        """The `events-purged` audit record's details."""
        c = self.cutoffs
        return {
            "events": self.events,
            "events_before": c.events_before,
            "event_retention_days": c.event_days,
            "resolved_alarms": self.alarms,
            "alarms_before": c.alarms_before,
            "alarm_retention_days": c.alarm_days,
        }


def purge(txn: RetentionTxn, cutoffs: Cutoffs, actor: str = "system") -> PurgeReport:
    """Delete what retention allows no longer to keep, and audit it in the same transaction."""
    report = PurgeReport(
        cutoffs,
        txn.delete_events_before(cutoffs.events_before),
        txn.delete_resolved_alarms_before(cutoffs.alarms_before),
    )
    txn.append_audit(AuditEntry(cutoffs.now, actor, "events-purged", "retention", report.details()))
    txn.set_kv(LAST_PURGE_KEY, repr(cutoffs.now))
    return report


def dry_run(store: TransparencyReads, cutoffs: Cutoffs) -> PurgeReport:
    """What `purge` would delete now, without deleting or auditing anything."""
    events = store.count_events_before(cutoffs.events_before)
    return PurgeReport(cutoffs, events, store.count_resolved_alarms_before(cutoffs.alarms_before))


def purge_due(last: float | None, now: float) -> bool:
    """Daily: due when there never was a purge or the last one is a day old (or the clock went back)."""
    return last is None or not 0 <= now - last < PURGE_EVERY


def last_purge(store: StateReads) -> float | None:
    """When the last purge ran, from the store."""
    raw = store.get_kv(LAST_PURGE_KEY)
    try:
        return float(raw) if raw is not None else None
    except ValueError:  # a damaged value must not stop purging
        return None


def describe(report: PurgeReport, dry: bool = False) -> str:
    """One line for the CLI and the log."""
    c = report.cutoffs
    verb = "would purge" if dry else "purged"
    return (
        f"{verb} {report.events} events older than {c.event_days} days and "
        f"{report.alarms} resolved alarms older than {c.alarm_days} days"
    )
