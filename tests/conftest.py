"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import settings

from tests.services import postgres

# No test asserts a duration: Hypothesis' per-example deadline would make a loaded machine fail tests.
settings.register_profile("fairwatch", deadline=None)
settings.load_profile("fairwatch")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server for this test session."""
    with postgres() as url:
        yield url
