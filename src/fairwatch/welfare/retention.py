"""The short retention classes (RS-5): closed welfare cases (the shortest, `welfare_retention_hours` after
closing) and scene photos (`photo_retention_hours` after upload). One `short-retention-purged` audit record per
purge, in the same transaction as the deletions; photo files are removed after the commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from fairwatch.model import AuditEntry
from fairwatch.settings import Settings
from fairwatch.store import Photo, PhotoReads, ShortRetentionTxn, WelfareReads

HOUR = 3600.0
PURGE_EVERY = HOUR  # the server purges the short classes hourly (the long ones daily)
LAST_PURGE_KEY = "retention.short.last_purge"


@dataclass(frozen=True, slots=True)
class ShortCutoffs:
    """Delete welfare cases closed before `cases_before` and photos uploaded before `photos_before`."""

    now: float
    case_hours: int
    photo_hours: int
    cases_before: float
    photos_before: float

    @classmethod
    def at(cls, settings: Settings, now: float) -> ShortCutoffs:
        cases, photos = settings.welfare_retention_hours, settings.photo_retention_hours
        return cls(now, cases, photos, now - cases * HOUR, now - photos * HOUR)


@dataclass(frozen=True, slots=True)
class ShortPurgeReport:
    """What a purge deleted (or, dry, would delete); `photos` are the purged rows whose files go next."""

    cutoffs: ShortCutoffs
    cases: int
    photo_count: int
    photos: tuple[Photo, ...] = ()

    def details(self) -> dict[str, Any]:
        c = self.cutoffs
        return {
            "welfare_cases": self.cases, "cases_before": c.cases_before, "welfare_retention_hours": c.case_hours,
            "photos": self.photo_count, "photos_before": c.photos_before, "photo_retention_hours": c.photo_hours,
        }  # fmt: skip


def purge(txn: ShortRetentionTxn, cutoffs: ShortCutoffs, actor: str = "system") -> ShortPurgeReport:
    """Delete closed welfare cases and photo rows past their retention, audited in the same transaction."""
    cases = txn.delete_closed_welfare_cases_before(cutoffs.cases_before)
    photos = tuple(txn.delete_photos_before(cutoffs.photos_before))
    report = ShortPurgeReport(cutoffs, cases, len(photos), photos)
    txn.append_audit(AuditEntry(cutoffs.now, actor, "short-retention-purged", "retention", report.details()))
    txn.set_kv(LAST_PURGE_KEY, repr(cutoffs.now))
    return report


class ShortRetentionReads(WelfareReads, PhotoReads, Protocol):
    """What a dry run counts."""


def dry_run(store: ShortRetentionReads, cutoffs: ShortCutoffs) -> ShortPurgeReport:
    """What `purge` would delete now, deleting and auditing nothing."""
    cases = store.count_closed_welfare_cases_before(cutoffs.cases_before)
    return ShortPurgeReport(cutoffs, cases, store.count_photos_before(cutoffs.photos_before))


def purge_due(last: float | None, now: float) -> bool:
    """Hourly: due when there never was a purge or the last is an hour old (or the clock went back)."""
    return last is None or not 0 <= now - last < PURGE_EVERY


def describe(report: ShortPurgeReport, dry: bool = False) -> str:
    c = report.cutoffs
    verb = "would purge" if dry else "purged"
    return (
        f"{verb} {report.cases} closed welfare cases older than {c.case_hours} hours and "
        f"{report.photo_count} photos older than {c.photo_hours} hours"
    )
