"""`fairwatch cluster init` and `fairwatch cluster status`.

`init` makes what a cluster needs and is idempotent: the streams and key-value buckets (`streams.ensure`), the
PostgreSQL schema (the store's tables and the cluster's fencing and offset tables) and, if the file does not exist,
the deployment key. It returns what it made, so a second run says nothing was made.

`status` reads, without changing anything: the partitions edges have registered (`fw_partitions`), each one's owner
(the value of its lease in `fw_leases`) and epoch (the lease revision the owner acquired, as it stored it in the
fencing row), its lag (messages of the partition not yet acknowledged by its owner's consumer) and its last commit
(the offset row: stream sequence and time).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import asdict, dataclass
from typing import Any

import nats
import nats.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.errors import NoKeysError, NotFoundError
from sqlalchemy import MetaData, Table, create_engine, inspect, literal, select
from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError

from fairwatch.audit.keys import key_id, load_or_create_key
from fairwatch.cluster import names, streams
from fairwatch.errors import ConfigError, StoreUnavailable
from fairwatch.settings import Settings
from fairwatch.store import SqlStore
from fairwatch.store import schema as store_schema

log = logging.getLogger("fairwatch.cluster")


REACH_S = 15.0  # how long a process waits for NATS when it starts


async def reach(urls: str | list[str], name: str, timeout: float = REACH_S) -> Client:
    """A client connected to any of `urls` (reconnecting forever afterwards, like `streams.connect`), or a
    ConfigError naming the URLs when none answers within `timeout` seconds. Connection errors are logged as one
    line, at most every 10 s, instead of a traceback per attempt."""
    servers = [u.strip() for u in urls.split(",")] if isinstance(urls, str) else urls
    last = 0.0

    async def quiet(exc: Exception) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= 10:
            last = now
            log.warning("nats %s: %s", name, exc or type(exc).__name__)

    try:
        return await asyncio.wait_for(
            nats.connect(
                servers=servers,
                name=name,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.25,
                connect_timeout=2,
                error_cb=quiet,
            ),
            timeout,
        )
    except (TimeoutError, nats.errors.Error, OSError):
        raise ConfigError(
            [f"NATS: none of {', '.join(servers)} answered within {timeout:.0f} s: check --nats"]
        ) from None


def _needs(settings: Settings) -> tuple[str, str]:
    missing = [n for n, v in (("--nats", settings.nats), ("--database-url", settings.database_url)) if not v]
    if missing:
        raise ConfigError(
            [f"cluster: needs {' and '.join(missing)} (or FAIRWATCH_NATS, FAIRWATCH_DATABASE_URL)"]
        )
    assert settings.nats is not None and settings.database_url is not None
    if settings.database_url.startswith("sqlite"):
        raise ConfigError(["cluster: --database-url must be PostgreSQL (postgresql+psycopg://...)"])
    return settings.nats, settings.database_url


async def init(settings: Settings) -> list[str]:
    """Create what is missing; returns one line per thing made (empty: everything was there)."""
    urls, url = _needs(settings)
    if settings.key_file is None:
        raise ConfigError(["cluster init: needs --key-file (or FAIRWATCH_KEY_FILE)"])
    made: list[str] = []
    nc = await reach(urls, "fairwatch-cluster-init")
    try:
        layout = streams.Layout(replicas=settings.stream_replicas, lease_seconds=settings.lease_seconds)
        try:
            made += await streams.ensure(nc.jetstream(), layout)
        except Exception as exc:
            if not streams.not_ready(exc):
                raise
            raise ConfigError(
                [
                    f"cluster init: JetStream at {urls} did not answer for {streams.ENSURE_S:.0f} s "
                    f"({type(exc).__name__}): are its nodes up and routed to each other?"
                ]
            ) from exc
    finally:
        await nc.close()
    made += _schema(url)
    if not settings.key_file.exists():
        key = load_or_create_key(settings.key_file)
        made.append(f"key {settings.key_file} (key id {key_id(key)})")
    return made


def _schema(url: str) -> list[str]:
    try:
        before = set(inspect(create_engine(url)).get_table_names())
    except SQLAlchemyError as exc:
        raise StoreUnavailable(f"cannot open store: {exc}") from exc
    store = SqlStore(url)  # creates the store's tables
    try:
        # the cluster's own tables (fencing, offsets), when this build has them
        create_cluster_tables = getattr(store_schema, "create_cluster_tables", None)
        if create_cluster_tables is not None:
            create_cluster_tables(store.engine)
        after = set(inspect(store.engine).get_table_names())
    finally:
        store.close()
    return [f"table {t}" for t in sorted(after - before)]


@dataclass(frozen=True, slots=True)
class PartitionStatus:
    partition: str
    site: str
    owner: str | None
    epoch: int | None
    lag: int | None  # messages not yet acknowledged by the owner's consumer; None: no consumer
    last_seq: int | None
    committed_at: float | None


async def status(settings: Settings) -> list[PartitionStatus]:
    """The state of every registered partition (and `_global` when it has a lease)."""
    urls, url = _needs(settings)
    nc = await reach(urls, "fairwatch-cluster-status")
    try:
        js = nc.jetstream()
        registered = await _bucket(js, names.PARTITIONS_BUCKET)
        leases = await _bucket(js, names.LEASES_BUCKET)
        lags = await _lags(js)
    finally:
        await nc.close()
    offsets = _rows(url, names.OFFSET_TABLE, ("seq", "committed_at"))
    fences = _rows(url, names.FENCE_TABLE, ("epoch", "owner"))
    parts = sorted(set(registered) | {p for p in leases if p in (names.GLOBAL, names.CHECKPOINTER)})
    out: list[PartitionStatus] = []
    for p in parts:
        site = registered[p][0].decode(errors="replace") if p in registered else ""
        owner = _owner(leases[p][0]) if p in leases else None
        epoch, fenced_owner = fences.get(p, (None, None))
        if owner is not None and fenced_owner is not None and str(fenced_owner) != owner:
            epoch = None  # a new owner holds the lease and has not fenced the partition yet
        seq, at = offsets.get(p, (None, None))
        out.append(
            PartitionStatus(
                p,
                site,
                owner,
                None if epoch is None else int(epoch),
                lags.get(p),
                None if seq is None else int(seq),
                None if at is None else float(at),
            )
        )
    return out


async def _bucket(js: JetStreamContext, bucket: str) -> dict[str, tuple[bytes, int]]:
    """Every live key of a bucket: value and revision."""
    try:
        kv = await js.key_value(bucket)
        keys = await kv.keys()
    except NoKeysError:
        return {}
    except NotFoundError:
        raise ConfigError([f"bucket {bucket} is missing: run `fairwatch cluster init` first"]) from None
    found: dict[str, tuple[bytes, int]] = {}
    for key in keys:
        try:
            entry = await kv.get(key)
        except NotFoundError:
            continue  # expired or deleted meanwhile
        found[key] = (entry.value or b"", int(entry.revision or 0))
    return found


def _owner(value: bytes) -> str:
    """The owner named in a lease's value (JSON with `owner`, or the plain name)."""
    text = value.decode(errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        return text
    return str(data.get("owner", text)) if isinstance(data, dict) else text


async def _lags(js: JetStreamContext) -> dict[str, int]:
    """Per partition: messages its consumers have not had acknowledged (pending + waiting for an ack)."""
    try:
        consumers = await js.consumers_info(names.EVENTS_STREAM)
    except NotFoundError:
        return {}
    prefix = names.EVENTS_PREFIX + "."
    lags: dict[str, int] = {}
    for info in consumers:
        subject = info.config.filter_subject or ""
        if not subject.startswith(prefix):
            continue
        partition = subject[len(prefix) :]
        lag = int(info.num_pending or 0) + int(info.num_ack_pending or 0)
        lags[partition] = max(lags.get(partition, 0), lag)
    return lags


def _rows(url: str, name: str, columns: tuple[str, str]) -> dict[str, tuple[Any, Any]]:
    """partition -> two columns of a cluster table (the workers' fencing or offset rows); empty if the table is
    not there (no worker has run yet) and None for a column it lacks."""
    engine = create_engine(url)
    try:
        table = Table(name, MetaData(), autoload_with=engine)
        picked = [table.c[c] if c in table.c else literal(None) for c in columns]
        with engine.connect() as conn:
            rows = conn.execute(select(table.c.partition, *picked)).all()
    except NoSuchTableError:
        return {}
    except SQLAlchemyError as exc:
        raise StoreUnavailable(f"cannot read {name}: {exc}") from exc
    finally:
        engine.dispose()
    return {str(r[0]): (r[1], r[2]) for r in rows}


def as_json(rows: list[PartitionStatus]) -> str:
    return json.dumps({"partitions": [asdict(r) for r in rows]}, indent=2)
