"""Field units, invites and signed-in phones in memory: mixed into `MemoryStore`/`MemoryTxn`."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from fairwatch.errors import Duplicate, StaleWrite
from fairwatch.store.unit_rows import Device, Invite, Unit

if TYPE_CHECKING:
    from fairwatch.store.memory_txn import Journal, MemoryDatabase


class UnitMemoryReads:
    """The `UnitReads` part of `MemoryStore`."""

    database: MemoryDatabase

    def list_units(self) -> list[Unit]:
        return _sorted(self.database.units.values())

    def get_unit(self, unit_id: int) -> Unit | None:
        found = self.database.units.get(unit_id)
        return _copy(found) if found else None

    def get_device(self, id_hash: str) -> Device | None:
        return self.database.unit_devices.get(id_hash)


class UnitMemoryTxn:
    """The `UnitTxn` part of `MemoryTxn`."""

    db: MemoryDatabase
    journal: Journal

    def insert_unit(self, unit: Unit) -> int:
        if any(u.name == unit.name for u in self.db.units.values()):
            raise Duplicate(f"a unit named {unit.name!r} exists already")
        unit_id = self.db.next_id("units")
        self.journal.put(self.db.units, unit_id, _copy(replace(unit, id=unit_id)))
        return unit_id

    def update_unit(self, unit: Unit, expected_version: int) -> None:
        stored = self.db.units.get(unit.id)
        if stored is None or stored.version != expected_version:
            raise StaleWrite(f"unit {unit.id}", expected_version, None if stored is None else stored.version)
        self.journal.put(self.db.units, unit.id, _copy(unit))

    def get_unit(self, unit_id: int) -> Unit | None:
        found = self.db.units.get(unit_id)
        return _copy(found) if found else None

    def unit_by_name(self, name: str) -> Unit | None:
        found = [u for u in self.db.units.values() if u.name == name]
        return _copy(found[0]) if found else None

    def list_units(self) -> list[Unit]:
        return _sorted(self.db.units.values())

    def insert_invite(self, invite: Invite) -> int:
        if any(i.code_hash == invite.code_hash for i in self.db.unit_invites.values()):
            raise Duplicate("invite code collision")
        invite_id = self.db.next_id("unit_invites")
        self.journal.put(self.db.unit_invites, invite_id, replace(invite, id=invite_id))
        return invite_id

    def invite_by_hash(self, code_hash: str) -> Invite | None:
        found = [i for i in self.db.unit_invites.values() if i.code_hash == code_hash]
        return found[0] if found else None

    def use_invite(self, invite_id: int, now: float) -> bool:
        stored = self.db.unit_invites.get(invite_id)
        if stored is None or stored.used_at is not None or stored.revoked_at is not None:
            return False
        self.journal.put(self.db.unit_invites, invite_id, replace(stored, used_at=now))
        return True

    def revoke_unit_access(self, unit_id: int, now: float) -> tuple[int, list[str]]:
        invites = [
            i
            for i in self.db.unit_invites.values()
            if i.unit_id == unit_id and i.used_at is None and i.revoked_at is None
        ]
        for i in invites:
            self.journal.put(self.db.unit_invites, i.id, replace(i, revoked_at=now))
        devices = [d for d in self.db.unit_devices.values() if d.unit_id == unit_id and d.revoked_at is None]
        for d in devices:
            self.journal.put(self.db.unit_devices, d.id_hash, replace(d, revoked_at=now))
        return len(invites), [d.id_hash for d in devices]

    def insert_device(self, device: Device) -> None:
        if device.id_hash in self.db.unit_devices:
            raise Duplicate("device session collision")
        self.journal.put(self.db.unit_devices, device.id_hash, device)


def _copy(u: Unit) -> Unit:
    """A copy that shares nothing mutable with the stored row."""
    return replace(u, location=None if u.location is None else dict(u.location))


def _sorted(units: object) -> list[Unit]:
    return [_copy(u) for u in sorted(list(units), key=lambda u: (u.name, u.id))]  # type: ignore[call-overload]
