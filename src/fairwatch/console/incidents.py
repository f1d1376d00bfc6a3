"""The incident pages: the incident stack (`/incidents`), one incident (`/incidents/{id}`) and the site-wide log
(`/log`). Like the queue they are shells their scripts fill from the incident API and its event stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Path
from starlette.responses import Response

from fairwatch.console.sessions import ConsoleUser
from fairwatch.errors import NotFound
from fairwatch.events.inputs import MAX_ID
from fairwatch.incidents import Disposition, MajorIncident
from fairwatch.incidents.log import WRITABLE_KINDS
from fairwatch.incidents.model import METHANE_FIELDS
from fairwatch.model import Role

if TYPE_CHECKING:
    from fairwatch.console.routes import Console


def add_routes(router: APIRouter, console: Console) -> None:
    """Add the incident pages to the console's router."""
    viewer = console.signed_in(Role.VIEWER)

    async def stack(user: ConsoleUser = Depends(viewer)) -> Response:
        cfg = _config(console, user, "incidents")
        return console.page("incidents.html", user, title="Incidents", nav="incidents", config=cfg)

    async def incident(
        incident_id: Annotated[int, Path(ge=1, le=MAX_ID)], user: ConsoleUser = Depends(viewer)
    ) -> Response:
        found = console.ctx.store.get_incident(incident_id)
        if found is None:
            raise NotFound(f"incident {incident_id} not found")
        cfg = _config(console, user, "incident", incident_id=incident_id)
        title = f"Incident {found.number}"
        return console.page("incident.html", user, title=title, nav="incidents", incident=found, config=cfg)

    async def site_log(user: ConsoleUser = Depends(viewer)) -> Response:
        cfg = _config(console, user, "sitelog")
        return console.page("sitelog.html", user, title="Control log", nav="log", config=cfg)

    router.add_api_route("/incidents", stack, methods=["GET"])
    router.add_api_route("/incidents/{incident_id}", incident, methods=["GET"])
    router.add_api_route("/log", site_log, methods=["GET"])


def _config(console: Console, user: ConsoleUser, page: str, **extra: Any) -> dict[str, Any]:
    """What the incident scripts need beyond the common config: who may write, the closed lists they offer."""
    people = [
        u.name for u in console.ctx.store.list_users() if not u.disabled and u.role.allows(Role.OPERATOR)
    ]
    return {
        "page": page,
        "can_write": user.role.allows(Role.OPERATOR),
        "can_reopen": user.role.allows(Role.SUPERVISOR),
        "users": people,
        "log_kinds": list(WRITABLE_KINDS),
        "methane_fields": list(METHANE_FIELDS),
        "dispositions": [d.value for d in Disposition],
        "major_incident": [m.value for m in MajorIncident],
        **extra,
    }
