"""What an extension (console, notify, ingest transports, transparency, phases) needs of the app's context.

`api.Context` satisfies every extension's `Host`; each extension narrows `pipeline` to the writer methods it uses,
because the writer (`writer.Pipeline`) sits above most extensions in the layer order. A foundation module: it names
store types only for type checking.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from fairwatch.clock import Clock
from fairwatch.settings import Settings

if TYPE_CHECKING:
    from fairwatch.model import Role
    from fairwatch.store import Store

Requires = Callable[["Role"], Callable[..., Awaitable[Any]]]  # api.auth.requires, handed down to extensions


class HostBase(Protocol):
    """The parts of the app's context every extension uses."""

    @property
    def store(self) -> Store: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def settings(self) -> Settings: ...
    @property
    def on_start(self) -> list[Callable[[], Awaitable[None]]]: ...
    @property
    def on_stop(self) -> list[Callable[[], Awaitable[None]]]: ...
