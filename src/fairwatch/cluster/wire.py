"""What travels on the cluster's streams, as msgspec MessagePack: events, committed changes, commands, replies."""

from __future__ import annotations

import msgspec

from fairwatch.model import Event


class Change(msgspec.Struct, array_like=True):
    """One committed change as SSE sends it: the stream's event name (`alarm`, `incident`, ...) and its JSON data."""

    kind: str
    data: bytes


class Command(msgspec.Struct, array_like=True):
    """An operator's write, forwarded by an edge to the owner of its partition: the HTTP request as received
    (method, path with query, the headers that carry identity and versions, body). The owner answers it with its
    own API, so every check (role, version compare-and-set -> 409, rights guard) runs where the state lives."""

    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes


class Reply(msgspec.Struct, array_like=True):
    """The owner's HTTP answer to a `Command`, returned by the edge as it is."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


_encoder = msgspec.msgpack.Encoder()
encode = _encoder.encode
decode_event = msgspec.msgpack.Decoder(Event).decode
decode_change = msgspec.msgpack.Decoder(Change).decode
decode_command = msgspec.msgpack.Decoder(Command).decode
decode_reply = msgspec.msgpack.Decoder(Reply).decode
