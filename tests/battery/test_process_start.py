"""Start-up of a real `fairwatch` process: a busy port, a second server on the same data, a missing file or a bad
setting each end with ONE line naming it and the fix, exit code 2 and no traceback; `--database-url` and
`--version` work."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
from pathlib import Path

import pytest

from tests.battery.conftest import Spawn
from tests.battery.process import answers, ended, run, wait_until
from tests.services import free_port


def refused(args: list[str], env: dict[str, str] | None = None) -> str:
    """The one line a refused start printed (asserting exit code 2, nothing else, no traceback)."""
    result = run(*args, env=None if env is None else {**os.environ, **env})
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_busy_port_is_named_with_the_fix(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = refused(["serve", "--data", str(tmp_path / "d"), "--port", str(port)])
    assert line == f"port {port} on 127.0.0.1 is in use: set --port or FAIRWATCH_PORT"


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (
            ["--rules", "{d}/missing.yaml"],
            {},
            "{d}/missing.yaml:1: cannot read rule file: No such file or directory",
        ),
        (
            ["--site", "{d}/missing.yaml"],
            {},
            "{d}/missing.yaml:1: cannot read site file: No such file or directory",
        ),
        ([], {"FAIRWATCH_PORT": "eighty"}, "FAIRWATCH_PORT: must be an integer (got 'eighty')"),
        ([], {"FAIRWATCH_HEADER_TIMEOUT": "0"}, "header_timeout: must be a positive number (got 0.0)"),
        (
            ["--data", "{d}/file/data"],
            {},
            "data directory {d}/file/data: Not a directory: set --data or FAIRWATCH_DATA",
        ),
    ],
    ids=["missing-rules", "missing-site", "bad-port-setting", "bad-timeout-setting", "data-not-a-directory"],
)
def test_a_bad_start_is_one_clear_line(
    tmp_path: Path, args: list[str], env: dict[str, str], expected: str
) -> None:
    (tmp_path / "file").write_text("")
    base = ["serve", "--port", str(free_port())]
    if "--data" not in args:
        base += ["--data", str(tmp_path / "d")]
    line = refused(base + [a.format(d=tmp_path) for a in args], env)
    assert line == expected.format(d=tmp_path)


def test_one_server_per_data_directory(tmp_path: Path, spawn: Spawn) -> None:
    data, port = tmp_path / "data", free_port()
    first = spawn(["serve", "--data", str(data), "--port", str(port)], tmp_path / "first.log")
    wait_until(lambda: answers(f"http://127.0.0.1:{port}/readyz"), "readiness", first)
    line = refused(["serve", "--data", str(data), "--port", str(free_port())])
    lock = data / "fairwatch.db.lock"
    assert (
        line
        == f"another Fairwatch server is using {data} (lock {lock}): stop it, or set --data or FAIRWATCH_DATA"
    )
    first.send_signal(signal.SIGTERM)
    assert ended(first) == 0
    again = spawn(["serve", "--data", str(data), "--port", str(port)], tmp_path / "again.log")
    wait_until(lambda: answers(f"http://127.0.0.1:{port}/readyz"), "readiness after the first stopped", again)


def test_one_server_per_postgresql_database(tmp_path: Path, spawn: Spawn, postgres_url: str) -> None:
    port = free_port()
    args = ["serve", "--database-url", postgres_url, "--data", str(tmp_path / "a"), "--port", str(port)]
    first = spawn(args, tmp_path / "first.log")
    wait_until(lambda: answers(f"http://127.0.0.1:{port}/readyz"), "readiness", first)
    other = [
        "serve",
        "--database-url",
        postgres_url,
        "--data",
        str(tmp_path / "b"),
        "--port",
        str(free_port()),
    ]
    line = refused(other)
    assert line == "another Fairwatch server is using this database: stop it, or set --database-url"
    first.send_signal(signal.SIGTERM)
    assert ended(first) == 0


def test_serve_takes_a_database_url(tmp_path: Path, spawn: Spawn) -> None:
    db, port = tmp_path / "elsewhere" / "store.db", free_port()
    db.parent.mkdir()
    url = f"sqlite:///{db}"
    proc = spawn(
        ["serve", "--database-url", url, "--data", str(tmp_path / "d"), "--port", str(port)], tmp_path / "log"
    )
    wait_until(lambda: answers(f"http://127.0.0.1:{port}/readyz"), "readiness", proc)
    proc.send_signal(signal.SIGTERM)
    assert ended(proc) == 0
    with sqlite3.connect(db) as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit ORDER BY seq")]
    assert "server-started" in actions
    # the checkpoints are signed with the deployment key in the data directory
    verified = run("audit", "verify", "--database-url", url, "--data", str(tmp_path / "d"))
    assert verified.returncode == 0 and verified.stdout.startswith("audit log OK"), verified.stderr


def test_version() -> None:
    from fairwatch import __version__

    result = run("--version")
    assert (result.returncode, result.stdout) == (0, f"fairwatch {__version__}\n")


def test_an_unreachable_database_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://fairwatch:s3cret@127.0.0.1:{free_port()}/fairwatch"
    line = refused(
        ["serve", "--database-url", url, "--data", str(tmp_path / "d"), "--port", str(free_port())]
    )
    assert line.startswith("database: cannot open store postgresql+psycopg://fairwatch:***@127.0.0.1:")
    assert line.endswith(": check --database-url or FAIRWATCH_DATABASE_URL")
    assert "s3cret" not in line
