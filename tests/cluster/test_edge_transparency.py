"""The public taxonomy export in a cluster: an edge forwards it to the `_global` partition's owner, whose app keeps
the export's hash-linked versions, so the cluster publishes one document with one chain of versions (before, an
edge answered 503: the export stores its link, and an edge does not write)."""

from __future__ import annotations

from pathlib import Path

import httpx

from fairwatch.audit.keys import load_or_create_key
from fairwatch.cluster import names, status
from fairwatch.cluster.localnats import LocalNats
from fairwatch.cluster.worker import Worker
from fairwatch.transparency.routes import EXPORT_PATH
from tests.cluster.edge_support import edge_settings, serving
from tests.cluster.worker_helpers import connect, forget_partitions, running, until, worker_settings


async def test_the_export_through_an_edge_comes_from_the_global_owner(
    nats_cluster: LocalNats, pg_url: str, tmp_path: Path
) -> None:
    urls = ",".join(nats_cluster.urls)
    edge = edge_settings(nats_cluster, pg_url, tmp_path / "edge")
    assert edge.key_file is not None
    load_or_create_key(edge.key_file)
    await status.init(edge)
    nc, js = await connect(urls)
    try:
        await forget_partitions(js)
        async with serving(edge) as (_edge, url), httpx.AsyncClient(base_url=url) as client:
            nobody = await client.get(EXPORT_PATH)
            assert nobody.status_code == 503 and "_global" in nobody.text  # no owner yet: retry, not a 500
            worker = Worker(worker_settings(tmp_path / "w", urls, pg_url, key_file=edge.key_file))
            async with running(worker):
                await until(lambda: names.GLOBAL in worker.owned(), 30, "the worker to own _global")
                first = await client.get(EXPORT_PATH)
                assert first.status_code == 200, first.text
                doc = first.json()
                assert any(t["id"] == "fire.suspected" for t in doc["types"])
                again = await client.get(EXPORT_PATH)
                assert again.content == first.content  # unchanged: the same version, not a new link
    finally:
        await nc.close()
