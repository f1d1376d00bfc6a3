"""Who is calling: bearer tokens (devices, integrations) and, when the console is mounted, session users.

Every route declares the least role it needs with `requires(role)`; a route without one fails a test (deny by default).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from fairwatch.access import Principal
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
        role = ctx.role_for_token(token.strip())
        if role is None:
            raise Unauthorized("invalid or revoked token")
        return Principal(f"token:{_token_name(token)}", role, "token")
    lookup: SessionLookup | None = ctx.session_lookup
    if lookup is not None:
        principal = lookup(request)
        if principal is not None:
            return principal
    raise Unauthorized("missing credentials: send 'Authorization: Bearer <token>'")


def _token_name(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()[:12]


def requires(role: Role) -> Callable[[Request], Awaitable[Principal]]:
    """A FastAPI dependency that admits callers whose role is at least `role`."""

    async def dependency(request: Request) -> Principal:
        principal = authenticate(request)
        if not principal.role.allows(role):
            raise Forbidden(f"role '{principal.role.value}' may not do this; needs '{role.value}' or higher")
        request.state.principal = principal
        return principal

    dependency.required_role = role  # type: ignore[attr-defined]
    return dependency


PUBLIC = "public"
