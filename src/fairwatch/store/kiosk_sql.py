"""SQL for kiosk (wall display) sessions, used by `SqlStore` and `SqlTxn` (access.py owns the rules)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select, update

from fairwatch.store import schema
from fairwatch.store.rows import Kiosk


def get_kiosk(conn: Connection, name: str) -> Kiosk | None:
    row = conn.execute(select(schema.kiosks).where(schema.kiosks.c.name == name)).first()
    return _kiosk(row) if row else None


def list_kiosks(conn: Connection) -> list[Kiosk]:
    return [_kiosk(r) for r in conn.execute(select(schema.kiosks).order_by(schema.kiosks.c.name))]


def kiosk_by_session(conn: Connection, session_hash: str) -> Kiosk | None:
    row = conn.execute(select(schema.kiosks).where(schema.kiosks.c.session_hash == session_hash)).first()
    return _kiosk(row) if row else None


def put_kiosk(conn: Connection, kiosk: Kiosk) -> None:
    conn.execute(delete(schema.kiosks).where(schema.kiosks.c.name == kiosk.name))
    conn.execute(schema.kiosks.insert().values(**_row(kiosk)))


def claim_kiosk(conn: Connection, link_hash: str, session_hash: str, now: float) -> Kiosk | None:
    """One UPDATE guarded by every condition, so two uses of one link cannot both succeed."""
    k = schema.kiosks.c
    live = (k.link_hash == link_hash, k.revoked.is_(None), k.link_expires > now, k.expires > now)
    found = conn.execute(select(k.name).where(*live)).scalar()
    if found is None:
        return None
    done = conn.execute(update(schema.kiosks).where(*live).values(link_hash=None, session_hash=session_hash))
    return get_kiosk(conn, found) if done.rowcount == 1 else None


def revoke_kiosk(conn: Connection, name: str, now: float) -> Kiosk | None:
    before = get_kiosk(conn, name)
    if before is None or before.revoked is not None:
        return None
    k = schema.kiosks.c
    conn.execute(update(schema.kiosks).where(k.name == name).values(revoked=now, link_hash=None))
    return before


def _row(kiosk: Kiosk) -> dict[str, Any]:
    return {
        "name": kiosk.name,
        "created": kiosk.created,
        "created_by": kiosk.created_by,
        "expires": kiosk.expires,
        "link_hash": kiosk.link_hash,
        "link_expires": kiosk.link_expires,
        "session_hash": kiosk.session_hash,
        "revoked": kiosk.revoked,
    }


def _kiosk(r: Any) -> Kiosk:
    return Kiosk(
        r.name,
        float(r.created),
        r.created_by,
        float(r.expires),
        r.link_hash,
        float(r.link_expires),
        r.session_hash,
        None if r.revoked is None else float(r.revoked),
    )
