"""Wires the field's protocols into a running app: MQTT ingest (with the Frigate adapter), the Alertmanager webhook
receiver and the Prometheus `/metrics` endpoint.

The ingest layer sits below the API, so it cannot import the API's role check; the app hands it in as `requires`
(`fairwatch.api.auth.requires`), keeping one implementation of authentication.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import orjson
from fastapi import Depends, FastAPI, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from fairwatch.errors import ConfigError, InvalidInput
from fairwatch.events import MAX_BATCH, MAX_BODY
from fairwatch.events.inputs import decode_json
from fairwatch.hosting import HostBase, Requires
from fairwatch.ingest.adapters import alertmanager, frigate
from fairwatch.ingest.mqtt import MqttIngest, Route, events_route, parse_broker, topic_filters
from fairwatch.metrics import Metrics
from fairwatch.model import Role
from fairwatch.schemas import Catalogue
from fairwatch.site import Site
from fairwatch.writer.pipeline import Pipeline

ALERTMANAGER_PATH = "/api/v1/adapters/alertmanager"


class Host(HostBase, Protocol):
    """What ingest needs of the app's context (`api.Context` has all of it)."""

    @property
    def pipeline(self) -> Pipeline: ...
    @property
    def metrics(self) -> Metrics: ...
    @property
    def readiness(self) -> list[Callable[[], str | None]]: ...


def install(
    asgi: FastAPI, ctx: Host, requires: Requires, site: Site | None = None, schemas: Catalogue | None = None
) -> MqttIngest | None:
    """Add the Alertmanager receiver and /metrics; start MQTT ingest with the app when `mqtt_url` is set and
    return it. Frigate zones are those of `site` (none without one); MQTT event JSON is checked against
    `schemas` (the built-in catalogue when None) and the site's zones."""
    _add_alertmanager(asgi, ctx, requires, site.zone_ids if site is not None else None)
    _add_metrics(asgi, ctx, requires)
    ingest = build_mqtt(ctx, site, schemas)
    if ingest is not None:
        ctx.readiness.append(ingest.readiness)
        ctx.on_start.append(ingest.start)
        ctx.on_stop.append(ingest.stop)
    return ingest


def build_mqtt(ctx: Host, site: Site | None = None, schemas: Catalogue | None = None) -> MqttIngest | None:
    """The MQTT subscriber the settings ask for, or None; a bad broker URL or topic is a ConfigError."""
    s = ctx.settings
    if s.mqtt_url is None:
        if s.frigate_prefix:
            raise ConfigError(["frigate_prefix: needs mqtt_url (Frigate is read from its MQTT broker)"])
        return None
    broker = parse_broker(s)
    routes: list[Route] = []
    if s.frigate_prefix:
        dropped, items = ctx.metrics.identity_dropped, ctx.metrics.adapter_dropped
        zones = site.zone_ids if site is not None else frozenset[str]()  # without a site, no zones
        routes += frigate.routes(
            s.frigate_prefix,
            zones,
            lambda name: dropped.labels("frigate", name).inc(),
            lambda reason, n: items.labels("frigate", reason.value).inc(n),
        )
    site_zones = site.zone_ids if site is not None else None
    routes += [events_route(f, schemas, site_zones) for f in topic_filters(s.mqtt_topics)]
    return MqttIngest(
        broker,
        routes,
        ctx.pipeline.submit,
        ctx.clock,
        ctx.metrics,
        deadletter_prefix=s.mqtt_deadletter_prefix,
        batch_events=s.batch_max,
    )


