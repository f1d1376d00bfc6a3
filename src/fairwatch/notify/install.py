"""Wiring: `install(asgi, ctx, requires)` registers the CAP issuer, silences, the notification dispatcher and
escalation policies (when a notification file is set), and the CAP and silence routes.

notify sits below the API, so it cannot import the API's role check; the app hands it in as `requires`
(`fairwatch.api.auth.requires`), keeping one implementation of authentication.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

import httpx
import orjson
from fastapi import Depends, FastAPI, Path, Request
from starlette.responses import Response

from fairwatch.access import Principal
from fairwatch.alarms import AlarmChange
from fairwatch.errors import ConfigError, InvalidInput, NotFound, Problem
from fairwatch.events.inputs import MAX_ID, decode_json
from fairwatch.hosting import HostBase, Requires
from fairwatch.metrics import Metrics
from fairwatch.model import Role, Severity
from fairwatch.notify import atom, cap
from fairwatch.notify.cap_issuer import CapIssuer
from fairwatch.notify.email import EmailNotifier
from fairwatch.notify.escalation import EscalationService
from fairwatch.notify.model import EMPTY, NotifyConfig
from fairwatch.notify.mqtt_out import MqttNotifier
from fairwatch.notify.notifier import Notifier
from fairwatch.notify.pipeline import Dispatcher, Writer
from fairwatch.notify.silences import MAX_REASON, SilenceService, parse_statuses, silence_json
from fairwatch.notify.webhook import WebhookNotifier
from fairwatch.site import Site
from fairwatch.taxonomy import Taxonomy

MAX_SILENCE_BODY = 64 * 1024


class Publishing(Writer, Protocol):
    """The single writer that also fans committed alarm changes out (ingest.Pipeline)."""

    @property
    def on_changes(self) -> Callable[[list[AlarmChange]], None]: ...


class Host(HostBase, Protocol):
    """What notify needs from the app's context (api.Context satisfies it)."""

    @property
    def pipeline(self) -> Publishing: ...
    @property
    def metrics(self) -> Metrics: ...
    @property
    def version(self) -> str: ...
    @property
    def change_listeners(self) -> list[Callable[[list[AlarmChange]], None]]: ...


@dataclass
class NotifyService:
    """The running notification side (`App.notify`)."""

    issuer: CapIssuer
    silences: SilenceService
    dispatcher: Dispatcher | None = None
    escalations: EscalationService | None = None


def install(
    asgi: FastAPI,
    ctx: Host,
    requires: Requires,
    config: NotifyConfig | None,
    site: Site | None,
    taxonomy: Taxonomy,
) -> NotifyService:
    """Register CAP issuing, silences, the dispatcher and escalations (with a notification `config`) and their
    routes on `ctx` and `asgi`."""
    settings = ctx.settings
    issuer = CapIssuer(
        ctx.store,
        ctx.pipeline,
        sender=cap_sender(settings.cap_sender),
        public=public_severities(settings.cap_public_severities),
        site=lambda: site,
        taxonomy=taxonomy,
    )
    # Without a dispatcher nothing is sent, but silences still end (and are audited) on their own timer.
    interval = 0.0 if config is not None else settings.notify_interval
    silences = SilenceService(config or EMPTY, ctx.store, ctx.pipeline, ctx.clock, interval=interval)
    service = NotifyService(issuer, silences)
    ctx.change_listeners.append(issuer.on_changes)
    ctx.on_start.append(issuer.start)
    ctx.on_start.append(silences.start)
    ctx.on_stop.append(issuer.drain)
    ctx.on_stop.append(silences.stop)
    if config is not None:
        service.escalations = _escalations(ctx, config, silences)
        service.dispatcher = _dispatcher(ctx, config, silences, service.escalations)
    _routes(asgi, ctx, issuer, requires)
    _silence_routes(asgi, ctx, silences, requires)
    return service


