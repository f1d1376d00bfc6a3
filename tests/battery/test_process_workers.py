"""`fairwatch serve --workers 2`: HTTP workers in front of one writer process answer ingest exactly as one process
does (same statuses, same bodies), refuse a revoked token on its next request whichever worker takes it (revoked by
the CLI or in the console), and relay the console through the writer process."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path
from typing import NamedTuple

import httpx
import orjson

from tests.access.conftest import PASSWORD, page_csrf
from tests.battery.conftest import Spawn
from tests.battery.process import answers, command, run, wait_until
from tests.services import free_port

REQUESTS = 8  # new connections after a revocation: with two workers, both take some


class Running(NamedTuple):
    url: str
    data: Path
    device: str


def serve(tmp_path: Path, spawn: Spawn, workers: int, name: str = "data") -> Running:
    data, port = tmp_path / name, free_port()
    device = run("token", "create", "--role", "device", "--name", "cam", "--data", str(data)).stdout.strip()
    log = tmp_path / f"{name}.log"
    proc = spawn(["serve", "--data", str(data), "--port", str(port), "--workers", str(workers)], log)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: answers(url + "/readyz"), "readiness", proc)
    return Running(url, data, device)


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, object]:
    """One request on a new connection (so that any worker may take it); the status and the JSON body without
    correlation ids (they are random)."""
    r = httpx.post(url + "/api/v1/events", content=body, headers=headers, timeout=30)
    return r.status_code, re.sub(r'"correlation_id":"[0-9a-f]+"', "", r.text)


CASES: list[tuple[str, bytes, str]] = [
    # (id, body, content type)
    (
        "one event",
        b'{"id":"e1","source":"cam-1","type":"crowd.density","zone":"z1","value":2.5}',
        "application/json",
    ),
    (
        "the same again",
        b'{"id":"e1","source":"cam-1","type":"crowd.density","zone":"z1","value":2.5}',
        "application/json",
    ),
    (
        "a batch",
        orjson.dumps([{"id": f"b{i}", "source": "s", "type": "panic.pressed"} for i in range(50)]),
        "application/json",
    ),
    (
        "person data",
        b'[{"id":"p1","source":"s","type":"panic.pressed","data":{"religion":"x"}}]',
        "application/json",
    ),
    ("a person type", b'{"id":"p2","source":"s","type":"face_match"}', "application/json"),
    ("undeclared value", b'{"id":"p3","source":"s","type":"panic.pressed","value":3}', "application/json"),
    ("bad JSON", b'{"id": "x",', "application/json"),
    ("not JSON", b"id=x", "application/x-www-form-urlencoded"),
    ("an empty array", b"[]", "application/json"),
]


def test_workers_answer_ingest_as_one_process_does(tmp_path: Path, spawn: Spawn) -> None:
    one = serve(tmp_path, spawn, 1, "one")
    two = serve(tmp_path, spawn, 2, "two")
    for case, body, ctype in CASES:
        got = [
            post(s.url, body, {"Authorization": f"Bearer {s.device}", "Content-Type": ctype})
            for s in (one, two)
        ]
        assert got[0] == got[1], case
    for headers in ({}, {"Authorization": "Bearer fw_nope"}, {"Authorization": "Basic abc"}):
        got = [post(s.url, CASES[0][1], {**headers, "Content-Type": "application/json"}) for s in (one, two)]
        assert got[0] == got[1] and got[0][0] == 401, headers
    viewer = [
        run("token", "create", "--role", "viewer", "--name", "v", "--data", str(s.data)).stdout.strip()
        for s in (one, two)
    ]
    got = [
        post(s.url, CASES[0][1], {"Authorization": f"Bearer {v}", "Content-Type": "application/json"})
        for s, v in zip((one, two), viewer, strict=True)
    ]
    assert got[0] == got[1] and got[0][0] == 403
    stored = [stored_ids(s.data) for s in (one, two)]
    assert stored[0] == stored[1] and "e1" in stored[0]  # stored once, by the writer process, in both set-ups


def stored_ids(data: Path) -> list[str]:
    with sqlite3.connect(data / "fairwatch.db") as conn:
        return sorted(row[0] for row in conn.execute("SELECT eid FROM events"))


def test_a_token_revoked_by_the_cli_is_refused_by_every_worker(tmp_path: Path, spawn: Spawn) -> None:
    srv = serve(tmp_path, spawn, 2)
    headers = {"Authorization": f"Bearer {srv.device}", "Content-Type": "application/json"}
    for i in range(REQUESTS):  # both workers now hold the token in their caches
        assert (
            post(srv.url, orjson.dumps({"id": f"a{i}", "source": "s", "type": "panic.pressed"}), headers)[0]
            == 202
        )
    done = run("token", "revoke", "cam", "--data", str(srv.data))
    assert done.returncode == 0, done.stderr
    refused = [
        post(srv.url, orjson.dumps({"id": f"r{i}", "source": "s", "type": "panic.pressed"}), headers)
        for i in range(REQUESTS)
    ]
    assert {status for status, _ in refused} == {401}


def test_a_token_revoked_in_the_console_is_refused_by_every_worker(tmp_path: Path, spawn: Spawn) -> None:
    srv = serve(tmp_path, spawn, 2)
    made = subprocess.run(
        command("user", "create", "ada", "--role", "admin", "--data", str(srv.data)),
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    headers = {"Authorization": f"Bearer {srv.device}", "Content-Type": "application/json"}
    for i in range(REQUESTS):
        assert (
            post(srv.url, orjson.dumps({"id": f"a{i}", "source": "s", "type": "panic.pressed"}), headers)[0]
            == 202
        )
    with httpx.Client(base_url=srv.url, timeout=30) as admin:  # the console: the writer's, through a worker
        found = re.search(r'name="csrf" value="([^"]+)"', admin.get("/signin").text)
        assert found
        signed = admin.post("/signin", data={"username": "ada", "password": PASSWORD, "csrf": found.group(1)})
        assert signed.status_code == 303, signed.text
        r = admin.post("/tokens/cam/revoke", data={"csrf": page_csrf(admin)})
        assert r.status_code == 200 and "Revoked token cam." in r.text
    refused = [
        post(srv.url, orjson.dumps({"id": f"r{i}", "source": "s", "type": "panic.pressed"}), headers)
        for i in range(REQUESTS)
    ]
    assert {status for status, _ in refused} == {401}
