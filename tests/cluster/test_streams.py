"""`streams.ensure` on a real 3-node JetStream cluster: idempotent, replicated, deduplicating by Nats-Msg-Id."""

from __future__ import annotations

import uuid

from fairwatch.cluster import names, streams, wire
from fairwatch.cluster.localnats import LocalNats
from fairwatch.model import Event
from tests.cluster.worker_helpers import fetch


async def test_ensure_creates_replicated_streams_once_and_dedups_a_retried_publish(
    nats_cluster: LocalNats,
) -> None:
    nc = await streams.connect(",".join(nats_cluster.urls), "test")
    try:
        js = nc.jetstream()
        layout = streams.Layout(replicas=3, lease_seconds=5)
        await streams.ensure(js, layout)
        again = await streams.ensure(js, layout)
        assert again == []
        info = await js.stream_info(names.EVENTS_STREAM)
        assert info.config.num_replicas == 3
        site = "p" + uuid.uuid4().hex[:8]
        event = Event("e1", "gate-7", "crowd.count", 1.0, 2.0, site=site)
        acks = [
            await js.publish(
                names.event_subject(event), wire.encode(event), headers={names.MSG_ID: names.msg_id(event)}
            )
            for _ in range(2)
        ]
        assert acks[0].duplicate is not True and acks[1].duplicate is True
        assert acks[0].seq == acks[1].seq
        sub = await js.pull_subscribe(f"{names.EVENTS_PREFIX}.{site}", durable=None)
        got = await fetch(sub, 10, timeout=2)
        assert [wire.decode_event(m.data) for m in got] == [event]
    finally:
        await nc.close()


def test_a_cluster_still_electing_is_asked_again_and_a_real_refusal_is_not() -> None:
    from nats.errors import TimeoutError as NatsTimeout
    from nats.js.errors import BadRequestError, NotFoundError, ServiceUnavailableError

    assert streams.not_ready(NatsTimeout())
    assert streams.not_ready(ServiceUnavailableError())
    assert streams.not_ready(BadRequestError(code=400, err_code=10005, description="no suitable peers"))
    assert not streams.not_ready(BadRequestError(code=400, err_code=10058, description="name in use"))
    assert not streams.not_ready(NotFoundError(code=404, err_code=10059, description="stream not found"))
    assert not streams.not_ready(ValueError("bad config"))