def _escalations(ctx: Host, config: NotifyConfig, silences: SilenceService) -> EscalationService | None:
    if not config.escalations:
        return None
    escalations = EscalationService(
        config, ctx.store, ctx.pipeline, ctx.clock, ctx.pipeline.on_changes, silences
    )
    ctx.change_listeners.append(escalations.on_changes)
    ctx.on_start.append(escalations.start)  # before the dispatcher's loop can run it
    return escalations


def _dispatcher(
    ctx: Host, config: NotifyConfig, silences: SilenceService, escalations: EscalationService | None
) -> Dispatcher:
    client = httpx.AsyncClient(follow_redirects=False)
    notifiers = build_notifiers(config, client, f"fairwatch/{ctx.version}")
    dispatcher = Dispatcher(
        config,
        ctx.store,
        ctx.pipeline,
        ctx.clock,
        ctx.metrics,
        notifiers,
        interval=ctx.settings.notify_interval,
    )
    dispatcher.muter = silences
    silences.on_logged = dispatcher.wake
    silences.before_end = dispatcher.drain
    dispatcher.timers.append(silences.run_due)  # a silence's end first: its re-notifications go out at once
    if escalations is not None:
        dispatcher.timers.append(escalations.run_due)
    ctx.change_listeners.append(dispatcher.on_changes)
    ctx.on_start.append(dispatcher.start)
    ctx.on_stop.append(client.aclose)
    ctx.on_stop.append(dispatcher.stop)  # stop hooks run in reverse: the dispatcher stops before its client
    return dispatcher


def build_notifiers(config: NotifyConfig, client: httpx.AsyncClient, user_agent: str) -> dict[str, Notifier]:
    """One notifier per receiver."""
    out: dict[str, Notifier] = {}
    for r in config.receivers.values():
        if r.channel == "webhook":
            out[r.name] = WebhookNotifier(r, client, user_agent)
        elif r.channel == "email":
            out[r.name] = EmailNotifier(r)
        else:
            out[r.name] = MqttNotifier(r)
    return out


def cap_sender(value: str) -> str:
    """The CAP sender: the setting, or fairwatch@<this host>; CAP forbids spaces, commas, '<' and '&' in it."""
    sender = value or f"fairwatch@{socket.getfqdn()}"
    if any(ch in sender for ch in " ,<&") or not sender.strip():
        raise ConfigError(
            [f"cap_sender: must not be empty or contain spaces, commas, '<' or '&' (got {sender!r})"]
        )
    return sender


def public_severities(value: str) -> frozenset[Severity]:
    """Severities named in `cap_public_severities`."""
    names = [v.strip() for v in value.split(",") if v.strip()]
    known = {s.value for s in Severity}
    bad = [n for n in names if n not in known]
    if bad:
        expected = ", ".join(s.value for s in Severity)
        raise ConfigError([f"cap_public_severities: unknown severity {bad[0]!r} (expected {expected})"])
    return frozenset(Severity(n) for n in names)


