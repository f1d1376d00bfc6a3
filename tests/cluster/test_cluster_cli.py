"""`fairwatch cluster init` (idempotent, the key made once) and `fairwatch cluster status` on real NATS and
PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from fairwatch.audit.keys import key_id, load_key
from fairwatch.cli import cli
from fairwatch.cluster import names, streams
from fairwatch.cluster.localnats import LocalNats
from fairwatch.cluster.publish import Publisher
from fairwatch.model import Event

runner = CliRunner()


def _init(nats: LocalNats, pg_url: str, key: Path) -> str:
    args = [
        "cluster",
        "init",
        "--nats",
        ",".join(nats.urls),
        "--database-url",
        pg_url,
        "--key-file",
        str(key),
    ]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_init_makes_streams_buckets_schema_and_key_once(
    nats_cluster: LocalNats, pg_url: str, tmp_path: Path
) -> None:
    key = tmp_path / "keys" / "deploy.key"
    first = _init(nats_cluster, pg_url, key)
    for made in ("stream FW_EVENTS", "stream FW_CHANGES", "bucket fw_leases", "bucket fw_partitions"):
        assert f"made {made}" in first
    assert "made table alarms" in first and "made table audit" in first
    assert f"made key {key} (key id {key_id(load_key(key))})" in first
    pem = key.read_bytes()
    assert key.stat().st_mode & 0o077 == 0

    second = _init(nats_cluster, pg_url, key)
    assert second.strip() == "cluster ready: nothing to make"
    assert key.read_bytes() == pem  # the key is made once
    assert "alarms" in inspect(create_engine(pg_url)).get_table_names()

    other_key = tmp_path / "other.key"  # an existing key file is never replaced
    other_key.write_bytes(pem)
    assert "made key" not in _init(nats_cluster, pg_url, other_key)
    assert other_key.read_bytes() == pem


def test_init_without_nats_is_one_clear_line(pg_url: str, tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["cluster", "init", "--database-url", pg_url, "--key-file", str(tmp_path / "k")]
    )
    assert result.exit_code == 2
    assert "cluster: needs --nats" in result.output
    assert "Traceback" not in result.output


async def _partition_with_owner(nats: LocalNats, site: str) -> int:
    """What an edge and a worker leave behind: the partition registered (one event published), a lease on it,
    and a consumer of its subject that has not acknowledged the event. Returns the lease's revision."""
    nc = await streams.connect(nats.urls, "test-status")
    try:
        js = nc.jetstream()
        await Publisher(nc, js).publish([Event("e1", "gate-1", "crowd.count", 1.0, 2.0, site=site)])
        leases = await js.key_value(names.LEASES_BUCKET)
        revision = await leases.put(names.partition_of(site), json.dumps({"owner": "worker-7"}).encode())
        await js.pull_subscribe(f"{names.EVENTS_PREFIX}.{names.partition_of(site)}", durable=f"w-{site}")
        return int(revision)
    finally:
        await nc.close()


def _worker_rows(pg_url: str, partition: str, epoch: int, seq: int, at: float) -> None:
    """The fencing and offset rows an owner writes (the tables as the worker makes them)."""
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS {names.FENCE_TABLE} (partition VARCHAR(128) PRIMARY KEY,"
                " epoch BIGINT NOT NULL, owner VARCHAR(128) NOT NULL, since FLOAT NOT NULL)"
            )
        )
        conn.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS {names.OFFSET_TABLE} (partition VARCHAR(128) PRIMARY KEY,"
                " seq BIGINT NOT NULL, committed_at FLOAT NOT NULL, epoch BIGINT NOT NULL)"
            )
        )
        conn.execute(
            text(
                f"INSERT INTO {names.FENCE_TABLE} (partition, epoch, owner, since) VALUES (:p, :e, 'worker-7', :t)"
            ),
            {"p": partition, "e": epoch, "t": at},
        )
        conn.execute(
            text(
                f"INSERT INTO {names.OFFSET_TABLE} (partition, seq, committed_at, epoch) VALUES (:p, :s, :t, :e)"
            ),
            {"p": partition, "s": seq, "t": at, "e": epoch},
        )
    engine.dispose()


def test_status_shows_a_partition_its_owner_epoch_lag_and_last_commit(
    nats_cluster: LocalNats, pg_url: str, tmp_path: Path
) -> None:
    _init(nats_cluster, pg_url, tmp_path / "deploy.key")
    site = "st" + uuid.uuid4().hex[:8]
    epoch = asyncio.run(_partition_with_owner(nats_cluster, site))
    _worker_rows(pg_url, site, epoch, 41, 1_780_000_000.0)
    base = ["cluster", "status", "--nats", ",".join(nats_cluster.urls), "--database-url", pg_url]

    as_json = runner.invoke(cli, [*base, "--json"])
    assert as_json.exit_code == 0, as_json.output
    rows = {r["partition"]: r for r in json.loads(as_json.output)["partitions"]}
    assert rows[site] == {
        "partition": site,
        "site": site,
        "owner": "worker-7",
        "epoch": epoch,
        "lag": 1,
        "last_seq": 41,
        "committed_at": 1_780_000_000.0,
    }

    table = runner.invoke(cli, base)
    assert table.exit_code == 0, table.output
    line = next(row for row in table.output.splitlines() if site in row)
    assert "worker-7" in line and str(epoch) in line and "2026-05-28T20:26:40+00:00" in line


def test_an_edge_without_its_cluster_settings_is_one_clear_line(tmp_path: Path) -> None:
    result = runner.invoke(
        cli, ["serve", "--role", "edge", "--data", str(tmp_path)], env={"FAIRWATCH_NATS": ""}
    )
    assert result.exit_code == 2
    assert "role edge: needs nats, database_url and key_file" in result.output
    assert "Traceback" not in result.output


def test_an_edge_with_a_missing_key_file_is_one_clear_line(
    nats_cluster: LocalNats, pg_url: str, tmp_path: Path
) -> None:
    args = ["serve", "--role", "edge", "--nats", ",".join(nats_cluster.urls), "--database-url", pg_url]
    result = runner.invoke(cli, [*args, "--key-file", str(tmp_path / "missing.key"), "--data", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'missing.key'}: cannot read the deployment key" in result.output
