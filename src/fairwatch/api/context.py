"""What request handlers need, handed to them by the app (the api layer never imports the app)."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from starlette.responses import Response

from fairwatch.access import Principal
from fairwatch.alarms import AlarmChange
from fairwatch.clock import Clock
from fairwatch.metrics import Metrics
from fairwatch.model import Role
from fairwatch.settings import Settings
from fairwatch.store import Store
from fairwatch.stream import Hub
from fairwatch.writer import Pipeline


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
    # The console, when mounted, signs session users in and renders error pages for browsers:
    session_lookup: Callable[[Request], Principal | None] | None = None
    html_error: Callable[[Request, int, dict[str, Any]], Response | None] | None = None
    # Extensions (console, notifiers, MQTT ...) register here instead of editing the app:
    readiness: list[Callable[[], str | None]] = field(
        default_factory=list
    )  # a problem text, or None when ready
    on_start: list[Callable[[], Awaitable[None]]] = field(default_factory=list)  # after the writer started
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)  # before the writer stops
    change_listeners: list[Callable[[list[AlarmChange]], None]] = field(
        default_factory=list
    )  # after each commit
    _token_cache: dict[str, tuple[Role, str]] = field(default_factory=dict)

    def role_for_token(self, token: str) -> Role | None:
        """The role of a bearer token, or None; valid tokens are cached by hash."""
        digest = hashlib.sha256(token.encode()).hexdigest()
        cached = self._token_cache.get(digest)
        if cached is not None:
            return cached[0]
        role = self.store.token_role(digest)
        if role is not None:
            self._token_cache[digest] = (role, digest[:12])
        return role