# -- routes ----------------------------------------------------------------------------------------------------
def _routes(asgi: FastAPI, ctx: Host, issuer: CapIssuer, requires: Requires) -> None:
    async def alarm_cap(
        alarm_id: Annotated[int, Path(ge=1, le=MAX_ID)], _p: Any = Depends(requires(Role.VIEWER))
    ) -> Response:
        message = await issuer.current(alarm_id)
        return Response(message.xml.encode(), media_type=cap.MEDIA_TYPE)

    async def cap_feed(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        body = atom.feed(
            issuer.public_feed(),
            self_url=f"{base}/feeds/cap.atom",
            message_url=lambda m: f"{base}/feeds/cap/{m.identifier}.xml",
            now=ctx.clock.now(),
        )
        return Response(body.encode(), media_type=atom.ATOM_TYPE)

    async def cap_public_message(identifier: str) -> Response:
        message = issuer.public_message(identifier)
        if message is None:
            raise NotFound(f"no public CAP message {identifier!r}")
        return Response(message.xml.encode(), media_type=cap.MEDIA_TYPE)

    xml: dict[int | str, dict[str, Any]] = {
        200: {"description": "A CAP 1.2 message", "content": {cap.MEDIA_TYPE: {"schema": {"type": "string"}}}}
    }
    asgi.add_api_route(
        "/api/v1/alarms/{alarm_id}/cap",
        alarm_cap,
        methods=["GET"],
        summary="The alarm's current CAP 1.2 message",
        responses=xml,
    )
    feed: dict[int | str, dict[str, Any]] = {
        200: {"description": "Atom feed", "content": {atom.ATOM_TYPE: {"schema": {"type": "string"}}}}
    }
    asgi.add_api_route(
        "/feeds/cap.atom",
        cap_feed,
        methods=["GET"],
        summary="Atom feed of public alarms (CAP 1.2)",
        responses=feed,
    )
    asgi.add_api_route(
        "/feeds/cap/{identifier}.xml",
        cap_public_message,
        methods=["GET"],
        summary="A public CAP 1.2 message",
        responses=xml,
    )
    cap_feed.public = True  # type: ignore[attr-defined]
    cap_public_message.public = True  # type: ignore[attr-defined]


def _silence_routes(asgi: FastAPI, ctx: Host, silences: SilenceService, requires: Requires) -> None:
    async def create_silence(request: Request, p: Principal = Depends(requires(Role.SUPERVISOR))) -> Response:
        made = await silences.create(await _json_body(request), p.name)
        return _json(silence_json(made, ctx.clock.now()), 201)

    async def list_silences(request: Request, _p: Any = Depends(requires(Role.VIEWER))) -> Response:
        wanted = [v.strip() for raw in request.query_params.getlist("status") for v in raw.split(",")]
        statuses = parse_statuses(v for v in wanted if v)
        now = ctx.clock.now()
        return _json({"silences": [silence_json(s, now) for s in silences.query(now, statuses)]})

    async def delete_silence(
        silence_id: Annotated[int, Path(ge=1, le=MAX_ID)], p: Principal = Depends(requires(Role.SUPERVISOR))
    ) -> Response:
        ended = await silences.delete(silence_id, p.name)
        return _json(silence_json(ended, ctx.clock.now()))

    summary = (
        "Silence notifications about matching alarms for a while: {matchers, starts_at, ends_at, reason}"
    )
    asgi.add_api_route(
        "/api/v1/silences",
        create_silence,
        methods=["POST"],
        status_code=201,
        summary=summary,
        openapi_extra=SILENCE_BODY,
    )
    asgi.add_api_route(
        "/api/v1/silences", list_silences, methods=["GET"], summary="Silences, newest first (?status=active)"
    )
    asgi.add_api_route(
        "/api/v1/silences/{silence_id}",
        delete_silence,
        methods=["DELETE"],
        summary="Expire a silence now; its held-back alarms are re-notified",
        responses={409: {"description": "The silence has expired already"}},
    )


_TIME = {"type": "string", "format": "date-time"}
SILENCE_BODY = {  # the OpenAPI request body; parse_silence is the authority and names every problem
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["matchers", "ends_at", "reason"],
                    "additionalProperties": False,
                    "properties": {
                        "matchers": {"type": "object", "minProperties": 1},
                        "starts_at": {**_TIME, "type": ["string", "null"]},
                        "ends_at": _TIME,
                        "reason": {"type": "string", "minLength": 1, "maxLength": MAX_REASON},
                    },
                }
            }
        },
    }
}


async def _json_body(request: Request) -> Any:
    """The JSON body of a request (the API's reader lives above notify)."""
    ctype = request.headers.get("content-type", "")
    if ctype.split(";", 1)[0].strip().lower() != "application/json":
        raise InvalidInput(
            [Problem("Content-Type", ctype or None, "must be application/json")], "invalid request"
        )
    body = await request.body()
    if len(body) > MAX_SILENCE_BODY:
        message = f"must be at most {MAX_SILENCE_BODY} bytes"
        raise InvalidInput([Problem("body", len(body), message)], "invalid request")
    return decode_json(body)  # characters a store cannot hold and deep nesting are a 422 naming the field


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")
