"""A throwaway 3-node JetStream cluster (and PostgreSQL) on free loopback ports, for the cluster tests."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from fairwatch.cluster.localnats import LocalNats
from tests.services import postgres


@pytest.fixture(scope="module")
def nats_cluster() -> Iterator[LocalNats]:
    """Three nodes with JetStream, started for the module; tests may kill and restart nodes."""
    root = Path(tempfile.mkdtemp(prefix="fw-nats-"))
    cluster = LocalNats(root, size=3)
    cluster.start_all()
    try:
        yield cluster
    finally:
        cluster.stop_all()


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres() as url:
        yield url
