"""Field units, invites and signed-in phones on SQL (SQLite, PostgreSQL): mixed into `SqlStore`/`SqlTxn`."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import asdict
from typing import Any

import orjson
from sqlalchemy import Connection, select, update
from sqlalchemy.engine import Row

from fairwatch.errors import StaleWrite
from fairwatch.store import schema
from fairwatch.store.unit_rows import Device, Invite, Unit

_U = schema.units.c
_I = schema.unit_invites.c
_D = schema.unit_devices.c


class UnitSqlReads:
    """The `UnitReads` part of `SqlStore`."""

    def _reader(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def list_units(self) -> list[Unit]:
        with self._reader() as conn:
            return _list_units(conn)

    def get_unit(self, unit_id: int) -> Unit | None:
        with self._reader() as conn:
            return _get_unit(conn, unit_id)

    def get_device(self, id_hash: str) -> Device | None:
        with self._reader() as conn:
            row = conn.execute(select(schema.unit_devices).where(_D.id_hash == id_hash)).first()
        return Device(**dict(row._mapping)) if row else None


class UnitSqlTxn:
    """The `UnitTxn` part of `SqlTxn`."""

    conn: Connection

    def insert_unit(self, unit: Unit) -> int:
        row = _unit_row(unit)
        del row["id"]
        with _unique(f"a unit named {unit.name!r} exists already"):
            result = self.conn.execute(schema.units.insert().values(**row))
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def update_unit(self, unit: Unit, expected_version: int) -> None:
        q = update(schema.units).where(_U.id == unit.id, _U.version == expected_version)
        if self.conn.execute(q.values(**_unit_row(unit))).rowcount != 1:
            found = self.conn.execute(select(_U.version).where(_U.id == unit.id)).scalar()
            raise StaleWrite(f"unit {unit.id}", expected_version, None if found is None else int(found))

    def get_unit(self, unit_id: int) -> Unit | None:
        return _get_unit(self.conn, unit_id)

    def unit_by_name(self, name: str) -> Unit | None:
        row = self.conn.execute(select(schema.units).where(_U.name == name)).first()
        return unit_of(row) if row else None

    def list_units(self) -> list[Unit]:
        return _list_units(self.conn)

    def insert_invite(self, invite: Invite) -> int:
        row = asdict(invite)
        del row["id"]
        with _unique("invite code collision"):
            result = self.conn.execute(schema.unit_invites.insert().values(**row))
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def invite_by_hash(self, code_hash: str) -> Invite | None:
        row = self.conn.execute(select(schema.unit_invites).where(_I.code_hash == code_hash)).first()
        return Invite(**dict(row._mapping)) if row else None

    def use_invite(self, invite_id: int, now: float) -> bool:
        # One UPDATE guarded by "still unused": two phones racing for one link cannot both win.
        q = update(schema.unit_invites).where(
            _I.id == invite_id, _I.used_at.is_(None), _I.revoked_at.is_(None)
        )
        return int(self.conn.execute(q.values(used_at=now)).rowcount) == 1

    def revoke_unit_access(self, unit_id: int, now: float) -> tuple[int, list[str]]:
        invites = update(schema.unit_invites).where(
            _I.unit_id == unit_id, _I.used_at.is_(None), _I.revoked_at.is_(None)
        )
        count = int(self.conn.execute(invites.values(revoked_at=now)).rowcount)
        live = select(_D.id_hash).where(_D.unit_id == unit_id, _D.revoked_at.is_(None))
        hashes = [str(h) for h in self.conn.execute(live).scalars()]
        if hashes:
            q = update(schema.unit_devices).where(_D.id_hash.in_(hashes))
            self.conn.execute(q.values(revoked_at=now))
        return count, hashes

    def insert_device(self, device: Device) -> None:
        with _unique("device session collision"):
            self.conn.execute(schema.unit_devices.insert().values(**asdict(device)))


def _unique(message: str) -> AbstractContextManager[None]:
    # The one translation of unique violations; sql.py imports this module, so it is read when first needed.
    from fairwatch.store.sql import _unique as unique

    return unique(message)


def _get_unit(conn: Connection, unit_id: int) -> Unit | None:
    row = conn.execute(select(schema.units).where(_U.id == unit_id)).first()
    return unit_of(row) if row else None


def _list_units(conn: Connection) -> list[Unit]:
    return [unit_of(r) for r in conn.execute(select(schema.units).order_by(_U.name, _U.id))]


def _unit_row(unit: Unit) -> dict[str, Any]:
    row = asdict(unit)
    row["location"] = None if unit.location is None else orjson.dumps(unit.location).decode()
    return row


def unit_of(r: Row[Any]) -> Unit:
    """A unit from its row."""
    values = dict(r._mapping)
    values["location"] = None if values["location"] is None else orjson.loads(values["location"])
    return Unit(**values)
