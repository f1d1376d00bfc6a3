"""The settings table documents itself; environment values are checked."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from fairwatch.errors import ConfigError
from fairwatch.settings import SETTINGS_HELP, Settings, from_env, settings_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_every_setting_is_documented() -> None:
    assert {f.name for f in fields(Settings)} == set(SETTINGS_HELP)
    assert DOC.read_text() == settings_markdown(), (
        "regenerate: python -m fairwatch.settings > docs/settings.md"
    )


def test_env_values_are_cast() -> None:
    s = from_env({"FAIRWATCH_PORT": "9000", "FAIRWATCH_DATA": "/x", "FAIRWATCH_SECURE_COOKIES": "true"})
    assert (s.port, str(s.data), s.secure_cookies) == (9000, "/x", True)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FAIRWATCH_PORT": "http"}, "FAIRWATCH_PORT: must be an integer (got 'http')"),
        (
            {"FAIRWATCH_SECURE_COOKIES": "maybe"},
            "FAIRWATCH_SECURE_COOKIES: must be true or false (got 'maybe')",
        ),
        ({"FAIRWATCH_TICK_SECONDS": "soon"}, "FAIRWATCH_TICK_SECONDS: must be a number (got 'soon')"),
    ],
    ids=["int", "bool", "float"],
)
def test_bad_env_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        from_env(env)
    assert info.value.messages == [message]
