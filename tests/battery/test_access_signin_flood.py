"""Hardening 10 over real HTTP: one address trying name after name is cut off after its allowance (429 with
Retry-After, no password checks), locks nobody out (the same account signs in from another address at once), and
leaves one audit record with a count instead of one per attempt."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from fairwatch.store import SqlStore, sqlite_url
from tests.access.conftest import PASSWORD, add_user
from tests.harness import Server

ATTEMPTS = 80


def client_from(srv: Server, address: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=srv.url, transport=transport, timeout=30)


def attempt(client: httpx.Client, name: str, password: str) -> httpx.Response:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text)
    assert found
    return client.post("/signin", data={"username": name, "password": password, "csrf": found.group(1)})


def test_one_address_guessing_names_is_cut_off_audited_once_and_locks_nobody_out(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Server(data, None, FakeClock()) as srv:  # the bucket does not refill while the test runs
        add_user(srv, "olga", Role.OPERATOR)
        with client_from(srv, "127.0.0.1") as guesser:
            statuses = [attempt(guesser, f"guess{i}", "password123").status_code for i in range(ATTEMPTS)]
            limited = attempt(guesser, "olga", PASSWORD)
        with client_from(srv, "127.0.0.2") as desk:
            assert attempt(desk, "olga", PASSWORD).status_code == 303  # olga is not locked out
    assert statuses[:30] == [401] * 30
    assert set(statuses[30:]) == {429}
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "10")
    store = SqlStore(sqlite_url(data))
    failed = [r for r in store.iter_audit() if r.action == "user-sign-in-failed"]
    store.close()
    [record] = failed  # written at server stop, one for the whole burst
    assert (record.object, record.details["count"]) == ("client:127.0.0.1", ATTEMPTS + 1)
    assert record.details["reasons"] == {"client-limited": ATTEMPTS + 1 - 30, "unknown-user": 30}
