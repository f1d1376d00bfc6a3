"""Event phases (the run of show): a strict phases file names each phase's rules file and start time; the
service switches the active rule set by schedule or by an audited operator action, keeping rule windows
across the switch and the current phase across restarts (docs/phases.md).
"""

from __future__ import annotations

from typing import Protocol

from fastapi import FastAPI

from fairwatch.hosting import HostBase, Requires
from fairwatch.phases.config import load_phases, parse_phases
from fairwatch.phases.plan import Phase, RunOfShow, due_phase, initial_phase, next_phase
from fairwatch.phases.preview import diff_rules, rule_summary
from fairwatch.phases.routes import add_routes
from fairwatch.phases.service import PhaseService, Writer
from fairwatch.site import Site

__all__ = [
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


class Host(HostBase, Protocol):
    """What phases need of the app's context (`api.Context` has all of it)."""

    @property
    def pipeline(self) -> Writer: ...


def install(asgi: FastAPI, ctx: Host, requires: Requires, plan: RunOfShow, site: Site | None) -> PhaseService:
    """Put the current phase's rules of the (checked) run of show in the writer (before it starts), register
    the schedule and add the routes; `svc.info()` is what the `rules-loaded` audit record says.

    Install before anything that reads the writer's rules at install time (transparency)."""
    svc = PhaseService(plan, ctx.store, ctx.pipeline, ctx.clock, site, ctx.settings.tick_seconds)
    svc.prepare()
    ctx.on_start.append(svc.start)
    ctx.on_stop.append(svc.stop)
    add_routes(asgi, svc, requires)
    return svc
