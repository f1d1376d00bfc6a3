"""Free-text search, time range, shelves and kiosks: the same answers from memory, SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from fairwatch.model import AlarmState, AuditEntry
from fairwatch.store import AlarmQuery, Kiosk, Shelf, Store, TextSearch
from tests.store.conftest import alarm


def _setup(store: Store) -> dict[str, int]:
    """Four alarms with distinct fields; narrative in comment, resolve note and reopen records."""
    ids: dict[str, int] = {}
    with store.transaction() as txn:
        ids["smoke"] = txn.insert_alarm(
            alarm("k1", type="fire.suspected", zone="food-court", first=100.0, sources=["smoke-7"])
        )
        ids["crush"] = txn.insert_alarm(
            alarm(
                "k2",
                type="crowd_safety.crush_risk",
                zone="main-stage",
                first=200.0,
                explanation="density 5.1",
            )
        )
        ids["panic"] = txn.insert_alarm(
            alarm("k3", type="violence.panic_alarm", zone="gate-3", first=300.0, state=AlarmState.RESOLVED)
        )
        ids["fault"] = txn.insert_alarm(
            alarm("k4", type="technical.sensor_fault", zone="car-park", first=400.0)
        )
        txn.append_audit(
            AuditEntry(
                1.0, "olga", "alarm-commented", f"alarm:{ids['smoke']}", {"text": "Steward found a Barbecue"}
            )
        )
        txn.append_audit(
            AuditEntry(
                2.0,
                "olga",
                "alarm-resolved",
                f"alarm:{ids['panic']}",
                {"disposition": "handled", "note": "pressed by a child"},
            )
        )
        # Not narrative: an assignment names a person, a raise record names the rule; neither is searched.
        txn.append_audit(
            AuditEntry(3.0, "olga", "alarm-assigned", f"alarm:{ids['crush']}", {"to": "barbecue"})
        )
    return ids


def _found(store: Store, *words: str, **query: object) -> set[int]:
    search = TextSearch(tuple(words)) if words else None
    return {a.id for a in store.list_alarms(AlarmQuery(search=search, **query))}  # type: ignore[arg-type]


CASES = [
    ("comment-word-any-case", ("barbecue",), {"smoke"}),
    ("resolve-note", ("child",), {"panic"}),
    ("type-part", ("crush",), {"crush"}),
    ("zone", ("gate-3",), {"panic"}),
    ("source", ("smoke-7",), {"smoke"}),
    ("explanation", ("5.1",), {"crush"}),
    ("every-word-must-match", ("barbecue", "food"), {"smoke"}),
    ("one-word-missing", ("barbecue", "main-stage"), set()),
    ("underscore-in-a-type", ("crush_risk",), {"crush"}),
    ("underscore-is-not-a-wildcard", ("car_park",), set()),
    ("percent-is-not-a-wildcard", ("car%park",), set()),
    ("json-keys-are-not-text", ("disposition",), set()),
    ("assignment-is-not-narrative", ("barbecue", "crush"), set()),
]


@pytest.mark.parametrize(("words", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_every_word_is_found_in_some_field(store: Store, words: tuple[str, ...], expected: set[str]) -> None:
    ids = _setup(store)
    assert _found(store, *words) == {ids[n] for n in expected}


def test_types_and_zones_found_by_name_count_for_their_word(store: Store) -> None:
    ids = _setup(store)
    # The API found "brandverdacht" in fire.suspected's German name, and "court" in a zone's display name.
    search = TextSearch(("brandverdacht",), (frozenset({"fire.suspected"}),))
    assert {a.id for a in store.list_alarms(AlarmQuery(search=search))} == {ids["smoke"]}
    search = TextSearch(
        ("arena", "density"), (frozenset(), frozenset()), (frozenset({"main-stage"}), frozenset())
    )
    assert {a.id for a in store.list_alarms(AlarmQuery(search=search))} == {ids["crush"]}


def test_time_range_and_state_narrow_the_search(store: Store) -> None:
    ids = _setup(store)
    assert _found(store, until=250.0) == {ids["smoke"], ids["crush"]}
    assert _found(store, since=250.0, until=350.0) == {ids["panic"]}
    assert _found(store, "child", states=("resolved",)) == {ids["panic"]}
    assert _found(store, "child", states=("open",)) == set()


def test_search_pages_with_the_cursor(store: Store) -> None:
    with store.transaction() as txn:
        made = [txn.insert_alarm(alarm(f"k{i}", first=float(i), zone="food-court")) for i in range(5)]
    first = store.list_alarms(AlarmQuery(search=TextSearch(("food",)), limit=3))
    last = first[-1]
    after = (last.severity.rank, -last.first_seen, last.id)
    rest = store.list_alarms(AlarmQuery(search=TextSearch(("food",)), limit=3, after=after))
    assert [a.id for a in first + rest] == sorted(made, reverse=True)


def test_shelves_are_put_replaced_read_and_deleted(store: Store) -> None:
    with store.transaction() as txn:
        one, two = txn.insert_alarm(alarm("k1")), txn.insert_alarm(alarm("k2"))
        txn.put_shelf(Shelf(one, 10.0, 70.0, "olga", "steward on site"))
        txn.put_shelf(Shelf(one, 20.0, 80.0, "sam", "longer"))
        txn.put_shelf(Shelf(two, 30.0, 90.0, "olga", "known fault"))
    assert store.shelves([one]) == {one: Shelf(one, 20.0, 80.0, "sam", "longer")}
    assert set(store.shelves()) == {one, two}
    with store.transaction() as txn:
        assert txn.delete_shelf(two) is True
        assert txn.delete_shelf(two) is False
    assert store.shelves() == {one: Shelf(one, 20.0, 80.0, "sam", "longer")}


def test_a_rolled_back_shelf_is_gone(store: Store) -> None:
    with store.transaction() as txn:
        one = txn.insert_alarm(alarm("k1"))
    with pytest.raises(RuntimeError), store.transaction() as txn:
        txn.put_shelf(Shelf(one, 10.0, 70.0, "olga", "x"))
        raise RuntimeError("boom")
    assert store.shelves() == {}


def test_kiosks_are_claimed_once_and_revoked(store: Store) -> None:
    with store.transaction() as txn:
        txn.put_kiosk(Kiosk("lobby", 10.0, "ada", 1000.0, "link-1", 100.0))
        txn.put_kiosk(Kiosk("gate", 10.0, "ada", 1000.0, "link-2", 100.0))
    with store.transaction() as txn:
        assert txn.claim_kiosk("link-1", "session-1", 99.0) == Kiosk(
            "lobby", 10.0, "ada", 1000.0, None, 100.0, "session-1"
        )
        assert txn.claim_kiosk("link-1", "session-x", 99.0) is None  # once
        assert txn.claim_kiosk("link-2", "session-2", 100.0) is None  # the link expired
    assert store.kiosk_by_session("session-1") == Kiosk(
        "lobby", 10.0, "ada", 1000.0, None, 100.0, "session-1"
    )
    assert [k.name for k in store.list_kiosks()] == ["gate", "lobby"]
    with store.transaction() as txn:
        assert txn.revoke_kiosk("lobby", 200.0) is not None
        assert txn.revoke_kiosk("lobby", 201.0) is None  # not live any more
        assert txn.revoke_kiosk("nobody", 201.0) is None
    revoked = store.kiosk_by_session("session-1")
    assert revoked is not None and revoked.revoked == 200.0
