"""The running welfare extension: the desk, the escalation timer, the photo directory and the hourly purge of
the short retention classes; built once by the app, used by api/welfare.py and console/welfare.py."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from fairwatch.alarms import AlarmService
from fairwatch.clock import Clock
from fairwatch.settings import Settings
from fairwatch.store import StateReads, Txn, WelfareCase, WelfareReads
from fairwatch.welfare import escalation, retention
from fairwatch.welfare.cases import WelfareDesk
from fairwatch.welfare.photos import PhotoFiles
from fairwatch.welfare.timer import EscalationTimer

log = logging.getLogger(__name__)
T = TypeVar("T")


class Writer(Protocol):
    """The single writer (writer.Pipeline), as far as welfare uses it."""

    async def call(self, fn: Callable[[Txn, float], T]) -> T: ...


class WelfareStore(WelfareReads, StateReads, Protocol):
    """What the extension reads: cases (the timer) and the last purge time."""


class Welfare:
    """Welfare cases and scene photos of one deployment."""

    def __init__(self, desk: WelfareDesk, store: WelfareStore, settings: Settings, clock: Clock) -> None:
        self.desk = desk
        self.timer = EscalationTimer(desk, store)
        self.files = PhotoFiles(settings.data / "photos")
        self.settings = settings
        self.clock = clock
        self._last_purge = _float(store.get_kv(retention.LAST_PURGE_KEY))

    @classmethod
    def build(
        cls,
        store: WelfareStore,
        settings: Settings,
        clock: Clock,
        site: str,
        zones: frozenset[str] | None,
        delay: float | None = None,
    ) -> Welfare:
        """`delay`: seconds before an open case escalates (the operations section's); default the setting's."""
        delay = settings.welfare_escalation_minutes * 60.0 if delay is None else delay
        desk = WelfareDesk(site, zones, delay)
        return cls(desk, store, settings, clock)

    def found(
        self, txn: Txn, alarms: AlarmService, actor: str, case_id: int, doc: Any, now: float
    ) -> WelfareCase:
        """Close the case (`WelfareDesk.found`) and, if it had escalated, clear its alarm in the same transaction:
        the police liaison's receivers hear that the person is found."""
        case = self.desk.found(txn, actor, case_id, doc, now)
        if case.escalated_at is not None:
            alarms.apply_decisions(txn, [(escalation.stand_down(case, now), None)], now)
        return case

    async def maybe_purge(self, writer: Writer) -> retention.ShortPurgeReport | None:
        """Purge the short retention classes when an hour has passed since the last purge."""
        if not retention.purge_due(self._last_purge, self.clock.now()):
            return None
        return await self.purge(writer, "system")

    async def purge(self, writer: Writer, actor: str) -> retention.ShortPurgeReport:
        """Purge now: rows in one audited transaction, then the purged photos' files."""
        settings = self.settings
        report = await writer.call(
            lambda txn, now: retention.purge(txn, retention.ShortCutoffs.at(settings, now), actor)
        )
        self._last_purge = report.cutoffs.now
        self.files.remove(report.photos)
        if report.cases or report.photo_count:
            log.info(retention.describe(report))
        return report


def _float(raw: str | None) -> float | None:
    try:
        return float(raw) if raw is not None else None
    except ValueError:  # a damaged value must not stop purging
        return None
