"""Wiring: `App.build(settings)` opens the store, loads the configuration (`config.load`) and assembles the
pipeline, stream hub, HTTP app and extensions from it. Embeddable in tests; `cli` only parses arguments and
calls this."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import FastAPI
from sqlalchemy import Connection
from starlette.requests import Request
from starlette.responses import Response

from fairwatch import __version__, config
from fairwatch.access import Permission, RevocationMarker
from fairwatch.alarms import AlarmChange, AlarmService, stream_changes
from fairwatch.api import Context, create_api
from fairwatch.api import field as field_api
from fairwatch.api.auth import authorize, requires
from fairwatch.api.errors import error_body, json_response, unexpected_body
from fairwatch.api.routes import ingest_events
from fairwatch.api.serialize import change_json
from fairwatch.api.welfare import install as install_welfare
from fairwatch.clock import Clock, SystemClock
from fairwatch.config import Config
from fairwatch.console import Console
from fairwatch.console import field as console_field
from fairwatch.console import install as install_console
from fairwatch.errors import ConfigError, ConfigRejected, FairwatchError
from fairwatch.field import FieldDesk, checklists
from fairwatch.incidents import IncidentDesk
from fairwatch.ingest.http import Entry
from fairwatch.ingest.install import install as install_ingest
from fairwatch.ingest.mqtt import MqttIngest
from fairwatch.measures import HISTORY_S, Board
from fairwatch.metrics import Metrics
from fairwatch.model import AuditEntry
from fairwatch.notify import NotifyService
from fairwatch.notify import install as install_notify
from fairwatch.periodic import Periodic
from fairwatch.phases import PhaseService
from fairwatch.phases import install as install_phases
from fairwatch.rules import Engine
from fairwatch.settings import Settings
from fairwatch.store import SqlStore, sqlite_url
from fairwatch.stream import Hub
from fairwatch.transparency import Transparency
from fairwatch.transparency import install as install_transparency
from fairwatch.welfare import Welfare
from fairwatch.writer import Pipeline

log = logging.getLogger("fairwatch")


@dataclass(frozen=True, slots=True)
class Part:
    """One partition of a cluster, for which a worker builds an App (fairwatch/cluster/partition.py): its name,
    which sites are its own (their events are warmed up, their open alarms loaded), the fencing check run first
    in every write transaction, and the audit chain its records go to."""

    name: str
    sites: Callable[[str | None], bool]
    guard: Callable[[Connection], None]
    chain: str = ""
    # Runs the transparency jobs (the public taxonomy export and its hash links, checkpoints of its own chain,
    # retention purges): the `_global` partition's app, one for the cluster; the others do not.
    transparency: bool = False


@dataclass
class App:
    """A running Fairwatch: store, writer, stream hub, the ASGI app and the extensions' services."""

    settings: Settings
    config: Config
    store: SqlStore
    clock: Clock
    metrics: Metrics
    hub: Hub
    alarms: AlarmService
    pipeline: Pipeline
    asgi: FastAPI
    ctx: Context
    entry: Entry  # what the HTTP server runs: the ingest fast path in front of `asgi`
    console: Console
    transparency: Transparency
    notify: NotifyService
    phases: PhaseService | None = None
    mqtt: MqttIngest | None = None
    welfare: Welfare | None = None
    _ticker: Periodic | None = field(default=None, init=False, repr=False)

    @property
    def engine(self) -> Engine:
        """The rules in use: the writer owns them (a phase switch replaces them there)."""
        return self.pipeline.engine

    @property
    def rules_info(self) -> dict[str, Any]:
        """What the `rules-loaded` audit record says: the rules file, or the run of show and its phase."""
        return self.phases.info() if self.phases is not None else self.config.rules_info

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None, part: Part | None = None) -> App:
        """Assemble an app; raises ConfigError (after auditing it) when a configuration file is invalid.
        `part`: the app of one cluster partition (fenced store, its own alarms and rule state)."""
        clock = clock or SystemClock()
        store = open_store(settings, part)
        try:
            cfg = config.load(settings)
        except ConfigRejected as exc:
            with store.transaction() as txn:
                details = {"path": str(exc.path), "errors": exc.messages[:50]}
                txn.append_audit(AuditEntry(clock.now(), "system", f"{exc.what}-rejected", exc.what, details))
            store.close()
            raise
        try:
            return cls._assemble(settings, cfg, store, clock, part)
        except BaseException:
            store.close()
            raise

    @classmethod
    def _assemble(
        cls, settings: Settings, cfg: Config, store: SqlStore, clock: Clock, part: Part | None = None
    ) -> App:
        metrics = Metrics()
        hub = Hub(epoch=int(clock.now() * 1000))
        if part is None:
            alarms = AlarmService(store, settings.flood_threshold, settings.flood_window)
        else:
            alarms = AlarmService(
                store,
                settings.flood_threshold,
                settings.flood_window,
                sites=part.sites,
                key_prefix=f"{part.name}|",
            )
        listeners: list[Callable[[list[AlarmChange]], None]] = []

        def publish(changes: list[AlarmChange]) -> None:
            for change in stream_changes(changes):  # of one alarm's repeats in this commit, only the last
                hub.publish("alarm", orjson.dumps(change_json(change)))
            for listener in listeners:
                try:
                    listener(changes)
                except Exception:
                    log.exception("alarm change listener failed")

        engine = Engine(cfg.rules, cfg.site)
        pipeline = Pipeline(
            store,
            engine,
            alarms,
            clock,
            metrics,
            publish,
            queue_limit=settings.queue_limit,
            batch_max=settings.batch_max,
        )
        if part is not None:
            sites = part.sites
            pipeline.warm_filter = lambda ev: sites(ev.site)
        ctx = Context(
            store=store,
            pipeline=pipeline,
            hub=hub,
            clock=clock,
            metrics=metrics,
            settings=settings,
            version=__version__,
            revocations=RevocationMarker.in_data(settings.data),
            schemas=cfg.schemas,
            zones=cfg.site.zone_ids if cfg.site is not None else None,
            zone_names={z.id: z.name for z in cfg.site.zones} if cfg.site is not None else {},
        )
        ctx.change_listeners = listeners
        if cfg.site is not None:  # live crowd measures for the console map, fed after each commit
            ctx.measures = Board(cfg.site)
            pipeline.event_listeners.append(ctx.measures.add)
        ctx.incidents = IncidentDesk.for_site(cfg.taxonomy, cfg.cards, cfg.site)
        ctx.field_desk = FieldDesk(
            # site `operations:` section / operations file over the settings (field/operations.py)
            cfg.operations.timers(settings.field_check_in_minutes, settings.field_dispatched_minutes),
            cfg.site.id if cfg.site is not None else "site",
            cfg.site.zone_ids if cfg.site is not None else None,
            settings.field_invite_hours,
            cfg.site,
        )
        pipeline.timers.append(ctx.field_desk)  # check-in and status timers fire from the writer's tick
        ctx.checklists = cfg.checklists
        asgi = create_api(ctx)
        # Extensions: each installs its routes and registers start/stop hooks and change listeners on ctx.
        phases = None
        if cfg.phases is not None:  # run of show: first, it sets the rules in use
            phases = install_phases(asgi, ctx, requires, cfg.phases, cfg.site)
            lists = cfg.checklists  # a failed severe readiness item holds its phase (e.g. opening)
            phases.gates.append(lambda to: checklists.blocking(lists, checklists.states(store, lists), to))
        console = install_console(asgi, ctx, cfg.site)
        field_app = console_field.install(asgi, console, ctx.field_desk, cfg.taxonomy, cfg.site)
        # A phone signed in with a one-time link is a session too: the console's first, then a phone's.
        ctx.session_lookup = console_field.chain(console.sessions.lookup, field_app.lookup)
        ctx.html_error = console.html_error
        transparency = install_transparency(asgi, ctx, cfg.taxonomy, cfg.site, cfg.schemas)
        if part is not None:
            transparency.checkpoints = False
        if part is not None and not part.transparency:
            # a cluster signs one root over every chain (a leased checkpointer), and the `_global` partition's
            # app publishes the export and purges (edges forward the export to it); the others do neither
            ctx.on_start.remove(transparency.start)
            ctx.on_stop.remove(transparency.stop)
        mqtt = install_ingest(
            asgi, ctx, requires, cfg.site, cfg.schemas
        )  # MQTT, Frigate, Alertmanager, /metrics
        # webhooks, e-mail, MQTT out, CAP 1.2 and its feed
        notify = install_notify(asgi, ctx, requires, cfg.notify, cfg.site, cfg.taxonomy)
        if notify.escalations is not None:  # the queue and the alarm page show the level an alarm reached
            ctx.escalation_levels = notify.escalations.levels
        # welfare cases (escalated by the writer's tick) and scene photos
        desk = ctx.incidents
        delay = cfg.operations.escalation_seconds(settings.welfare_escalation_minutes)
        welfare = install_welfare(
            asgi, ctx, Welfare.build(store, settings, clock, desk.site, desk.zones, delay)
        )
        # an escalated case sends a free police liaison unit to its alarm (docs/welfare.md)
        welfare.timer.dispatch_with(alarms, field_api.liaison(ctx))
        app = cls(
            settings=settings,
            config=cfg,
            store=store,
            clock=clock,
            metrics=metrics,
            hub=hub,
            alarms=alarms,
            pipeline=pipeline,
            asgi=asgi,
            ctx=ctx,
            entry=Entry(asgi, ingest_request),
            console=console,
            transparency=transparency,
            notify=notify,
            phases=phases,
            mqtt=mqtt,
            welfare=welfare,
        )
        asgi.router.lifespan_context = app.lifespan
        return app

    @contextlib.asynccontextmanager
    async def lifespan(self, _asgi: FastAPI) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def start(self, replayed: int | None = None) -> None:
        """Rebuild rule state, start the writer and the timer tick, and audit the start. `replayed`: the rule
        state was already rebuilt from that many events (a cluster worker does it off the event loop)."""
        if replayed is None:
            replayed = self.pipeline.warm_up()
        if self.ctx.measures is not None:
            self.ctx.measures.warm(self.store.iter_events(since=self.clock.now() - HISTORY_S))
        self.pipeline.start()
        info = self.rules_info
        details = {"version": __version__, "replayed_events": replayed, **info}
        await self.pipeline.call(
            lambda txn, now: txn.append_audit(AuditEntry(now, "system", "rules-loaded", "rules", info))
        )
        await self.pipeline.call(
            lambda txn, now: txn.append_audit(AuditEntry(now, "system", "server-started", "server", details))
        )
        self._ticker = Periodic("timer tick", self.settings.tick_seconds, self.pipeline.tick)
        self._ticker.start()
        for hook in self.ctx.on_start:
            await hook()

    async def stop(self) -> None:
        """Stop the extensions (in reverse order), the timer tick and the writer, and close the store."""
        for hook in reversed(self.ctx.on_stop):
            try:
                await hook()
            except Exception:
                log.exception("stop hook failed")
        if self._ticker is not None:
            await self._ticker.stop()
        await self.pipeline.stop()
        self.store.close()


def open_store(settings: Settings, part: Part | None = None) -> SqlStore:
    """The store `settings` name; an unusable data directory is a ConfigError naming it and the fix. For a
    cluster partition (`part`): fenced by its guard, its audit records on its own chain."""
    try:
        settings.data.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            [f"data directory {settings.data}: {exc.strerror}: set --data or FAIRWATCH_DATA"]
        ) from None
    url = settings.database_url or sqlite_url(settings.data)
    if part is None:
        return SqlStore(url)
    # one audit chain per partition (docs/audit.md)
    return SqlStore(url, guard=part.guard, chain=part.chain or part.name)


async def ingest_request(request: Request) -> Response:
    """`POST /api/v1/events` on the fast path: the same authentication, role check, handler and error bodies
    as through FastAPI."""
    try:
        authorize(request, Permission.INGEST)
        return await ingest_events(request)
    except FairwatchError as exc:
        status, body, headers = error_body(exc)
        return json_response(body, status, headers)
    except Exception as exc:  # a bug or a foreign failure: logged with a correlation id, never echoed
        status, body, headers = unexpected_body(exc)
        return json_response(body, status, headers)
