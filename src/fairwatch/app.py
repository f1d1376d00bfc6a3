"""Wiring: `App.build(settings)` opens the store, loads taxonomy, site and rules, and assembles the pipeline,
stream hub and HTTP app. Embeddable in tests; `cli` only parses arguments and calls this."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from fastapi import FastAPI

from fairwatch import __version__
from fairwatch.alarms import AlarmChange, AlarmService
from fairwatch.api import Context, create_api
from fairwatch.api.auth import requires
from fairwatch.api.fastpath import Entry
from fairwatch.api.serialize import change_json
from fairwatch.clock import Clock, SystemClock
from fairwatch.console import install as install_console
from fairwatch.errors import ConfigError, PolicyViolation
from fairwatch.ingest.install import install as install_ingest
from fairwatch.metrics import Metrics
from fairwatch.model import AuditEntry
from fairwatch.notify import install as install_notify
from fairwatch.phases import install as install_phases
from fairwatch.policy import check_text
from fairwatch.rules import Engine, load_rules, parse_rules
from fairwatch.settings import Settings
from fairwatch.site import Site, load_site
from fairwatch.store import SqlStore, sqlite_url
from fairwatch.stream import Hub
from fairwatch.taxonomy import Taxonomy
from fairwatch.transparency import install as install_transparency
from fairwatch.writer import Pipeline

log = logging.getLogger("fairwatch")


@dataclass
class App:
    """A running Fairwatch: store, rule engine, writer, stream hub and the ASGI app."""

    settings: Settings
    store: SqlStore
    clock: Clock
    metrics: Metrics
    hub: Hub
    engine: Engine
    alarms: AlarmService
    pipeline: Pipeline
    asgi: FastAPI
    ctx: Context
    entry: Entry  # what the HTTP server runs: the ingest fast path in front of `asgi`
    rules_info: dict[str, Any] = field(default_factory=dict)
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)

    @classmethod
    def build(cls, settings: Settings, clock: Clock | None = None) -> App:
        """Assemble an app; raises ConfigError (after auditing it) when the rules file is invalid."""
        clock = clock or SystemClock()
        settings.data.mkdir(parents=True, exist_ok=True)
        store = SqlStore(settings.database_url or sqlite_url(settings.data))
        what, path = "taxonomy", settings.taxonomy
        try:
            taxonomy = Taxonomy.from_file(path) if path else Taxonomy.builtin()
            what, path = "site", settings.site
            site = load_site(path) if path else None
            if site is not None:
                _guard_site(site, path)
            what, path = "rules", settings.rules
            ruleset, rules_info = _load_rules(path, taxonomy.is_active, site)
        except (ConfigError, PolicyViolation) as exc:
            messages = exc.messages if isinstance(exc, ConfigError) else [str(p) for p in exc.problems]
            with store.transaction() as txn:
                details = {"path": str(path), "errors": messages[:50]}
                txn.append_audit(AuditEntry(clock.now(), "system", f"{what}-rejected", what, details))
            store.close()
            raise (
                exc if isinstance(exc, ConfigError) else ConfigError([f"{path}: {m}" for m in messages])
            ) from exc
        engine = Engine(ruleset, site)
        metrics = Metrics()
        hub = Hub(epoch=int(clock.now() * 1000))
        alarms = AlarmService(store, settings.flood_threshold, settings.flood_window)

        listeners: list[Any] = []

        def publish(changes: list[AlarmChange]) -> None:
            for change in changes:
                hub.publish("alarm", orjson.dumps(change_json(change)))
            for listener in listeners:
                try:
                    listener(changes)
                except Exception:
                    log.exception("alarm change listener failed")

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
        ctx = Context(
            store=store,
            pipeline=pipeline,
            hub=hub,
            clock=clock,
            metrics=metrics,
            settings=settings,
            version=__version__,
        )
        ctx.change_listeners = listeners
        asgi = create_api(ctx)
        # Extensions: each installs its routes and registers start/stop hooks and change listeners on ctx.
        ctx.extras["taxonomy"] = taxonomy
        if site is not None:
            ctx.extras["site"] = site
        rules_info.update(install_phases(asgi, ctx, requires))  # run of show: first, it sets the rules in use
        install_console(asgi, ctx)
        install_transparency(asgi, ctx)
        install_ingest(asgi, ctx, requires)  # MQTT, Frigate, Alertmanager, /metrics
        install_notify(asgi, ctx, requires)  # webhooks, e-mail, MQTT out, CAP 1.2 and its feed
        app = cls(
            settings, store, clock, metrics, hub, engine, alarms, pipeline, asgi, ctx, Entry(asgi), rules_info
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

    async def start(self) -> None:
        """Rebuild rule state, start the writer and the timer tick, and audit the start."""
        replayed = self.pipeline.warm_up()
        self.pipeline.start()
        details = {"version": __version__, "replayed_events": replayed, **self.rules_info}
        await self.pipeline.call(
            lambda txn, now: txn.append_audit(
                AuditEntry(now, "system", "rules-loaded", "rules", self.rules_info)
            )
        )
        await self.pipeline.call(
            lambda txn, now: txn.append_audit(AuditEntry(now, "system", "server-started", "server", details))
        )
        self._tasks.append(asyncio.get_running_loop().create_task(self._ticker(), name="fairwatch-tick"))
        for hook in self.ctx.on_start:
            await hook()

    async def stop(self) -> None:
        for hook in reversed(self.ctx.on_stop):
            try:
                await hook()
            except Exception:
                log.exception("stop hook failed")
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.pipeline.stop()
        self.store.close()

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(self.settings.tick_seconds)
            try:
                await self.pipeline.tick()
            except Exception:
                log.exception("timer tick failed")


def _load_rules(
    path: Path | None, known_type: Callable[[str], bool], site: Site | None
) -> tuple[Any, dict[str, Any]]:
    if path is None:
        return parse_rules("rules: []\n", "(no rules)", site=site), {"path": None, "rules": 0}
    ruleset = load_rules(path, known_type, site)  # the site resolves and checks the zones rules name
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return ruleset, {"path": str(path), "rules": len(ruleset.rules), "sha256": digest}


def _guard_site(site: Site, path: Path | None) -> None:
    """The site's names are labels operators and partners see: they pass the rights guard like any other (RS-2)."""
    labels = [("site", "id", site.id), ("site", "name", site.name)]
    for zone in site.zones:
        labels += [(f"zone '{zone.id}'", "id", zone.id), (f"zone '{zone.id}'", "name", zone.name)]
    for device in site.devices:
        labels.append((f"device '{device.id}'", "id", device.id))
    errors = []
    for item, field_name, text in labels:
        refused = check_text(text)
        if refused is not None:
            errors.append(
                f"{path}: {item}: {field_name}: refused by the rights guard: "
                f"{refused.ground.value}: '{refused.term}' ({refused.reason})"
            )
    if errors:
        raise ConfigError(errors)
