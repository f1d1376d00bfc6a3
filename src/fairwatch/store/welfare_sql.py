"""Welfare cases and scene photos on SQL (SQLite, PostgreSQL): mixed into `SqlStore`/`SqlTxn`."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.engine import Row

from fairwatch.errors import StaleWrite
from fairwatch.store import schema
from fairwatch.store.welfare_rows import Photo, WelfareCase

_W = schema.welfare_cases.c
_P = schema.incident_photos.c
OPEN, CLOSED = "open", "closed"


class WelfareSqlReads:
    """The `WelfareReads` and `PhotoReads` parts of `SqlStore`."""

    def _reader(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def list_welfare_cases(self, states: tuple[str, ...] = (), limit: int = 200) -> list[WelfareCase]:
        q = select(schema.welfare_cases).order_by(_W.id.desc()).limit(limit)
        if states:
            q = q.where(_W.state.in_(states))
        with self._reader() as conn:
            return [_case(r) for r in conn.execute(q)]

    def get_welfare_case(self, case_id: int) -> WelfareCase | None:
        with self._reader() as conn:
            return _get_case(conn, case_id)

    def next_welfare_escalation(self) -> float | None:
        q = select(func.min(_W.escalate_at)).where(_W.state == OPEN, _W.escalated_at.is_(None))
        with self._reader() as conn:
            found = conn.execute(q).scalar()
        return None if found is None else float(found)

    def count_closed_welfare_cases_before(self, when: float) -> int:
        q = select(func.count()).select_from(schema.welfare_cases)
        with self._reader() as conn:
            return int(conn.execute(q.where(_W.state == CLOSED, _W.closed_at < when)).scalar_one())

    def incident_photos(self, incident_id: int) -> list[Photo]:
        q = select(schema.incident_photos).where(_P.incident_id == incident_id).order_by(_P.id)
        with self._reader() as conn:
            return [_photo(r) for r in conn.execute(q)]

    def get_photo(self, photo_id: int) -> Photo | None:
        with self._reader() as conn:
            row = conn.execute(select(schema.incident_photos).where(_P.id == photo_id)).first()
        return _photo(row) if row else None

    def count_photos_before(self, when: float) -> int:
        q = select(func.count()).select_from(schema.incident_photos).where(_P.uploaded_at < when)
        with self._reader() as conn:
            return int(conn.execute(q).scalar_one())


class WelfareSqlTxn:
    """The `WelfareTxn` and `PhotoTxn` parts of `SqlTxn`."""

    conn: Connection

    def insert_welfare_case(self, case: WelfareCase) -> int:
        row = asdict(case)
        del row["id"]
        pk = self.conn.execute(schema.welfare_cases.insert().values(**row)).inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def update_welfare_case(self, case: WelfareCase, expected_version: int) -> None:
        q = update(schema.welfare_cases).where(_W.id == case.id, _W.version == expected_version)
        if self.conn.execute(q.values(**asdict(case))).rowcount != 1:
            found = self.conn.execute(select(_W.version).where(_W.id == case.id)).scalar()
            raise StaleWrite(
                f"welfare case {case.id}", expected_version, None if found is None else int(found)
            )

    def get_welfare_case(self, case_id: int) -> WelfareCase | None:
        return _get_case(self.conn, case_id)

    def due_welfare_cases(self, now: float) -> list[WelfareCase]:
        q = select(schema.welfare_cases).where(
            _W.state == OPEN, _W.escalated_at.is_(None), _W.escalate_at <= now
        )
        return [_case(r) for r in self.conn.execute(q.order_by(_W.escalate_at, _W.id))]

    def delete_closed_welfare_cases_before(self, when: float) -> int:
        q = delete(schema.welfare_cases).where(_W.state == CLOSED, _W.closed_at < when)
        return int(self.conn.execute(q).rowcount)

    def insert_photo(self, photo: Photo) -> int:
        row = asdict(photo)
        del row["id"]
        pk = self.conn.execute(schema.incident_photos.insert().values(**row)).inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def delete_photos_before(self, when: float) -> list[Photo]:
        old = [
            _photo(r) for r in self.conn.execute(select(schema.incident_photos).where(_P.uploaded_at < when))
        ]
        if old:
            self.conn.execute(delete(schema.incident_photos).where(_P.id.in_([p.id for p in old])))
        return old


def _get_case(conn: Connection, case_id: int) -> WelfareCase | None:
    row = conn.execute(select(schema.welfare_cases).where(_W.id == case_id)).first()
    return _case(row) if row else None


def _case(r: Row[Any]) -> WelfareCase:
    values = dict(r._mapping)
    values["vulnerable"] = bool(values["vulnerable"])
    return WelfareCase(**values)


def _photo(r: Row[Any]) -> Photo:
    return Photo(**dict(r._mapping))
