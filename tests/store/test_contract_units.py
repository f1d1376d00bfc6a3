"""The field tables through the store contract: the same from memory, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fairwatch.errors import Duplicate, StaleWrite
from fairwatch.store import Device, Invite, Store, Unit

T0 = 1_780_000_000.0


def unit(name: str = "Medic 2", **kw: object) -> Unit:
    base = Unit(
        name, "medic", 2, "available", T0, T0, T0, T0, location={"lat": 51.5, "lon": -0.1}, position_at=T0
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_units_round_trip_unique_names_and_compare_and_set(store: Store) -> None:
    with store.transaction() as txn:
        medic = txn.insert_unit(unit())
        alpha = txn.insert_unit(unit("Alpha", kind="steward", location=None, position_at=None))
        assert txn.unit_by_name("Medic 2") == unit(id=medic)
        assert txn.unit_by_name("nobody") is None
    assert store.get_unit(medic) == unit(id=medic)
    assert [u.name for u in store.list_units()] == ["Alpha", "Medic 2"]  # by name
    with pytest.raises(Duplicate), store.transaction() as txn:
        txn.insert_unit(unit())
    moved = replace(unit(id=medic), status="dispatched", alarm_id=7, version=2)
    with store.transaction() as txn:
        txn.update_unit(moved, 1)
    with pytest.raises(StaleWrite), store.transaction() as txn:
        txn.update_unit(replace(moved, status="en_route", version=3), 1)
    assert store.get_unit(medic) == moved
    assert store.get_unit(alpha) is not None and store.get_unit(999) is None


def test_an_invite_is_used_once_and_revocation_ends_invites_and_phones(store: Store) -> None:
    with store.transaction() as txn:
        unit_id = txn.insert_unit(unit())
        first = txn.insert_invite(Invite("h1", unit_id, T0, T0 + 3600, "sup"))
        second = txn.insert_invite(Invite("h2", unit_id, T0, T0 + 3600, "sup"))
        assert txn.use_invite(first, T0 + 1) is True
        assert txn.use_invite(first, T0 + 2) is False  # single use
        txn.insert_device(Device("d1", unit_id, first, T0 + 1, T0 + 86400, T0 + 1))
    with pytest.raises(Duplicate), store.transaction() as txn:
        txn.insert_invite(Invite("h1", unit_id, T0, T0 + 3600, "sup"))
    with store.transaction() as txn:
        found = txn.invite_by_hash("h1")
        assert found is not None and (found.id, found.used_at) == (first, T0 + 1)
    assert store.get_device("d1") == Device("d1", unit_id, first, T0 + 1, T0 + 86400, T0 + 1)
    with store.transaction() as txn:
        assert txn.revoke_unit_access(unit_id, T0 + 5) == (1, ["d1"])  # the unused invite and the phone
        assert txn.use_invite(second, T0 + 6) is False
        assert txn.revoke_unit_access(unit_id, T0 + 7) == (0, [])
    device = store.get_device("d1")
    assert device is not None and device.revoked_at == T0 + 5


def test_a_rolled_back_transaction_leaves_no_unit(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as txn:
        txn.insert_unit(unit())
        raise RuntimeError("abort")
    assert store.list_units() == []
