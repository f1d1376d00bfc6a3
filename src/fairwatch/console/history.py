"""Console pages for finding and parking alarms: `/history` (free-text search over resolved and other alarms, with
a time range, paged; the shelved alarms) and `/silences` (list; supervisors create and expire them).

Both are shells their scripts fill from the JSON API (`/api/v1/alarms?q=...`, `/api/v1/silences`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends
from starlette.responses import Response

from fairwatch.console.sessions import ConsoleUser
from fairwatch.model import Role

if TYPE_CHECKING:
    from fairwatch.console.routes import Console


def history_routes(router: APIRouter, console: Console) -> None:
    """Register `/history` and `/silences` (viewer and up; what a role may do is the API's to enforce)."""
    viewer = console.signed_in(Role.VIEWER)

    async def history(user: ConsoleUser = Depends(viewer)) -> Response:
        cfg = {"page": "history", "can_unshelve": user.role.allows(Role.OPERATOR)}
        return console.page("history.html", user, title="History", nav="history", config=cfg)

    async def silences(user: ConsoleUser = Depends(viewer)) -> Response:
        may = user.role.allows(Role.SUPERVISOR)
        cfg = {"page": "silences", "can_silence": may}
        return console.page(
            "silences.html", user, title="Silences", nav="silences", can_silence=may, config=cfg
        )

    router.add_api_route("/history", history, methods=["GET"])
    router.add_api_route("/silences", silences, methods=["GET"])
