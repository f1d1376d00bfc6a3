"""`serve --role edge` on a real 3-node JetStream cluster and PostgreSQL: ingest publishes to FW_EVENTS and answers
202 after the PubAck, a retried POST is stored once, invalid events are refused exactly as in one process,
operator writes go to the partition's owner as commands, and SSE ids are FW_CHANGES sequences so a console
resumes on another edge without a gap or a duplicate."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from sqlalchemy import create_engine, insert

from fairwatch.cluster import names, status, streams, wire
from fairwatch.cluster.localnats import LocalNats
from fairwatch.model import Role
from fairwatch.settings import Settings
from fairwatch.store import schema
from tests.cluster.edge_support import edge_settings, serving, token
from tests.cluster.worker_helpers import fetch
from tests.harness import TEST_SCHEMAS, Server


@pytest.fixture(scope="module")
def ready(nats_cluster: LocalNats, pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`cluster init` on the module's NATS cluster and database; the folder holding the deployment key."""
    root = tmp_path_factory.mktemp("edge")
    settings = Settings(database_url=pg_url, nats=",".join(nats_cluster.urls), key_file=root / "deploy.key")
    asyncio.run(status.init(settings))
    return root


@pytest.fixture
def settings(nats_cluster: LocalNats, pg_url: str, ready: Path) -> Settings:
    return edge_settings(nats_cluster, pg_url, ready, schemas=TEST_SCHEMAS)


@pytest.fixture(scope="module")
def device(pg_url: str, ready: Path) -> str:
    return token(pg_url, Role.DEVICE, "edge-device")


@pytest.fixture(scope="module")
def operator(pg_url: str, ready: Path) -> str:
    return token(pg_url, Role.OPERATOR, "edge-operator")


@pytest.fixture
async def nc(nats_cluster: LocalNats) -> AsyncIterator[Client]:
    client = await streams.connect(nats_cluster.urls, "test")
    try:
        yield client
    finally:
        await client.close()


def _event(site: str, n: int = 1) -> dict[str, object]:
    return {"id": f"e{n}", "source": "gate-7", "type": "crowd.count", "value": 3, "site": site}


async def _stored(nc: Client, site: str) -> list[Msg]:
    """Every message on the partition's subject (an ephemeral consumer from the start)."""
    sub = await nc.jetstream().pull_subscribe(
        f"{names.EVENTS_PREFIX}.{names.partition_of(site)}", durable=None
    )
    got: list[Msg] = []
    try:
        while True:
            got += await fetch(sub, 100, timeout=1)
    except TimeoutError:
        return got
    finally:
        await sub.unsubscribe()


async def test_events_are_published_with_their_msg_id_and_a_retry_is_stored_once(
    settings: Settings, device: str, nc: Client
) -> None:
    site = "s" + uuid.uuid4().hex[:8]
    body = [_event(site, 1), _event(site, 2)]
    async with serving(settings) as (_edge, url), httpx.AsyncClient(base_url=url, timeout=30) as http:
        auth = {"Authorization": f"Bearer {device}"}
        first = await http.post("/api/v1/events", json=body, headers=auth)
        assert first.status_code == 202, first.text
        assert first.json() == {"accepted": 2, "duplicates": 0}
        again = await http.post("/api/v1/events", json=body, headers=auth)
        assert again.status_code == 202
        assert again.json() == {"accepted": 0, "duplicates": 2}  # the stream's duplicate window
    stored = await _stored(nc, site)
    assert [m.headers.get(names.MSG_ID) if m.headers else None for m in stored] == ["gate-7:e1", "gate-7:e2"]
    events = [wire.decode_event(m.data) for m in stored]
    assert [(e.id, e.source, e.site, e.value) for e in events] == [
        ("e1", "gate-7", site, 3.0),
        ("e2", "gate-7", site, 3.0),
    ]
    kv = await nc.jetstream().key_value(names.PARTITIONS_BUCKET)
    assert (await kv.get(names.partition_of(site))).value == site.encode()  # workers pick the partition up


