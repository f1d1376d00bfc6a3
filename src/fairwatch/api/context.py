"""What request handlers need, handed to them by the app (the api layer never imports the app)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from starlette.responses import Response

from fairwatch.access import Principal, RevocationMarker, TokenCache, token_hash
from fairwatch.alarms import AlarmChange
from fairwatch.clock import Clock
from fairwatch.field import FieldDesk
from fairwatch.field.checklists import Checklists
from fairwatch.incidents import IncidentDesk
from fairwatch.measures import Board
from fairwatch.metrics import Metrics
from fairwatch.model import Role
from fairwatch.schemas import Catalogue, builtin
from fairwatch.settings import Settings
from fairwatch.store import Store
from fairwatch.stream import Hub
from fairwatch.writer import Pipeline


def no_escalations(_alarm_ids: Sequence[int]) -> dict[int, int]:
    """The escalation levels without escalation policies: none."""
    return {}


@dataclass
class Context:
    """Everything a handler may touch."""

    store: Store
    pipeline: Pipeline
    hub: Hub
    clock: Clock
    metrics: Metrics
    settings: Settings = field(default_factory=Settings)
    version: str = "0.1.0"
    incidents: IncidentDesk = field(
        default_factory=IncidentDesk.default
    )  # the deployment's taxonomy and cards
    field_desk: FieldDesk = field(default_factory=FieldDesk)  # units, their timers and one-time links
    checklists: Checklists = field(default_factory=Checklists)  # readiness checks ticked on the units' phones
    # What ingest accepts (RS-10): the event schemas in force, and the site's zone ids (None: no site loaded).
    schemas: Catalogue = field(default_factory=builtin)
    zones: frozenset[str] | None = None
    measures: Board | None = None  # live crowd measures of the site (api/zones.py); None without a site
    zone_names: dict[str, str] = field(default_factory=dict)  # zone id -> display name (free-text search)
    # The console, when mounted, signs session users in and renders error pages for browsers:
    session_lookup: Callable[[Request], Principal | None] | None = None
    html_error: Callable[[Request, int, dict[str, Any]], Response | None] | None = None
    # Alarm id -> the escalation level its current episode reached (notify's escalation policies, when any):
    escalation_levels: Callable[[Sequence[int]], dict[int, int]] = no_escalations
    # Extensions (console, notifiers, MQTT ...) register here instead of editing the app:
    readiness: list[Callable[[], str | None]] = field(
        default_factory=list
    )  # a problem text, or None when ready
    on_start: list[Callable[[], Awaitable[None]]] = field(default_factory=list)  # after the writer started
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)  # before the writer stops
    change_listeners: list[Callable[[list[AlarmChange]], None]] = field(
        default_factory=list
    )  # after each commit
    revocations: RevocationMarker | None = None
    # Bearer tokens' roles (access.TokenCache): no store read per request on the ingest hot path.
    tokens: TokenCache = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = TokenCache(self.store, self.clock, self.settings.token_cache_seconds, self.revocations)

    def role_for_token(self, token: str) -> Role | None:
        """The role of a bearer token, or None when it is unknown or revoked."""
        return self.role_for_token_hash(token_hash(token))

    def role_for_token_hash(self, digest: str) -> Role | None:
        """The role of a token by its hash; read from the store at most once per `token_cache_seconds`."""
        return self.tokens.role(digest)

    def forget_tokens(self, hashes: Iterable[str]) -> None:
        """Drop revoked tokens from the cache: their next request is refused, here and (through the revocation
        marker) in every other process on this data directory, such as the HTTP workers of `serve --workers`."""
        self.tokens.forget(hashes)
