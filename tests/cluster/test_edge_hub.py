"""The stream hub with stream ids (an edge): ids are the change stream's sequences, a resumed client gets every
message after its Last-Event-ID once, and a message at or below it never again."""

from __future__ import annotations

from fairwatch.stream import Hub, Message


def _ids(messages: list[Message]) -> list[str]:
    return [m.id for m in messages]


async def test_ids_are_sequences_and_a_resume_replays_exactly_what_follows() -> None:
    hub = Hub(epoch=1, stream_ids=True)
    for seq in (5, 6, 7):
        hub.publish("alarm", b"{}", seq=seq)
    assert hub.last == 7
    sub, missed, reset = hub.subscribe("5")
    assert (_ids(missed), reset) == (["6", "7"], False)
    hub.publish("alarm", b"{}", seq=7)  # the consumer delivered it again: not sent twice
    hub.publish("alarm", b"{}", seq=8)
    assert sub.queue.get_nowait().id == "8"
    assert sub.queue.empty()


async def test_a_client_ahead_of_this_edge_gets_nothing_it_has_already() -> None:
    hub = Hub(epoch=1, stream_ids=True)
    hub.publish("alarm", b"{}", seq=3)
    sub, missed, reset = hub.subscribe("5")  # it saw 4 and 5 on a faster edge
    assert (missed, reset) == ([], False)
    for seq in (4, 5, 6):
        hub.publish("alarm", b"{}", seq=seq)
    assert sub.queue.get_nowait().id == "6"
    assert sub.queue.empty()


async def test_too_old_or_foreign_ids_ask_the_console_to_reload() -> None:
    hub = Hub(epoch=1, history=2, stream_ids=True)
    for seq in (10, 11, 12):
        hub.publish("alarm", b"{}", seq=seq)
    assert hub.subscribe("8")[1:] == ([], True)  # 9..10 are no longer held
    assert hub.subscribe("1-4")[1:] == ([], True)  # an id of a single process
    assert _ids(hub.subscribe("10")[1]) == ["11", "12"]


async def test_without_stream_ids_the_hub_numbers_its_own_messages_as_before() -> None:
    hub = Hub(epoch=42)
    first = hub.publish("alarm", b"{}")
    hub.publish("alarm", b"{}")
    assert first.id == "42-1"
    _sub, missed, reset = hub.subscribe("42-1")
    assert (_ids(missed), reset) == (["42-2"], False)