BAD_BODIES: list[bytes] = [
    b'{"id": "x", "source": "s", "type": "crowd.count", "value": "many"}',
    b'[{"source": "a",\n "type": }]',
    b'{"id": "x", "source": "s", "type": "undeclared.type", "value": 1}',
    b'{"id": "x", "source": "s", "type": "crowd.count", "value": 1, "data": {"name": "Jane Doe"}}',
    b'{"id": "x", "source": "s", "type": "crowd.count", "value": 1, "time": 1}',
    b"[]",
    b"not json",
]


async def test_invalid_events_are_refused_exactly_as_by_one_process(
    settings: Settings, device: str, tmp_path: Path, nc: Client
) -> None:
    with Server(tmp_path / "single") as single:
        single_device = single.token(Role.DEVICE)
        answers_single = []
        with httpx.Client(base_url=single.url, timeout=30) as http:
            for body in BAD_BODIES:
                r = http.post("/api/v1/events", content=body, headers=_json_auth(single_device))
                answers_single.append((r.status_code, r.json()))
    async with serving(settings) as (_edge, url), httpx.AsyncClient(base_url=url, timeout=30) as http:
        answers_edge = []
        for body in BAD_BODIES:
            r = await http.post("/api/v1/events", content=body, headers=_json_auth(device))
            answers_edge.append((r.status_code, r.json()))
        unauthorized = await http.post("/api/v1/events", content=BAD_BODIES[0], headers=_json_auth("nope"))
        assert unauthorized.status_code == 401
    assert [a for a, _ in answers_edge] == [a for a, _ in answers_single]
    assert all(status_code in (400, 422) for status_code, _ in answers_edge)
    assert answers_edge == answers_single
    assert await _stored(nc, "") == []  # nothing of them reached the stream (partition `default`)


def _json_auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}


@pytest.fixture
def alarm_site(pg_url: str) -> Iterator[tuple[int, str]]:
    """An alarm row of a fresh site, as an owner would have written it."""
    site = "s" + uuid.uuid4().hex[:8]
    engine = create_engine(pg_url)
    row = {
        "key": f"crowd|{site}",
        "rule": "crowd",
        "type": "crowd.density",
        "severity": "high",
        "severity_rank": 3,
        "state": "open",
        "active": True,
        "site": site,
        "group_json": "{}",
        "count": 1,
        "first_seen": 1.0,
        "last_seen": 1.0,
        "updated": 1.0,
        "version": 1,
        "explanation": "",
        "sources_json": "[]",
    }
    with engine.begin() as conn:
        alarm_id = int(
            conn.execute(insert(schema.alarms).values(**row).returning(schema.alarms.c.id)).scalar_one()
        )
    engine.dispose()
    yield alarm_id, site


async def test_an_operator_write_goes_to_the_partition_owner_and_its_reply_is_returned(
    settings: Settings, operator: str, nc: Client, alarm_site: tuple[int, str]
) -> None:
    alarm_id, site = alarm_site
    received: list[tuple[str, wire.Command]] = []

    async def owner(msg: Msg) -> None:
        received.append((msg.subject, wire.decode_command(msg.data)))
        body = b'{"error": "stale_write", "message": "alarm changed"}'
        await msg.respond(
            wire.encode(wire.Reply(409, [("content-type", "application/json"), ("x-owner", "w1")], body))
        )

    sub = await nc.subscribe(names.command_subject(names.partition_of(site)), cb=owner)
    glob = await nc.subscribe(names.command_subject(names.GLOBAL), cb=owner)
    await nc.flush()
    try:
        async with serving(settings) as (_edge, url), httpx.AsyncClient(base_url=url, timeout=30) as http:
            auth = {"Authorization": f"Bearer {operator}"}
            forged = auth | {"x-fairwatch-peer": "10.9.9.9:1"}  # only the edge says where a caller is
            r = await http.post(f"/api/v1/alarms/{alarm_id}/ack?note=x", json={"version": 1}, headers=forged)
            assert r.status_code == 409
            assert r.json() == {"error": "stale_write", "message": "alarm changed"}
            assert r.headers["x-owner"] == "w1"
            silence = await http.post("/api/v1/silences", json={"minutes": 5}, headers=auth)
            assert silence.status_code == 409
            read = await http.get(f"/api/v1/alarms/{alarm_id}", headers=auth)  # reads stay on the edge
            assert read.status_code == 200 and read.json()["site"] == site
    finally:
        await sub.unsubscribe()
        await glob.unsubscribe()
    assert [s for s, _ in received] == [f"fw.cmd.{names.partition_of(site)}", "fw.cmd._global"]
    command = received[0][1]
    assert (command.method, command.path) == ("POST", f"/api/v1/alarms/{alarm_id}/ack?note=x")
    assert ("authorization", f"Bearer {operator}") in command.headers
    peers = [v for k, v in command.headers if k == "x-fairwatch-peer"]
    assert len(peers) == 1 and peers[0].startswith("127.0.0.1:")
    assert orjson.loads(command.body) == {"version": 1}


