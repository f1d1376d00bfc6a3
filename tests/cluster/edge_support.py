"""Running real edges in a test: the edge app served by uvicorn on a free loopback port, on the test's loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn

from fairwatch.access import create_token
from fairwatch.cluster.edge import Edge, build_edge
from fairwatch.cluster.localnats import LocalNats, free_port
from fairwatch.model import Role
from fairwatch.settings import Settings
from fairwatch.store import SqlStore


def edge_settings(nats: LocalNats, pg_url: str, root: Path, **extra: object) -> Settings:
    return Settings(
        data=root / "data",
        database_url=pg_url,
        nats=",".join(nats.urls),
        key_file=root / "deploy.key",
        role="edge",
        host="127.0.0.1",
        port=free_port(),
        **extra,  # type: ignore[arg-type]
    )


def token(pg_url: str, role: Role, name: str) -> str:
    """A token made in the cluster's database, as `fairwatch token create --database-url` would."""
    store = SqlStore(pg_url)
    try:
        with store.transaction() as txn:
            return create_token(txn, name, role, "test", 0.0)
    finally:
        store.close()


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[Edge, str]]:
    """An edge for `settings`, listening; yields it and its base URL."""
    edge = build_edge(settings)
    config = uvicorn.Config(
        edge.app.entry, host="127.0.0.1", port=settings.port, lifespan="on", log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the edge did not start")
            await asyncio.sleep(0.02)
        yield edge, f"http://127.0.0.1:{settings.port}"
    finally:
        edge.app.hub.shutdown()
        server.should_exit = True
        await asyncio.wait_for(task, 30)
