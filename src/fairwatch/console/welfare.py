"""The console's welfare page (`/welfare`, docs/welfare.md): open and recent cases, a form to open one and one to
record that a person is found. Rendered whole (no script reads cases: they never go on the event stream). Only
for users with the welfare permission; to anyone else the page answers what an unknown path answers (404)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from fairwatch.access import Permission, permits
from fairwatch.console.sessions import ConsoleUser
from fairwatch.events.inputs import MAX_ID
from fairwatch.model import Role
from fairwatch.welfare import AgeBand, CaseKind, HeightBand, Welfare

if TYPE_CHECKING:  # routes.py imports this module
    from fairwatch.console.routes import Console

NARRATIVE = ("clothing", "contact")


def add_routes(router: APIRouter, console: Console) -> None:
    """`GET /welfare`, `POST /welfare/cases`, `POST /welfare/cases/{id}/found`."""
    signed_in = console.signed_in(Role.VIEWER)

    async def member(request: Request) -> ConsoleUser:
        user = await signed_in(request)
        if not permits(user.role, Permission.WELFARE):
            raise HTTPException(404, "Not Found")
        return user

    member.required_role = Permission.WELFARE  # type: ignore[attr-defined]
    welfare_user: Callable[[Request], Awaitable[ConsoleUser]] = member

    async def page(request: Request, user: ConsoleUser = Depends(welfare_user)) -> Response:
        store = console.ctx.store
        return console.page(
            "welfare.html",
            user,
            title="Welfare",
            nav="welfare",
            open_cases=store.list_welfare_cases(("open",)),
            closed_cases=store.list_welfare_cases(("closed",), limit=50),
            kinds=[k.value for k in CaseKind],
            ages=[a.value for a in AgeBand],
            heights=[h.value for h in HeightBand],
            zone_ids=sorted(console.zone_names),
            config={"page": "welfare"},
        )

    async def create(request: Request, user: ConsoleUser = Depends(welfare_user)) -> Response:
        form = await console.checked_form(request, user)
        doc = case_document(form)
        welfare = _welfare(request)
        case = await console.ctx.pipeline.call(lambda txn, now: welfare.desk.create(txn, user.name, doc, now))
        welfare.timer.changed()
        return RedirectResponse(f"/welfare#case-{case.id}", 303)

    async def found(
        case_id: Annotated[int, Path(ge=1, le=MAX_ID)],
        request: Request,
        user: ConsoleUser = Depends(welfare_user),
    ) -> Response:
        form = await console.checked_form(request, user)
        doc = {"note": form.get("note") or None}
        welfare, pipeline = _welfare(request), console.ctx.pipeline
        await pipeline.call(
            lambda txn, now: welfare.found(txn, pipeline.alarms, user.name, case_id, doc, now)
        )
        welfare.timer.changed()
        return RedirectResponse(f"/welfare#case-{case_id}", 303)

    router.add_api_route("/welfare", page, methods=["GET"])
    router.add_api_route("/welfare/cases", create, methods=["POST"])
    router.add_api_route("/welfare/cases/{case_id}/found", found, methods=["POST"])


def case_document(form: FormData) -> dict[str, Any]:
    """The API's request body from the form: empty fields are absent, the checkbox is a boolean."""
    doc: dict[str, Any] = {
        k: v
        for k in ("kind", "age_band", "height_band", "last_seen_zone", *NARRATIVE)
        if isinstance(v := form.get(k), str) and v.strip()
    }
    doc["vulnerable"] = form.get("vulnerable") == "on"
    return doc


def _welfare(request: Request) -> Welfare:
    found = request.app.state.welfare
    assert isinstance(found, Welfare)
    return found