async def test_a_write_nobody_owns_is_a_503_with_retry_after(
    settings: Settings, operator: str, alarm_site: tuple[int, str]
) -> None:
    alarm_id, _site = alarm_site
    async with serving(settings) as (_edge, url), httpx.AsyncClient(base_url=url, timeout=30) as http:
        r = await http.post(
            f"/api/v1/alarms/{alarm_id}/ack",
            json={"version": 1},
            headers={"Authorization": f"Bearer {operator}"},
        )
    assert r.status_code == 503
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["error"] == "store_unavailable"


async def _sse(
    http: httpx.AsyncClient, token_: str, last: str | None, want: int
) -> list[tuple[str, str, bytes]]:
    """The first `want` change messages of a stream: (id, event, data)."""
    headers = {"Authorization": f"Bearer {token_}"}
    if last is not None:
        headers["Last-Event-ID"] = last
    got: list[tuple[str, str, bytes]] = []
    async with http.stream("GET", "/api/v1/stream", headers=headers) as response:
        assert response.status_code == 200
        fields: dict[str, str] = {}
        async for line in response.aiter_lines():
            if line == "":
                if "id" in fields:
                    got.append((fields["id"], fields["event"], fields["data"].encode()))
                    if len(got) == want:
                        return got
                fields = {}
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.lstrip(" ")
    return got


async def _change(nc: Client, partition: str, n: int) -> int:
    """Publish a change as an owner does; returns its stream sequence."""
    data = orjson.dumps({"alarm": {"id": n}})
    ack = await nc.jetstream().publish(
        names.change_subject(partition),
        wire.encode(wire.Change("alarm", data)),
        headers={names.MSG_ID: f"{partition}:alarm:{n}:1"},
    )
    return int(ack.seq)


async def test_sse_ids_are_stream_sequences_and_a_console_resumes_on_another_edge(
    settings: Settings, nc: Client, pg_url: str, ready: Path, nats_cluster: LocalNats
) -> None:
    viewer = token(pg_url, Role.VIEWER, "sse-" + uuid.uuid4().hex[:6])
    before = await _change(nc, "x", 0)  # already on the stream when the edges start
    other = edge_settings(nats_cluster, pg_url, ready, schemas=TEST_SCHEMAS)
    async with (
        serving(settings) as (_a, url_a),
        serving(other) as (_b, url_b),
        httpx.AsyncClient(base_url=url_a, timeout=30) as a,
        httpx.AsyncClient(base_url=url_b, timeout=30) as b,
    ):
        reading = asyncio.create_task(_sse(a, viewer, str(before), 3))
        await asyncio.sleep(0.5)
        seqs = [await _change(nc, "x", n) for n in range(1, 4)]
        first = await asyncio.wait_for(reading, 20)
        assert [int(i) for i, _, _ in first] == seqs
        assert [orjson.loads(d) for _, _, d in first] == [{"alarm": {"id": n}} for n in range(1, 4)]
        assert {e for _, e, _ in first} == {"alarm"}
        # the console moves to edge B while changes go on
        later = [await _change(nc, "x", n) for n in range(4, 7)]
        second = await asyncio.wait_for(_sse(b, viewer, first[-1][0], 3), 20)
        assert [int(i) for i, _, _ in second] == later  # no gap, no duplicate
        # and the replayed history reaches back to a sequence before the edges started
        replay = await asyncio.wait_for(_sse(b, viewer, str(before - 1), 1), 20)
        assert [int(i) for i, _, _ in replay] == [before]
