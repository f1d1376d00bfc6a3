"""Shared audit logs: generated once per session because chaining 100,000 records takes about a second."""

from __future__ import annotations

import pytest

from fairwatch.model import AuditRecord
from tests.audit.audit_samples import BIG, build


@pytest.fixture(scope="session")
def big_log() -> list[AuditRecord]:
    """A 100,000-record log; tests never mutate it, they build tampered copies."""
    return build(BIG)
