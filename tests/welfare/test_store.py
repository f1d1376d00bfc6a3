"""Welfare cases and photo rows through the store contract: the same from memory, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fairwatch.errors import StaleWrite
from fairwatch.store import Photo, Store, WelfareCase

T0 = 1_780_000_000.0


def case(**kw: object) -> WelfareCase:
    base = WelfareCase(
        kind="missing_person", site="riverside", age_band="5_to_8", height_band="unknown",
        last_seen_zone="food-court", last_seen_at=T0, vulnerable=False, state="open", reported_by="ana",
        reported_at=T0, escalate_at=T0 + 1200, clothing="red raincoat", contact="info point",
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def test_cases_round_trip_and_compare_and_set(store: Store) -> None:
    with store.transaction() as txn:
        first = txn.insert_welfare_case(case())
        second = txn.insert_welfare_case(case(vulnerable=True, escalate_at=T0, contact=None))
    assert store.get_welfare_case(first) == case(id=first)
    assert store.get_welfare_case(second) == case(id=second, vulnerable=True, escalate_at=T0, contact=None)
    assert [c.id for c in store.list_welfare_cases()] == [second, first]
    assert store.next_welfare_escalation() == T0
    with store.transaction() as txn:
        txn.update_welfare_case(
            case(id=second, vulnerable=True, escalate_at=T0, escalated_at=T0, version=2), 1
        )
    with pytest.raises(StaleWrite), store.transaction() as txn:
        txn.update_welfare_case(case(id=second, state="closed", version=2), 1)
    assert store.next_welfare_escalation() == T0 + 1200
    assert store.get_welfare_case(999) is None


def test_due_cases_are_open_unescalated_and_due(store: Store) -> None:
    with store.transaction() as txn:
        late = txn.insert_welfare_case(case(escalate_at=T0 + 100))
        early = txn.insert_welfare_case(case(escalate_at=T0 + 50))
        txn.insert_welfare_case(case(escalate_at=T0 + 500))  # not yet
        txn.insert_welfare_case(case(escalate_at=T0, escalated_at=T0))  # escalated
        txn.insert_welfare_case(case(escalate_at=T0, state="closed", closed_at=T0))  # found
    with store.transaction() as txn:
        assert [c.id for c in txn.due_welfare_cases(T0 + 100)] == [early, late]


def test_closed_cases_and_old_photos_are_deleted_and_a_rollback_keeps_them(store: Store) -> None:
    photo = Photo(1, "ab" * 32, 100, "image/jpeg", 4, 3, "ana", T0)
    with store.transaction() as txn:
        gone = txn.insert_welfare_case(case(state="closed", closed_at=T0))
        kept = txn.insert_welfare_case(case(state="closed", closed_at=T0 + 10))
        still_open = txn.insert_welfare_case(case())
        old = txn.insert_photo(photo)
        young = txn.insert_photo(replace(photo, uploaded_at=T0 + 10))
    assert store.count_closed_welfare_cases_before(T0 + 5) == 1
    assert store.count_photos_before(T0 + 5) == 1
    with pytest.raises(RuntimeError), store.transaction() as txn:
        txn.delete_closed_welfare_cases_before(T0 + 5)
        txn.delete_photos_before(T0 + 5)
        raise RuntimeError("rolled back")
    assert store.get_welfare_case(gone) is not None and store.get_photo(old) is not None
    with store.transaction() as txn:
        assert txn.delete_closed_welfare_cases_before(T0 + 5) == 1
        assert txn.delete_photos_before(T0 + 5) == [replace(photo, id=old)]
    assert [c.id for c in store.list_welfare_cases()] == [still_open, kept]
    assert [c.id for c in store.list_welfare_cases(("open",))] == [still_open]
    assert [p.id for p in store.incident_photos(1)] == [young]
    assert store.get_photo(young) == replace(photo, uploaded_at=T0 + 10, id=young)
