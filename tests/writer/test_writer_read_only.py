"""A read-only database, through real HTTP: the database file and its WAL made immutable under a running
server. Ingest answers 503 naming the cause, /readyz says why, and both recover once the files are writable."""

from __future__ import annotations

from pathlib import Path

from fairwatch.model import Role
from tests.harness import Server
from tests.writer.helpers import immutable, until


def test_a_read_only_database_answers_503_and_recovers(tmp_path: Path) -> None:
    with Server(tmp_path / "data") as srv, srv.client(Role.OPERATOR) as op, srv.client(None) as anon:
        event = {"id": "e1", "source": "s", "type": "note"}
        assert op.post("/api/v1/events", json=event).status_code == 202
        db = srv.data / "fairwatch.db"
        with immutable(db, db.with_name("fairwatch.db-wal")):
            first = op.post("/api/v1/events", json={**event, "id": "e2"})
            assert first.status_code == 503 and "Retry-After" in first.headers
            # the open connection fails to write; the fresh one it is replaced with finds the file read-only
            assert first.json()["message"] in ("database is read-only", "database disk I/O error")
            r = op.post("/api/v1/events", json={**event, "id": "e2"})
            assert r.status_code == 503 and "Retry-After" in r.headers
            assert r.json() == {"error": "store_unavailable", "message": "database is read-only"}
            ready = anon.get("/readyz")
            assert ready.status_code == 503
            assert "writer: database is read-only" in ready.json()["problems"]
        until(lambda: anon.get("/readyz").status_code == 200, "ready again once writable")
        r = op.post("/api/v1/events", json={**event, "id": "e2"})
        assert (r.status_code, r.json()) == (202, {"accepted": 1, "duplicates": 0})
        assert srv.app is not None
        assert srv.app.store.count_events() == 2
