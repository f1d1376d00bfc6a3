"""An edge whose JetStream cannot acknowledge answers 503 with Retry-After and acknowledges nothing; once the
cluster is back, the client's retry is stored once. Its own NATS cluster: the test kills nodes."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from nats.aio.msg import Msg

from fairwatch.cluster import names, status, streams, wire
from fairwatch.cluster.localnats import LocalNats
from fairwatch.model import Role
from fairwatch.settings import Settings
from tests.cluster.edge_support import edge_settings, serving, token
from tests.cluster.worker_helpers import fetch


@pytest.fixture
def cluster() -> Iterator[LocalNats]:
    nodes = LocalNats(Path(tempfile.mkdtemp(prefix="fw-nats-outage-")), size=3)
    nodes.start_all()
    try:
        yield nodes
    finally:
        nodes.stop_all()


async def _count(nats: LocalNats, site: str) -> list[Msg]:
    nc = await streams.connect(nats.urls, "test-count")
    try:
        sub = await nc.jetstream().pull_subscribe(f"{names.EVENTS_PREFIX}.{site}", durable=None)
        got: list[Msg] = []
        try:
            while True:
                got += await fetch(sub, 100, timeout=1)
        except TimeoutError:
            return got
    finally:
        await nc.close()


async def _until_accepted(http: httpx.AsyncClient, body: object, auth: dict[str, str]) -> httpx.Response:
    for _ in range(60):
        r = await http.post("/api/v1/events", json=body, headers=auth)
        if r.status_code == 202:
            return r
        assert r.status_code == 503, r.text
        await asyncio.sleep(0.5)
    raise AssertionError("the edge did not take events (again) once the cluster was ready")


async def test_no_quorum_and_no_cluster_are_503_and_a_retry_is_stored_once(
    cluster: LocalNats, pg_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=pg_url, nats=",".join(cluster.urls), key_file=tmp_path / "deploy.key")
    await status.init(settings)
    device = token(pg_url, Role.DEVICE, "outage-device")
    auth = {"Authorization": f"Bearer {device}"}
    async with (
        serving(edge_settings(cluster, pg_url, tmp_path)) as (_edge, url),
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        # a stream just made answers 503 until its leader is elected (the edge says so: 503 and Retry-After)
        warm = {"id": "w", "source": "g", "type": "crowd.count", "value": 1, "site": "outage"}
        assert (await _until_accepted(http, warm, auth)).status_code == 202
        body = [
            {"id": f"o{i}", "source": "g", "type": "crowd.count", "value": i, "site": "outage"}
            for i in range(3)
        ]

        cluster.kill(0)
        cluster.kill(1)  # one node of three: no quorum, the stream cannot store
        lost = await http.post("/api/v1/events", json=body, headers=auth)
        assert lost.status_code == 503
        assert int(lost.headers["retry-after"]) >= 1
        assert lost.json()["error"] == "store_unavailable"

        cluster.kill(2)  # no server at all
        gone = await http.post("/api/v1/events", json=body, headers=auth)
        assert gone.status_code == 503 and "retry-after" in gone.headers

        for i in range(3):
            cluster.start(i)
        cluster.wait_ready()
        again = await _until_accepted(http, body, auth)
        assert sum(again.json().values()) == 3
    stored = [wire.decode_event(m.data) for m in await _count(cluster, "outage")]
    assert sorted(e.id for e in stored) == ["o0", "o1", "o2", "w"]  # each event once


async def test_sse_goes_on_without_gap_when_the_edges_nats_node_dies(
    cluster: LocalNats, pg_url: str, tmp_path: Path
) -> None:
    await status.init(
        Settings(database_url=pg_url, nats=",".join(cluster.urls), key_file=tmp_path / "deploy.key")
    )
    viewer = token(pg_url, Role.VIEWER, "outage-viewer")
    async with (
        serving(edge_settings(cluster, pg_url, tmp_path)) as (edge, url),
        httpx.AsyncClient(base_url=url, timeout=60) as http,
    ):
        assert edge.nc is not None and edge.nc.connected_url is not None
        port = edge.nc.connected_url.port
        node = next(i for i, n in enumerate(cluster.nodes) if n.port == port)
        others = [n.url for i, n in enumerate(cluster.nodes) if i != node]
        received: list[str] = []
        seqs: list[int] = []

        async def read() -> None:
            headers = {"Authorization": f"Bearer {viewer}"}
            async with http.stream("GET", "/api/v1/stream", headers=headers) as response:
                async for line in response.aiter_lines():
                    if line.startswith("id: "):
                        received.append(line[4:])
                        if len(received) == 6:
                            return

        reading = asyncio.create_task(read())
        await asyncio.sleep(0.5)
        nc = await streams.connect(others, "test-owner")
        try:
            js = nc.jetstream()

            async def change(n: int) -> None:
                payload = wire.encode(wire.Change("alarm", b'{"n": %d}' % n))
                for _ in range(60):
                    try:
                        ack = await js.publish(
                            names.change_subject("x"), payload, headers={names.MSG_ID: f"x:{n}"}
                        )
                        seqs.append(int(ack.seq))
                        return
                    except Exception:  # a leader election after the kill
                        await asyncio.sleep(0.5)
                raise AssertionError("the change stream did not take a message")

            for n in range(3):
                await change(n)
            cluster.kill(node)  # the node this edge is connected to: it reconnects and its consumer resumes
            for n in range(3, 6):
                await change(n)
            await asyncio.wait_for(reading, 60)
        finally:
            await nc.close()
    assert [int(i) for i in received] == seqs  # every change once, in order
