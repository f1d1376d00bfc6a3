"""The hub's bookkeeping: streams know their owner; ending a credential ends exactly its streams; shutdown ends all
and refuses new ones; an ended stream wakes even when its queue is full."""

from __future__ import annotations

import asyncio

import pytest

from fairwatch.access import Principal
from fairwatch.model import Role
from fairwatch.stream import Ended, Hub

TOKEN = Principal("token:aaaa", Role.VIEWER, "token", "a" * 64)
OLGA_1 = Principal("olga", Role.OPERATOR, "session", "1" * 64, "olga")
OLGA_2 = Principal("olga", Role.OPERATOR, "session", "2" * 64, "olga")
SAM = Principal("sam", Role.SUPERVISOR, "session", "3" * 64, "sam")


@pytest.mark.parametrize(
    ("why", "ended"),
    [
        ("one session signed out", {OLGA_1}),
        ("a user disabled", {OLGA_1, OLGA_2}),
        ("a token revoked", {TOKEN}),
        ("nothing matches", set()),
    ],
    ids=["sign-out", "user-disabled", "token-revoked", "none"],
)
async def test_end_streams_ends_only_the_matching_owners(why: str, ended: set[Principal]) -> None:
    hub = Hub(epoch=1)
    matchers = {
        "one session signed out": lambda p: p.via == "session" and p.key == OLGA_1.key,
        "a user disabled": lambda p: p.via == "session" and p.user == "olga",
        "a token revoked": lambda p: p.via == "token" and p.key == TOKEN.key,
        "nothing matches": lambda p: False,
    }
    subs = {owner: hub.subscribe(None, owner)[0] for owner in (TOKEN, OLGA_1, OLGA_2, SAM)}
    assert hub.end_streams(matchers[why]) == len(ended)
    assert {owner for owner, sub in subs.items() if sub.ended is Ended.ACCESS} == ended


async def test_an_ended_stream_wakes_even_with_a_full_queue() -> None:
    hub = Hub(epoch=1)
    sub, _, _ = hub.subscribe(None, SAM)
    while not sub.queue.full():
        sub.queue.put_nowait(hub.publish("alarm", b"{}"))
    hub.end_streams(lambda p: True)
    assert sub.ended is Ended.ACCESS
    assert not sub.queue.empty()  # the stream's reader wakes and sees `ended`


async def test_shutdown_ends_every_stream_and_refuses_new_ones() -> None:
    hub = Hub(epoch=1)
    subs = [hub.subscribe(None, owner)[0] for owner in (TOKEN, SAM)]
    result = hub.shutdown()
    assert result.told == 2 and not hub.accepting
    assert [s.ended for s in subs] == [Ended.SHUTDOWN, Ended.SHUTDOWN]
    late, _, _ = hub.subscribe(None, SAM)
    assert late.ended is Ended.SHUTDOWN and hub.subscribers == 2


async def test_awaiting_shutdown_waits_until_the_streams_closed() -> None:
    hub = Hub(epoch=1)
    sub, _, _ = hub.subscribe(None, SAM)

    async def reader() -> None:
        await sub.queue.get()  # woken by the shutdown
        hub.unsubscribe(sub)

    task = asyncio.create_task(reader())
    assert await hub.shutdown() is True
    await task
    assert hub.subscribers == 0
