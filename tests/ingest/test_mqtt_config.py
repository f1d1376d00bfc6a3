"""The pure parts of MQTT ingest: broker URL and topic settings, source from topic, ids, backoff, dead letters."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairwatch.errors import ConfigError
from fairwatch.ingest.install import build_mqtt
from fairwatch.ingest.mqtt import (
    backoff_delay,
    default_client_id,
    derived_id,
    events_route,
    parse_broker,
    source_from_topic,
    topic_filters,
)
from fairwatch.ingest.mqtt_link import Broker
from fairwatch.settings import Settings, from_env

DATA = Path("/srv/fairwatch")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://broker.local", Broker("broker.local", 1883, "id")),
        ("mqtt://10.0.0.5:1884", Broker("10.0.0.5", 1884, "id")),
        ("mqtts://broker.local", Broker("broker.local", 8883, "id", tls=True)),
        (
            "mqtt://fw:s%40cret@broker.local:1883",
            Broker("broker.local", 1883, "id", username="fw", password="s@cret"),
        ),
        ("mqtt://fw@broker.local/", Broker("broker.local", 1883, "id", username="fw")),
    ],
    ids=["default-port", "port", "tls-default-port", "credentials-unquoted", "user-only"],
)
def test_broker_urls(url: str, expected: Broker) -> None:
    assert parse_broker(Settings(data=DATA, mqtt_url=url, mqtt_client_id="id")) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://broker:1883", "mqtt_url: scheme must be mqtt or mqtts (got 'http://broker:1883')"),
        ("mqtt://:1883", "mqtt_url: a host is required, like mqtt://broker.local:1883 (got 'mqtt://:1883')"),
        ("mqtt://b:99999", "mqtt_url: port must be a number from 1 to 65535 (got 'mqtt://b:99999')"),
        (
            "mqtt://u:hunter2@b/topic",
            "mqtt_url: must not have a path or query; topics go in mqtt_topics (got 'mqtt://u:***@b/topic')",
        ),
    ],
    ids=["scheme", "no-host", "bad-port", "path-and-password-hidden"],
)
def test_bad_broker_urls_name_the_problem_without_the_password(url: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_broker(Settings(data=DATA, mqtt_url=url))
    assert caught.value.messages == [message]


def test_settings_come_from_the_environment() -> None:
    env = {
        "FAIRWATCH_MQTT_URL": "mqtt://b",
        "FAIRWATCH_MQTT_MAX_INFLIGHT": "50",
        "FAIRWATCH_METRICS_PUBLIC": "true",
    }
    s = from_env(env)
    assert (s.mqtt_url, s.mqtt_max_inflight, s.metrics_public) == ("mqtt://b", 50, True)


def test_the_default_client_id_is_stable_per_data_directory() -> None:
    assert default_client_id(DATA) == default_client_id(DATA)
    assert default_client_id(DATA) != default_client_id(DATA / "other")
    assert default_client_id(DATA).startswith("fairwatch-") and len(default_client_id(DATA)) == 22


@pytest.mark.parametrize(
    ("text", "result"),
    [
        ("fairwatch/events/#", ["fairwatch/events/#"]),
        (" a/+/b , c/# ", ["a/+/b", "c/#"]),
        ("a/#/b", "mqtt_topics: invalid topic filter 'a/#/b' ('+' must be a whole level, '#' the last)"),
        ("a/b+", "mqtt_topics: invalid topic filter 'a/b+' ('+' must be a whole level, '#' the last)"),
        (" , ", "mqtt_topics: at least one topic filter is required"),
    ],
    ids=["default", "several", "hash-not-last", "partial-plus", "empty"],
)
def test_topic_filters(text: str, result: list[str] | str) -> None:
    if isinstance(result, list):
        assert topic_filters(text) == result
    else:
        with pytest.raises(ConfigError) as caught:
            topic_filters(text)
        assert caught.value.messages == [result]


@pytest.mark.parametrize(
    ("topic_filter", "topic", "source"),
    [
        ("fairwatch/events/#", "fairwatch/events/gate-3", "gate-3"),
        ("fairwatch/events/#", "fairwatch/events/north/gate-3", "north/gate-3"),
        ("fairwatch/events/#", "fairwatch/events", None),
        ("site/+", "site/cam-1", "cam-1"),
        ("site/+/events", "site/cam-1/events", None),
    ],
    ids=["one-level", "several-levels", "no-tail", "trailing-plus", "inner-plus"],
)
def test_source_from_topic(topic_filter: str, topic: str, source: str | None) -> None:
    assert source_from_topic(topic_filter, topic) == source


def test_events_route_fills_source_and_ids_without_overriding_the_payload() -> None:
    route = events_route("fairwatch/events/#")
    payload = b'[{"type": "a"}, {"type": "b", "source": "own", "id": "x"}, {"type": "c", "time": "2026-07-01T00:00:00Z"}]'
    first, second, third = route.decode("fairwatch/events/g1", payload)
    assert (first, second) == ({"type": "a", "source": "g1"}, {"type": "b", "source": "own", "id": "x"})
    assert third["id"] == derived_id("fairwatch/events/g1", payload, 2)
    assert third["id"] != derived_id("fairwatch/events/g2", payload, 2)


@pytest.mark.parametrize(
    ("attempt", "u", "delay"),
    [
        (0, 0.0, 0.25),
        (0, 0.999, 0.49975),
        (3, 0.5, 3.0),
        (10, 0.0, 15.0),
        (10, 1.0, 30.0),
        (10_000, 0.5, 22.5),
    ],
    ids=["first-low", "first-high", "fourth", "capped-low", "capped-high", "huge-attempt"],
)
def test_backoff_grows_exponentially_with_jitter_and_a_cap(attempt: int, u: float, delay: float) -> None:
    assert backoff_delay(attempt, 0.5, 30.0, u) == pytest.approx(delay)


def test_frigate_needs_a_broker() -> None:
    class Host:
        settings = Settings(data=DATA, frigate_prefix="frigate")

    with pytest.raises(ConfigError) as caught:
        build_mqtt(Host())  # type: ignore[arg-type]
    assert caught.value.messages == ["frigate_prefix: needs mqtt_url (Frigate is read from its MQTT broker)"]
