"""Create the cluster's streams and key-value buckets (idempotent): what `fairwatch cluster init` does on NATS."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import nats
from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType, StreamConfig
from nats.js.errors import APIError, BadRequestError, NotFoundError, ServiceUnavailableError

from fairwatch.cluster import names

log = logging.getLogger(__name__)
T = TypeVar("T")

DUPLICATE_WINDOW_S = 600.0  # a publish retried within ten minutes with the same Nats-Msg-Id is stored once
CHANGES_MAX_AGE_S = 86_400.0  # a console reconnecting within a day resumes from its Last-Event-ID
ENSURE_S = 90.0  # how long `ensure` keeps asking a cluster that is still electing its leaders


class NoLeaderYet(Exception):
    """A stream exists but has no elected leader yet: it cannot store a message."""


# what a JetStream cluster answers while it elects the leader of its meta group or of a new stream
NOT_READY = (NatsTimeout, TimeoutError, ServiceUnavailableError, NoRespondersError, NoLeaderYet)
# JetStream's own codes for the same: no peers for placement (a node that came back is not known to be up yet),
# the system temporarily unavailable, a stream offline
_NOT_READY_CODES = frozenset({10005, 10008, 10118})


def not_ready(exc: BaseException) -> bool:
    """Whether `exc` says the cluster is not ready yet (asking again later may succeed)."""
    return isinstance(exc, NOT_READY) or (isinstance(exc, APIError) and exc.err_code in _NOT_READY_CODES)


@dataclass(frozen=True, slots=True)
class Layout:
    """How the streams are made: replicas (3 in production), lease length, how long events are kept."""

    replicas: int = 3
    lease_seconds: float = 5.0
    events_max_age_s: float = 7 * 86_400.0


async def connect(urls: str | list[str], name: str) -> Client:
    """A client connected to any of `urls` (comma-separated or a list); reconnects forever on its own."""
    servers = [u.strip() for u in urls.split(",")] if isinstance(urls, str) else urls
    return await nats.connect(servers=servers, name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.25)


def stream_configs(layout: Layout) -> list[StreamConfig]:
    return [
        StreamConfig(
            name=names.EVENTS_STREAM,
            subjects=[f"{names.EVENTS_PREFIX}.>"],
            storage=StorageType.FILE,
            num_replicas=layout.replicas,
            duplicate_window=DUPLICATE_WINDOW_S,
            max_age=layout.events_max_age_s,
        ),
        StreamConfig(
            name=names.CHANGES_STREAM,
            subjects=[f"{names.CHANGES_PREFIX}.>"],
            storage=StorageType.FILE,
            num_replicas=layout.replicas,
            max_age=CHANGES_MAX_AGE_S,
        ),
    ]


def bucket_configs(layout: Layout) -> list[KeyValueConfig]:
    return [
        KeyValueConfig(
            bucket=names.LEASES_BUCKET,
            ttl=layout.lease_seconds,
            replicas=layout.replicas,
            storage=StorageType.FILE,
        ),
        KeyValueConfig(bucket=names.PARTITIONS_BUCKET, replicas=layout.replicas, storage=StorageType.FILE),
    ]


async def ensure(js: JetStreamContext, layout: Layout, patience: float = ENSURE_S) -> list[str]:
    """Create every stream and bucket that is missing (an existing one is updated to `layout` where NATS allows
    it); returns what was created, for the command's output. A cluster that has just started answers with
    time-outs and 503s while it elects its leaders: each step is asked again for up to `patience` seconds."""
    deadline = time.monotonic() + patience
    made: list[str] = []
    for config in stream_configs(layout):
        if await _patiently(functools.partial(_ensure_stream, js, config), deadline):
            made.append(f"stream {config.name}")
    for bucket in bucket_configs(layout):
        if await _patiently(functools.partial(_ensure_bucket, js, bucket), deadline):
            made.append(f"bucket {bucket.bucket}")
    # ready means ready to store: each stream (a bucket is one too) has elected its leader
    for name in [c.name for c in stream_configs(layout)] + [f"KV_{b.bucket}" for b in bucket_configs(layout)]:
        assert name is not None
        await _patiently(functools.partial(_led, js, name), deadline)
    return made


async def _led(js: JetStreamContext, name: str) -> None:
    info = await js.stream_info(name)
    if info.cluster is not None and info.cluster.leader is None:
        raise NoLeaderYet(f"stream {name} has no leader yet")


async def _ensure_stream(js: JetStreamContext, config: StreamConfig) -> bool:
    assert config.name is not None
    try:
        await js.stream_info(config.name)
    except NotFoundError:
        try:
            await js.add_stream(config)
        except BadRequestError as exc:
            # made meanwhile, by another process or by an attempt whose answer was lost
            if not_ready(exc):
                raise
            await js.stream_info(config.name)
            return False
        return True
    # a change NATS cannot make in place (e.g. the replica count) keeps the stream as it is
    with contextlib.suppress(BadRequestError):
        await js.update_stream(config)
    return False


async def _ensure_bucket(js: JetStreamContext, bucket: KeyValueConfig) -> bool:
    try:
        await js.key_value(bucket.bucket)
    except (NotFoundError, BadRequestError):
        try:
            await js.create_key_value(bucket)
        except BadRequestError as exc:  # made meanwhile (perhaps with another TTL, which stays as it is)
            if not_ready(exc):
                raise
            await js.stream_info(f"KV_{bucket.bucket}")
            return False
        return True
    return False


async def _patiently(step: Callable[[], Awaitable[T]], deadline: float) -> T:
    """`step()`, asked again while the cluster is not ready (`not_ready`), until `deadline` (then its last
    error)."""
    while True:
        try:
            return await step()
        except (APIError, *NOT_READY) as exc:
            if not not_ready(exc) or time.monotonic() >= deadline:
                raise
            log.info("JetStream not ready yet (%s): asking again", exc)
            await asyncio.sleep(0.5)
