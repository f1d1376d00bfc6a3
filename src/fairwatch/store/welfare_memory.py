"""Welfare cases and scene photos in memory: mixed into `MemoryStore`/`MemoryTxn`."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from fairwatch.errors import StaleWrite
from fairwatch.store.welfare_rows import Photo, WelfareCase

if TYPE_CHECKING:
    from fairwatch.store.memory_txn import Journal, MemoryDatabase

OPEN, CLOSED = "open", "closed"


class WelfareMemoryReads:
    """The `WelfareReads` and `PhotoReads` parts of `MemoryStore`."""

    database: MemoryDatabase

    def list_welfare_cases(self, states: tuple[str, ...] = (), limit: int = 200) -> list[WelfareCase]:
        found = [
            c for c in reversed(list(self.database.welfare_cases.values())) if not states or c.state in states
        ]
        return found[:limit]

    def get_welfare_case(self, case_id: int) -> WelfareCase | None:
        return self.database.welfare_cases.get(case_id)

    def next_welfare_escalation(self) -> float | None:
        due = [c.escalate_at for c in list(self.database.welfare_cases.values()) if _waiting(c)]
        return min(due, default=None)

    def count_closed_welfare_cases_before(self, when: float) -> int:
        return sum(1 for c in list(self.database.welfare_cases.values()) if _closed_before(c, when))

    def incident_photos(self, incident_id: int) -> list[Photo]:
        return [p for p in list(self.database.incident_photos.values()) if p.incident_id == incident_id]

    def get_photo(self, photo_id: int) -> Photo | None:
        return self.database.incident_photos.get(photo_id)

    def count_photos_before(self, when: float) -> int:
        return sum(1 for p in list(self.database.incident_photos.values()) if p.uploaded_at < when)


class WelfareMemoryTxn:
    """The `WelfareTxn` and `PhotoTxn` parts of `MemoryTxn`."""

    db: MemoryDatabase
    journal: Journal

    def insert_welfare_case(self, case: WelfareCase) -> int:
        case_id = self.db.next_id("welfare_cases")
        self.journal.put(self.db.welfare_cases, case_id, replace(case, id=case_id))
        return case_id

    def update_welfare_case(self, case: WelfareCase, expected_version: int) -> None:
        stored = self.db.welfare_cases.get(case.id)
        if stored is None or stored.version != expected_version:
            found = None if stored is None else stored.version
            raise StaleWrite(f"welfare case {case.id}", expected_version, found)
        self.journal.put(self.db.welfare_cases, case.id, case)

    def get_welfare_case(self, case_id: int) -> WelfareCase | None:
        return self.db.welfare_cases.get(case_id)

    def due_welfare_cases(self, now: float) -> list[WelfareCase]:
        due = [c for c in self.db.welfare_cases.values() if _waiting(c) and c.escalate_at <= now]
        return sorted(due, key=lambda c: (c.escalate_at, c.id))

    def delete_closed_welfare_cases_before(self, when: float) -> int:
        old = [i for i, c in self.db.welfare_cases.items() if _closed_before(c, when)]
        for case_id in old:
            self.journal.pop(self.db.welfare_cases, case_id)
        return len(old)

    def insert_photo(self, photo: Photo) -> int:
        photo_id = self.db.next_id("incident_photos")
        self.journal.put(self.db.incident_photos, photo_id, replace(photo, id=photo_id))
        return photo_id

    def delete_photos_before(self, when: float) -> list[Photo]:
        old = [p for p in self.db.incident_photos.values() if p.uploaded_at < when]
        for photo in old:
            self.journal.pop(self.db.incident_photos, photo.id)
        return old


def _waiting(c: WelfareCase) -> bool:
    return c.state == OPEN and c.escalated_at is None


def _closed_before(c: WelfareCase, when: float) -> bool:
    return c.state == CLOSED and c.closed_at is not None and c.closed_at < when