# -- Alertmanager -----------------------------------------------------------------------------------------------
def _add_alertmanager(asgi: FastAPI, ctx: Host, requires: Requires, zones: frozenset[str] | None) -> None:
    async def receive_alertmanager(request: Request, _p: Any = Depends(requires(Role.DEVICE))) -> Response:
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        try:
            batch = alertmanager.from_webhook(body)
        except InvalidInput:
            _count_rejected(ctx.metrics, 1, 0)
            raise
        events = alertmanager.judge(batch, ctx.clock.now(), zones)  # each alert alone (RS-14)
        if batch.refused:
            _count_rejected(ctx.metrics, batch.refused_alerts, batch.refused_by_policy)
            dropped = ctx.metrics.adapter_dropped
            dropped.labels("alertmanager", "refused").inc(batch.refused_by_policy)
            dropped.labels("alertmanager", "invalid").inc(batch.refused_alerts - batch.refused_by_policy)
        if not events:
            raise InvalidInput(batch.refused, alertmanager.REFUSED_ALL)
        accepted, duplicates = await ctx.pipeline.submit(events)
        refused = [{"index": p.index, "field": p.field, "reason": p.message} for p in batch.refused]
        return _json({"accepted": accepted, "duplicates": duplicates, "refused": refused}, 202)

    asgi.add_api_route(
        ALERTMANAGER_PATH,
        receive_alertmanager,
        methods=["POST"],
        status_code=202,
        summary="Prometheus Alertmanager webhook receiver (version 4): one event per alert, each judged alone",
        tags=["adapters"],
        openapi_extra=ALERTMANAGER_BODY,
    )


_STATUS = {"type": "string", "enum": ["firing", "resolved"]}
_ALERT = {
    "type": "object",
    "required": ["status", "labels", "fingerprint", "startsAt"],
    "properties": {
        "status": _STATUS,
        "labels": {
            "type": "object",
            "required": ["alertname"],
            "properties": {"alertname": {"type": "string", "pattern": "[0-9A-Za-z]"}},
            "additionalProperties": {"type": "string"},
        },
        "annotations": {"type": "object"},
        "fingerprint": {"type": "string", "pattern": "^[0-9A-Za-z]{1,64}$"},
        "startsAt": {"type": "string", "format": "date-time"},
        "endsAt": {"type": "string", "format": "date-time"},
    },
}
ALERTMANAGER_BODY = {  # the OpenAPI request body; adapters.alertmanager is the authority and names every problem
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["status", "alerts"],
                    "properties": {
                        "status": _STATUS,
                        "alerts": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": _ALERT},
                    },
                }
            }
        },
    }
}


def _count_rejected(metrics: Metrics, count: int, refused: int) -> None:
    metrics.events.labels("rejected").inc(count)
    metrics.rejected_by_transport.labels("alertmanager").inc(count)
    metrics.refused.inc(refused)


async def _json_body(request: Request) -> Any:
    """The parsed JSON body, or an error response for a wrong content type (415) or size (413)."""
    ctype = request.headers.get("content-type", "")
    if ctype.split(";", 1)[0].strip().lower() != "application/json":
        message = f"Content-Type must be application/json (got {ctype or 'none'!r})"
        return _json({"error": "unsupported_media_type", "message": message}, 415)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            return _json(
                {"error": "too_large", "message": f"body exceeds the limit of {MAX_BODY} bytes"}, 413
            )
        chunks.append(chunk)
    return decode_json(b"".join(chunks))  # characters and nesting checked: a 422 naming the field


def _json(body: Any, status: int) -> Response:
    return Response(orjson.dumps(body), status, media_type="application/json")


# -- /metrics ---------------------------------------------------------------------------------------------------
def _add_metrics(asgi: FastAPI, ctx: Host, requires: Requires) -> None:
    registry = ctx.metrics.registry

    def render() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    if ctx.settings.metrics_public:

        async def metrics_public() -> Response:
            return render()

        metrics_public.public = True  # type: ignore[attr-defined]
        endpoint: Callable[..., Awaitable[Response]] = metrics_public
    else:

        async def metrics(_p: Any = Depends(requires(Role.VIEWER))) -> Response:
            return render()

        endpoint = metrics
    asgi.add_api_route(
        "/metrics",
        endpoint,
        methods=["GET"],
        summary="Prometheus metrics (text format)",
        include_in_schema=True,
        responses={
            200: {"description": "Metrics", "content": {"text/plain": {"schema": {"type": "string"}}}}
        },
    )
