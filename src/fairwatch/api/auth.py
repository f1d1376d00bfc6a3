"""Who is calling: bearer tokens (devices, integrations) and, when the console is mounted, session users.

Every route declares what it needs with `requires(role_or_permission)`; a route without one fails a test (deny by
default). People's roles are a ladder (steward < viewer < operator < supervisor < admin); posting events is the `ingest`
permission of device tokens only (`access.permits`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from fairwatch.access import Permission, Principal, refusal, token_hash
from fairwatch.errors import Forbidden, Unauthorized
from fairwatch.model import Role

SessionLookup = Callable[[Request], Principal | None]


def authenticate(request: Request) -> Principal:
    """The caller of `request`, from a bearer token or a console session; Unauthorized otherwise."""
    ctx = request.app.state.ctx
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Authorization header must be 'Bearer <token>'")
        digest = token_hash(token.strip())
        role = ctx.role_for_token_hash(digest)
        if role is None:
            raise Unauthorized("invalid or revoked token")
        return Principal(f"token:{digest[:12]}", role, "token", digest)
    lookup: SessionLookup | None = ctx.session_lookup
    if lookup is not None:
        principal = lookup(request)
        if principal is not None:
            return principal
    raise Unauthorized("missing credentials: send 'Authorization: Bearer <token>'")


def authorize(request: Request, need: Role | Permission) -> Principal:
    """The caller of `request` when it may do what needs `need`; Unauthorized or Forbidden otherwise."""
    principal = authenticate(request)
    refused = refusal(principal.role, need)
    if refused is not None:
        raise Forbidden(refused)
    return principal


def requires(need: Role | Permission) -> Callable[[Request], Awaitable[Principal]]:
    """A FastAPI dependency admitting callers with the least role (or the permission) `need`."""

    async def dependency(request: Request) -> Principal:
        principal = authorize(request, need)
        request.state.principal = principal
        return principal

    dependency.required_role = need  # type: ignore[attr-defined]
    return dependency


PUBLIC = "public"
