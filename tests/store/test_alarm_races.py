"""Optimistic concurrency end to end: two alarm writers on one database never overwrite each other's changes."""

from __future__ import annotations

import pytest

from fairwatch.alarms import AlarmService
from fairwatch.alarms.lifecycle import Action
from fairwatch.api.errors import error_body
from fairwatch.errors import StaleWrite
from fairwatch.model import AlarmState, Decision, DecisionKind, Reason, Severity
from tests.store.conftest import Opener


def hot(time: float) -> tuple[Decision, str | None]:
    decision = Decision(
        DecisionKind.RAISE,
        Reason.THRESHOLD,
        "hot",
        "fire.high_temperature",
        Severity.HIGH,
        "hot|zone=a",
        {"zone": "a"},
        time,
        zone="a",
    )
    return decision, "sensor-1"


def test_a_writer_with_a_stale_copy_is_refused_and_then_starts_from_the_stored_alarm(
    open_store: Opener,
) -> None:
    store_a, store_b = open_store(), open_store()  # two processes on one database
    a = AlarmService(store_a)
    with store_a.transaction() as txn:
        a.apply_decisions(txn, [hot(1.0)], 1.0)
    a.commit_staged()
    b = AlarmService(store_b)  # holds the open alarm at version 1
    with store_a.transaction() as txn:
        acked = a.act(txn, 1, Action.ACK, "ana", {}, 2.0)
    a.commit_staged()
    assert acked.version == 2

    with pytest.raises(StaleWrite) as refused, store_b.transaction() as txn:
        b.apply_decisions(txn, [hot(3.0)], 3.0)  # a repeat, written from b's copy at version 1
    b.discard_staged()
    assert (refused.value.expected, refused.value.found) == (1, 2)
    stored = store_b.get_alarm(1)
    assert stored is not None and (stored.state, stored.count) == (AlarmState.ACKNOWLEDGED, 1)

    with store_b.transaction() as txn:  # the retry starts from the stored row and keeps the acknowledgement
        b.apply_decisions(txn, [hot(3.0)], 3.0)
    b.commit_staged()
    stored = store_b.get_alarm(1)
    assert stored is not None and (stored.state, stored.count, stored.version) == (
        AlarmState.ACKNOWLEDGED,
        2,
        3,
    )


def test_a_refused_write_is_a_409_naming_the_alarm_and_both_versions() -> None:
    status, body, _headers = error_body(StaleWrite("alarm 7", 3, 5))
    assert status == 409
    assert body == {
        "error": "stale_write",
        "message": "alarm 7 was changed by another writer after it was read at version 3 (it is now at version 5);"
        " nothing was written: reload it and try again",
        "object": "alarm 7",
        "expected_version": 3,
        "found_version": 5,
    }
