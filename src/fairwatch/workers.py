"""Both ends of `fairwatch serve --workers N` above the transports: what an HTTP worker process runs, and how the
writer process answers the submissions workers hand it.

A worker accepts connections, and for `POST /api/v1/events` authenticates (a token cache, no store read per
request), reads, decodes, validates and guards the body exactly as the single process does, then hands the
validated events to the writer over the channel (`ingest.channel`); the writer's answer (202 only after the commit)
goes back as it is. Every other request, and an ingest request without a bearer token (a console session), is
relayed to the writer process (`ingest.proxy`), which serves the API, the console and the event streams.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from fairwatch import config
from fairwatch.access import Permission, RevocationMarker, TokenCache, refusal, token_hash
from fairwatch.api.errors import error_body, json_response, unexpected_body
from fairwatch.api.routes import read_json_body
from fairwatch.clock import Clock, SystemClock
from fairwatch.errors import FairwatchError, Forbidden, Unauthorized
from fairwatch.events import decode_body, validate_events
from fairwatch.ingest.channel import Answer, ChannelClient
from fairwatch.ingest.http import Entry
from fairwatch.ingest.proxy import Proxy
from fairwatch.model import Event
from fairwatch.schemas import Catalogue
from fairwatch.settings import Settings
from fairwatch.store import SqlStore, sqlite_url

log = logging.getLogger("fairwatch.worker")


@dataclass
class Worker:
    """One HTTP worker: validates ingest bodies against the configuration in force and relays the rest."""

    settings: Settings
    clock: Clock
    tokens: TokenCache
    schemas: Catalogue
    zones: frozenset[str] | None
    channel: ChannelClient
    proxy: Proxy
    entry: Entry = field(init=False)

    def __post_init__(self) -> None:
        self.entry = Entry(self.proxy, self.ingest)

    @classmethod
    def build(cls, settings: Settings, channel: Path, http: Path, on_lost: Callable[[], None]) -> Worker:
        """A worker for `settings` talking to the writer's channel and HTTP sockets; raises ConfigError."""
        cfg = config.load(settings)
        clock = SystemClock()
        store = SqlStore(settings.database_url or sqlite_url(settings.data))  # read only: token roles
        tokens = TokenCache(
            store, clock, settings.token_cache_seconds, RevocationMarker.in_data(settings.data)
        )
        zones = cfg.site.zone_ids if cfg.site is not None else None
        return cls(settings, clock, tokens, cfg.schemas, zones, ChannelClient(channel, on_lost), Proxy(http))

    async def ingest(self, request: Request) -> Response:
        """`POST /api/v1/events`: the single process's checks, then the writer's answer after its commit."""
        header = request.headers.get("authorization")
        if not header:  # a console session: the writer knows sessions
            return _Relayed(self.proxy)
        try:
            self._authorize(header)
            body = await read_json_body(request)
            events = self._validated(body)
            answer = await self.channel.submit(events)
        except FairwatchError as exc:
            status, content, headers = error_body(exc)
            return json_response(content, status, headers)
        except Exception as exc:  # a bug or a foreign failure: logged with a correlation id, never echoed
            status, content, headers = unexpected_body(exc)
            return json_response(content, status, headers)
        return Response(answer.body, answer.status, headers=answer.headers, media_type="application/json")

    def _authorize(self, header: str) -> None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Authorization header must be 'Bearer <token>'")
        role = self.tokens.role(token_hash(token.strip()))
        if role is None:
            raise Unauthorized("invalid or revoked token")
        refused = refusal(role, Permission.INGEST)
        if refused is not None:
            raise Forbidden(refused)

    def _validated(self, body: bytes) -> list[Event]:
        raw = decode_body(body)
        max_age = self.settings.event_max_age_days * 86400.0
        return validate_events(raw, self.clock.now(), max_age, schemas=self.schemas, zones=self.zones)

    async def start(self) -> None:
        """Connect to the writer's channel."""
        await self.channel.connect()

    async def stop(self) -> None:
        """Close the channel and the relay's connections."""
        await self.channel.close()
        await self.proxy.close()


class _Relayed(Response):
    """A response that is the writer's answer to the same request (relayed when the entry sends it)."""

    def __init__(self, proxy: Proxy) -> None:
        super().__init__()
        self.proxy = proxy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.proxy(scope, receive, send)


def writer_answer(
    submit: Callable[[list[Event]], Awaitable[tuple[int, int]]],
) -> Callable[[list[Event]], Awaitable[Answer]]:
    """The writer process's side: commit a worker's events through `submit` (the single writer) and answer as
    `POST /api/v1/events` does in one process (202 after the commit; the same error bodies)."""

    async def answer(events: list[Event]) -> Answer:
        try:
            accepted, duplicates = await submit(events)
        except FairwatchError as exc:
            status, content, headers = error_body(exc)
            return Answer(0, status, orjson.dumps(content), headers)
        except Exception as exc:
            status, content, headers = unexpected_body(exc)
            return Answer(0, status, orjson.dumps(content), headers)
        return Answer(0, 202, orjson.dumps({"accepted": accepted, "duplicates": duplicates}))

    return answer
