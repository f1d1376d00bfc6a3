"""An edge's operator writes: every request that is not a read (GET, HEAD, OPTIONS) and not ingest goes to the
owner of its partition as a `wire.Command`, and the owner's `wire.Reply` is the answer, as it is.

The owner answers with its own API (role checks, the version compare-and-set that makes a lost race a 409, the
rights guard), so the edge checks nothing itself; the caller's credentials (session cookie, bearer token) travel
in the command's headers. The partition is that of the object's site, read from PostgreSQL: an alarm
(`/alarms/<id>/...`), an incident (`/incidents/<id>/...`) or a welfare case (`/welfare/cases/<id>/...`);
everything else (users, tokens, silences, phases, kiosks, sign-in) goes to `_global`. No responder within
`timeout` seconds is a 503 with Retry-After. The caller's address travels in `x-fairwatch-peer` (any such header
from the caller is dropped), as the relay of `serve --workers` passes it.
"""

from __future__ import annotations

import re

import nats.errors
import orjson
from nats.aio.client import Client
from sqlalchemy import select
from starlette.types import Message, Receive, Scope, Send

from fairwatch.cluster import names, wire
from fairwatch.ingest.http import EVENTS_PATH, Entry
from fairwatch.ingest.install import ALERTMANAGER_PATH
from fairwatch.ingest.proxy import PEER_HEADER
from fairwatch.store import SqlStore
from fairwatch.store import schema as tables
from fairwatch.transparency.routes import EXPORT_PATH

COMMAND_TIMEOUT_S = 5.0
RETRY_AFTER_S = 2
READS = frozenset({"GET", "HEAD", "OPTIONS"})
INGEST = frozenset({EVENTS_PATH, ALERTMANAGER_PATH})  # published by the edge itself
# Reads that write: the public taxonomy export stores the hash link of each new version of itself, so the
# `_global` owner serves it (one chain of versions for the cluster).
WRITING_READS = frozenset({EXPORT_PATH})
_DROP = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade", "content-length"})
_OBJECT = re.compile(r"/(alarms|incidents|welfare/cases)/(\d{1,18})(?:/|$)")
_TABLES = {"alarms": tables.alarms, "incidents": tables.incidents, "welfare/cases": tables.welfare_cases}


class Forwarder(Entry):
    """The edge's entry: writes go to their owner, the rest (reads, ingest, lifespan) to the app's entry."""

    def __init__(self, entry: Entry, store: SqlStore, timeout: float = COMMAND_TIMEOUT_S) -> None:
        super().__init__(entry.api, entry.handler)
        self.store = store
        self.timeout = timeout
        self.nc: Client | None = None  # set when the edge has connected

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] in INGEST
            or (scope["method"] in READS and scope["path"] not in WRITING_READS)
        ):
            await super().__call__(scope, receive, send)
            return
        body = await _body(receive)
        path = scope["path"]
        query = scope.get("query_string", b"")
        sent = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        headers = [(k, v) for k, v in sent if k.lower() not in _DROP and k.lower() != PEER_HEADER]
        client = scope.get("client")
        if (
            client
        ):  # the caller's address (sign-in limits, audit), as the relay of `serve --workers` passes it
            headers.append((PEER_HEADER, f"{client[0]}:{client[1]}"))
        target = path + ("?" + query.decode("latin-1") if query else "")
        command = wire.Command(scope["method"], target, headers, body)
        reply = await self.forward(self.partition(path), command)
        out = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in reply.headers if k.lower() not in _DROP]
        out.append((b"content-length", str(len(reply.body)).encode()))
        await send({"type": "http.response.start", "status": reply.status, "headers": out})
        await send({"type": "http.response.body", "body": reply.body})

    def partition(self, path: str) -> str:
        """The partition that owns the object `path` writes to: its site's, else `_global`."""
        found = _OBJECT.search(path)
        if found is None:
            return names.GLOBAL
        table = _TABLES[found.group(1)]
        with self.store.engine.connect() as conn:
            site = conn.execute(select(table.c.site).where(table.c.id == int(found.group(2)))).scalar()
        return names.GLOBAL if site is None else names.partition_of(site)

    async def forward(self, partition: str, command: wire.Command) -> wire.Reply:
        """The owner's reply, or a 503 reply when nobody answers in time."""
        if self.nc is None:
            return _unavailable("the edge is not connected to NATS yet")
        try:
            msg = await self.nc.request(names.command_subject(partition), wire.encode(command), self.timeout)
        except nats.errors.MaxPayloadError:
            body = orjson.dumps({"error": "too_large", "message": "the request is too large to forward"})
            return wire.Reply(413, [("content-type", "application/json")], body)
        except nats.errors.NoRespondersError:
            return _unavailable(f"no owner of partition {partition} is answering; retry shortly")
        except (nats.errors.Error, TimeoutError):
            return _unavailable(f"the owner of partition {partition} did not answer in time; retry shortly")
        return wire.decode_reply(msg.data)


async def _body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message: Message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _unavailable(message: str) -> wire.Reply:
    body = orjson.dumps({"error": "store_unavailable", "message": message})
    return wire.Reply(503, [("content-type", "application/json"), ("retry-after", str(RETRY_AFTER_S))], body)
