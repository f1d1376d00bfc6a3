"""The incident tables through the store contract: the same from memory, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fairwatch.errors import Duplicate, StaleWrite
from fairwatch.store import Incident, IncidentQuery, LogEntry, Store, Task

T0 = 1_780_000_000.0


def incident(number: str = "2026-0001", **kw: object) -> Incident:
    base = Incident(number, "riverside", "Crush risk at gate B", "crowd_safety.crush_risk", "high", 2, "open",
                    T0, T0 + 5, "ana", T0 + 5, T0 + 5, zone="gate-b", location={"x": 1.0, "y": 2.0},
                    agencies=("police", "ambulance"))  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def test_incidents_round_trip_number_per_site_and_compare_and_set(store: Store) -> None:
    with store.transaction() as txn:
        assert txn.next_incident_number("riverside", "2026-") == 1
        first = txn.insert_incident(incident())
        assert txn.next_incident_number("riverside", "2026-") == 2
        assert txn.next_incident_number("harbour", "2026-") == 1
        second = txn.insert_incident(incident("2026-0002", zone="stage", exercise=True))
    assert store.get_incident(first) == incident(id=first)
    assert [i.id for i in store.list_incidents(IncidentQuery())] == [second, first]
    assert [i.id for i in store.list_incidents(IncidentQuery(zones=("stage",)))] == [second]
    assert [i.id for i in store.list_incidents(IncidentQuery(before_id=second))] == [first]
    assert store.list_incidents(IncidentQuery(since=T0 + 1)) == []
    with pytest.raises(Duplicate), store.transaction() as txn:
        txn.insert_incident(incident())
    with store.transaction() as txn:
        txn.update_incident(replace(incident(id=first), state="on_hold", version=2), 1)
    with pytest.raises(StaleWrite), store.transaction() as txn:
        txn.update_incident(replace(incident(id=first), state="closed", version=2), 1)
    stored = store.get_incident(first)
    assert stored is not None and (stored.state, stored.version) == ("on_hold", 2)


def test_an_alarm_belongs_to_one_incident(store: Store) -> None:
    with store.transaction() as txn:
        one = txn.insert_incident(incident())
        two = txn.insert_incident(incident("2026-0002"))
        txn.link_alarm(one, 7, T0)
        txn.link_alarm(one, 3, T0 + 1)
        assert txn.incidents_of_alarms([3, 7, 9]) == {3: one, 7: one}
    with pytest.raises(Duplicate), store.transaction() as txn:
        txn.link_alarm(two, 7, T0 + 2)
    assert store.incident_alarm_ids(one) == [7, 3]
    assert store.incident_number_for_alarm(7) == "2026-0001"
    with store.transaction() as txn:
        assert txn.unlink_alarm(7) is True
        assert txn.unlink_alarm(7) is False
        txn.link_alarm(two, 7, T0 + 3)
    assert store.incident_alarm_ids(one) == [3]
    assert store.incident_alarm_ids(two) == [7]


def test_the_log_reads_in_either_order_and_tasks_update(store: Store) -> None:
    methane = {"major_incident": "standby", "exact_location": "gate B"}
    with store.transaction() as txn:
        inc = txn.insert_incident(incident())
        late = txn.insert_log_entry(
            LogEntry(inc, "radio", "late one", "ana", T0 - 600, T0 + 20, late_reason="radio traffic")
        )
        early = txn.insert_log_entry(
            LogEntry(inc, "methane", "M/ETHANE", "ben", T0 + 10, T0 + 10, methane=methane)
        )
        site_wide = txn.insert_log_entry(LogEntry(None, "note", "shift start", "ana", T0, T0))
        task = txn.insert_task(
            Task(inc, "Hold inflow at the gates", "todo", T0, T0, card="crowd_safety.crush_risk")
        )
        got = txn.get_log_entry(early)
        assert got is not None and got.methane == methane
    assert [e.id for e in store.incident_log(inc, "entered")] == [early, late]
    assert [e.id for e in store.incident_log(inc, "occurred")] == [late, early]
    assert [e.id for e in store.incident_log(None)] == [site_wide]
    with store.transaction() as txn:
        stored = txn.get_task(task)
        assert stored is not None
        txn.update_task(replace(stored, state="skipped", reason="gates closed", updated=T0 + 30))
    assert [(t.state, t.reason) for t in store.incident_tasks(inc)] == [("skipped", "gates closed")]


def test_a_failed_transaction_leaves_no_incident(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as txn:
        inc = txn.insert_incident(incident())
        txn.link_alarm(inc, 1, T0)
        txn.insert_log_entry(LogEntry(inc, "note", "x", "ana", T0, T0))
        raise RuntimeError("boom")
    assert store.list_incidents(IncidentQuery()) == []
    assert store.incident_number_for_alarm(1) is None
