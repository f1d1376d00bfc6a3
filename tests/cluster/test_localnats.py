"""The local NATS cluster of `make cluster` and the tests starts even when a port it chose is taken by the time
a node binds it (another program on the machine), and says which node failed when it cannot."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from fairwatch.cluster.localnats import LocalNats
from fairwatch.errors import ConfigError


def _occupy(port: int) -> socket.socket:
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.listen()
    return s


def test_a_port_taken_before_the_node_binds_it_means_new_ports(tmp_path: Path) -> None:
    cluster = LocalNats(tmp_path / "nats", size=3)
    taken = cluster.nodes[0].port
    blocker = _occupy(taken)
    try:
        cluster.start_all()
        try:
            assert taken not in [n.port for n in cluster.nodes]
            assert cluster.leader() is not None
        finally:
            cluster.stop_all()
    finally:
        blocker.close()


def test_a_node_that_cannot_start_is_named_with_its_log(tmp_path: Path) -> None:
    cluster = LocalNats(tmp_path / "nats", size=1)
    blocker = _occupy(cluster.nodes[0].port)
    try:
        with pytest.raises(ConfigError) as refused:
            cluster.start_all(attempts=1)
        assert "nats-server n1 exited" in refused.value.messages[0]
        assert any("address already in use" in line for line in refused.value.messages[1:])
    finally:
        cluster.stop_all()
        blocker.close()
