"""`fairwatch user create`: the password comes from stdin when piped; users are stored with argon2id hashes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fairwatch.access import verify_password
from fairwatch.cli import cli
from fairwatch.model import Role
from fairwatch.store import SqlStore, sqlite_url


def test_user_create_reads_the_password_from_stdin(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["user", "create", "olga", "--role", "supervisor", "--data", str(tmp_path)],
        input="a long password\n",
    )
    assert (result.exit_code, result.output) == (0, "user olga saved with role supervisor\n")
    store = SqlStore(sqlite_url(tmp_path))
    user = store.get_user("olga")
    history = [r.action for r in store.iter_audit()]
    store.close()
    assert user is not None and user.role is Role.SUPERVISOR
    assert user.password_hash.startswith("$argon2id$") and verify_password(
        user.password_hash, "a long password"
    )
    assert history == ["user-saved"]


@pytest.mark.parametrize(
    ("args", "password", "expected"),
    [
        (["nell", "--role", "boss"], "a long password", "role: must be one of device, steward, viewer, welfare, operator, supervisor, admin (got 'boss')"),
        (["nell", "--role", "device"], "a long password", "role: is for API tokens, not people (got 'device')"),
        (["nell", "--role", "steward"], "a long password",
         "role: is for phones signed in with a one-time link (fairwatch field invite), not for console users"
         " (got 'steward')"),
        (["nell", "--role", "viewer"], "short", "password: must be at least 10 characters (got 5) (got '***')"),
        (["n ell", "--role", "viewer"], "a long password", "name: must be 1-64 characters of letters, digits, '_', '.', '@', '-' (got 'n ell')"),
    ],
    ids=["unknown-role", "device-role", "steward-role", "short-password", "bad-name"],
)  # fmt: skip
def test_user_create_refusals(tmp_path: Path, args: list[str], password: str, expected: str) -> None:
    result = CliRunner().invoke(
        cli, ["user", "create", *args, "--data", str(tmp_path)], input=password + "\n"
    )
    assert (result.exit_code, result.output.strip()) == (2, expected)
