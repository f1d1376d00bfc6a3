"""The writer channel of `serve --workers N`: validated events cross a real Unix socket as msgspec frames, answers
come back matched to their submission whatever their order, and a writer that goes away fails every waiting
submission with a 503 (never a silent acknowledgement)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec
import pytest

from fairwatch.errors import StoreUnavailable
from fairwatch.ingest.channel import Answer, ChannelClient, ChannelServer, Submit, frame, read_frame
from fairwatch.model import Event, Location

EVENTS = [
    Event("e1", "cam-1", "crowd.density", 1_783_000_000.5, 1_783_000_001.0, zone="north", value=4.5),
    Event(
        "e2",
        "gps-7",
        "panic.pressed",
        1_783_000_002.0,
        1_783_000_002.0,
        location=Location(lat=51.5, lon=-0.1),
    ),
    Event("e3", "gate-2", "gate.status", 1_783_000_003.0, 1_783_000_003.0, data={"state": "blocked", "n": 3}),
]


async def test_events_cross_the_channel_unchanged_and_answers_find_their_submission(tmp_path: Path) -> None:
    seen: list[list[Event]] = []
    release: dict[str, asyncio.Event] = {ev.id: asyncio.Event() for ev in EVENTS}

    async def handle(events: list[Event]) -> Answer:
        seen.append(events)
        await release[events[0].id].wait()  # answers leave in the order the test releases them
        return Answer(0, 202, f'{{"first":"{events[0].id}"}}'.encode(), {"X-Count": str(len(events))})

    server = ChannelServer(tmp_path / "writer.sock", handle)
    await server.start()
    client = ChannelClient(tmp_path / "writer.sock")
    await client.connect()
    try:
        waiting = [asyncio.create_task(client.submit([ev])) for ev in EVENTS]
        while len(seen) < len(EVENTS):
            await asyncio.sleep(0.01)
        for ev in reversed(EVENTS):  # the last submission is answered first
            release[ev.id].set()
        answers = await asyncio.gather(*waiting)
    finally:
        await client.close()
        await server.stop()
    assert sorted((batch[0] for batch in seen), key=lambda e: e.id) == EVENTS
    assert [a.body for a in answers] == [f'{{"first":"{ev.id}"}}'.encode() for ev in EVENTS]
    assert {a.status for a in answers} == {202}
    assert answers[0].headers == {"X-Count": "1"}


async def test_a_writer_that_goes_away_fails_what_waits_with_a_503(tmp_path: Path) -> None:
    """The writer reads the submission and dies before answering (as on SIGKILL: its end of the socket closes)."""
    got: list[bytes] = []
    lost: list[bool] = []

    async def dying_writer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        body = await read_frame(reader)
        assert body is not None
        got.append(body)
        writer.close()

    path = tmp_path / "writer.sock"
    server = await asyncio.start_unix_server(dying_writer, path=str(path))
    client = ChannelClient(path, on_lost=lambda: lost.append(True))
    await client.connect()
    try:
        with pytest.raises(StoreUnavailable) as refused:
            await client.submit(EVENTS)
        assert refused.value.retry_after >= 1
        assert len(got) == 1 and lost == [True]
        with pytest.raises(StoreUnavailable):  # nothing more is taken on a dead channel
            await client.submit(EVENTS)
    finally:
        await client.close()
        server.close()


async def test_submissions_of_one_loop_turn_share_one_frame(tmp_path: Path) -> None:
    """A worker under load sends every submission waiting at one turn of its loop in one frame; the writer still
    answers each on its own."""
    frames: list[list[Submit]] = []

    async def writer_end(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (body := await read_frame(reader)) is not None:
            submits = msgspec.msgpack.decode(body, type=list[Submit])
            frames.append(submits)
            for s in submits:
                writer.write(frame(Answer(s.number, 202, s.events[0].id.encode())))

    path = tmp_path / "writer.sock"
    server = await asyncio.start_unix_server(writer_end, path=str(path))
    client = ChannelClient(path)
    await client.connect()
    try:
        answers = await asyncio.gather(*(client.submit([ev]) for ev in EVENTS))
        again = await client.submit(EVENTS[:1])  # a later turn: a frame of its own
    finally:
        await client.close()
        server.close()
    assert [[s.events for s in f] for f in frames] == [[[ev] for ev in EVENTS], [EVENTS[:1]]]
    assert [a.body for a in answers] == [ev.id.encode() for ev in EVENTS]
    assert again.body == b"e1"


async def test_a_refused_submission_in_a_shared_frame_fails_only_itself(tmp_path: Path) -> None:
    async def handle(events: list[Event]) -> Answer:
        if events[0].id == "e2":
            return Answer(0, 422, b'{"error":"invalid_events"}')
        return Answer(0, 202, b'{"accepted":1,"duplicates":0}')

    server = ChannelServer(tmp_path / "writer.sock", handle)
    await server.start()
    client = ChannelClient(tmp_path / "writer.sock")
    await client.connect()
    try:
        answers = await asyncio.gather(*(client.submit([ev]) for ev in EVENTS))
    finally:
        await client.close()
        await server.stop()
    assert [a.status for a in answers] == [202, 422, 202]
    assert answers[1].body == b'{"error":"invalid_events"}'
