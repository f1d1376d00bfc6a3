"""Public, tamper-evident transparency (RS-5, RS-7, RS-8, RS-9): retention purges, signed Merkle checkpoints
of the audit log, the public taxonomy export with its RFC 6962 proofs, the compliance checks at start that
block affected types, and the witness that checks a deployment from outside.
"""

from __future__ import annotations

from fastapi import FastAPI

from fairwatch.schemas import Catalogue
from fairwatch.site import Site
from fairwatch.taxonomy import Taxonomy
from fairwatch.transparency.routes import EXPORT_PATH, router
from fairwatch.transparency.service import Host, Transparency, key_path
from fairwatch.transparency.witness import Report, verify

__all__ = ["EXPORT_PATH", "Host", "Report", "Transparency", "install", "key_path", "verify"]


def install(
    asgi: FastAPI, ctx: Host, taxonomy: Taxonomy, site: Site | None = None, schemas: Catalogue | None = None
) -> Transparency:
    """Add the public routes and the start/stop hooks of the service that publishes `taxonomy` and the
    configuration (rules, zones of `site`, event `schemas` of the types the rules use) in force."""
    types = [t.as_dict() for t in taxonomy.all()]
    svc = Transparency(ctx, types, ctx.pipeline.engine.ruleset.rules, site, schemas)
    ctx.on_start.append(svc.start)
    ctx.on_stop.append(svc.stop)
    asgi.include_router(router(svc))
    return svc
