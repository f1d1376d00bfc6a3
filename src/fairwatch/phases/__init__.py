"""Event phases (the run of show): a strict phases file names each phase's rules file and start time; the
service switches the active rule set by schedule or by an audited operator action, keeping rule windows
across the switch and the current phase across restarts (docs/phases.md).
"""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import FastAPI

from fairwatch.errors import ConfigError, PolicyViolation
from fairwatch.hosting import HostBase, Requires
from fairwatch.model import AuditEntry
from fairwatch.phases.config import load_phases, parse_phases
from fairwatch.phases.plan import Phase, RunOfShow, due_phase, initial_phase, next_phase
from fairwatch.phases.preview import diff_rules, rule_summary
from fairwatch.phases.routes import add_routes
from fairwatch.phases.service import PhaseService, Writer
from fairwatch.site import Site
from fairwatch.taxonomy import Taxonomy

__all__ = [
    "EXTRA",
    "Phase",
    "PhaseService",
    "RunOfShow",
    "diff_rules",
    "due_phase",
    "initial_phase",
    "install",
    "load_phases",
    "next_phase",
    "parse_phases",
    "rule_summary",
]

EXTRA = "phases"  # ctx.extras key of the PhaseService


class Host(HostBase, Protocol):
    """What phases need of the app's context (`api.Context` has all of it)."""

    @property
    def pipeline(self) -> Writer: ...


def install(asgi: FastAPI, ctx: Host, requires: Requires) -> dict[str, Any]:
    """With `settings.phases` set: load the run of show, put the current phase's rules in the writer (before
    it starts) and add the routes; returns what the `rules-loaded` audit record says ({} without phases).

    Install before anything that reads the writer's rules at install time (transparency)."""
    path = ctx.settings.phases
    if path is None:
        return {}
    taxonomy = ctx.extras.get("taxonomy")
    known = (taxonomy if isinstance(taxonomy, Taxonomy) else Taxonomy.builtin()).is_active
    site = ctx.extras.get("site")
    site = site if isinstance(site, Site) else None
    try:
        plan = load_phases(path, known, site)
    except (ConfigError, PolicyViolation) as exc:
        error = _rejected(ctx, str(path), exc)
        if error is exc:
            raise
        raise error from exc
    svc = PhaseService(plan, ctx.store, ctx.pipeline, ctx.clock, site, ctx.settings.tick_seconds)
    svc.prepare()
    ctx.extras[EXTRA] = svc
    ctx.on_start.append(svc.start)
    ctx.on_stop.append(svc.stop)
    add_routes(asgi, svc, requires)
    return svc.info()


def _rejected(ctx: Host, path: str, exc: ConfigError | PolicyViolation) -> ConfigError:
    """Audit a rejected run of show (RS-2: rejections are audited) and return the error to raise.

    The writer has not started yet, so this one record is written directly, as the app does for rules."""
    messages = exc.messages if isinstance(exc, ConfigError) else [f"{path}: {p}" for p in exc.problems]
    with ctx.store.transaction() as txn:
        details = {"path": path, "errors": messages[:50]}
        txn.append_audit(AuditEntry(ctx.clock.now(), "system", "phases-rejected", "phases", details))
    return exc if isinstance(exc, ConfigError) else ConfigError(messages)
