"""Create the cluster's streams and key-value buckets (idempotent): what `fairwatch cluster init` does on NATS."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from fairwatch.cluster import names

DUPLICATE_WINDOW_S = 600.0  # a publish retried within ten minutes with the same Nats-Msg-Id is stored once
CHANGES_MAX_AGE_S = 86_400.0  # a console reconnecting within a day resumes from its Last-Event-ID


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


async def ensure(js: JetStreamContext, layout: Layout) -> list[str]:
    """Create every stream and bucket that is missing (an existing one is updated to `layout` where NATS allows
    it); returns what was created, for the command's output."""
    made: list[str] = []
    for config in stream_configs(layout):
        assert config.name is not None
        try:
            await js.stream_info(config.name)
            # a change NATS cannot make in place (e.g. the replica count) keeps the stream as it is
            with contextlib.suppress(BadRequestError):
                await js.update_stream(config)
        except NotFoundError:
            await js.add_stream(config)
            made.append(f"stream {config.name}")
    for bucket in bucket_configs(layout):
        try:
            await js.key_value(bucket.bucket)
        except (NotFoundError, BadRequestError):
            await js.create_key_value(bucket)
            made.append(f"bucket {bucket.bucket}")
    return made
