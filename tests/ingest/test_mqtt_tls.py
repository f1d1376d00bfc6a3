"""MQTT over TLS (mqtts://): the broker is verified against the configured CA; a wrong CA is a logged,
retried connection failure and a readiness problem, never a crash."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from fairwatch.clock import FakeClock
from fairwatch.ingest.mqtt import MqttIngest
from tests.harness import Server
from tests.ingest.broker import Mosquitto, Publisher, make_certificates, wait_for

NOW = 1_783_000_000.0


def mqtt_of(srv: Server) -> MqttIngest:
    assert srv.app is not None
    ingest = srv.app.mqtt
    assert isinstance(ingest, MqttIngest)
    return ingest


def test_events_arrive_over_tls(tmp_path: Path) -> None:
    with (
        Mosquitto(tmp_path / "broker", tls=True) as broker,
        Server(tmp_path / "data", None, FakeClock(NOW), mqtt_url=broker.url, mqtt_ca_file=broker.ca) as srv,
    ):
        wait_for(lambda: mqtt_of(srv).connected, "a TLS connection")
        pub = Publisher(broker.port, ca=broker.ca)
        for i in range(300):  # enough to fill TLS records with several messages each
            pub.publish(
                "fairwatch/events/gate-1", b'{"id": "t%d", "type": "crowd.count", "value": %d}' % (i, i)
            )
        pub.publish("fairwatch/events/gate-1", b'{"id": "last", "type": "crowd.count"}').wait_for_publish(10)

        def count() -> int:
            with sqlite3.connect(srv.data / "fairwatch.db") as conn:
                return int(conn.execute("SELECT COUNT(*) FROM events WHERE source = 'gate-1'").fetchone()[0])

        wait_for(lambda: count() == 301, "301 events over TLS")
        pub.close()


def test_a_broker_the_ca_does_not_vouch_for_is_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = tmp_path / "other-ca"
    other.mkdir()
    make_certificates(other)
    with (
        Mosquitto(tmp_path / "broker", tls=True) as broker,
        Server(
            tmp_path / "data", None, FakeClock(NOW), mqtt_url=broker.url, mqtt_ca_file=other / "ca.pem"
        ) as srv,
    ):
        failure = f"MQTT broker {broker.url}: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"

        def refused() -> bool:
            return any(r.getMessage().startswith(failure) for r in caplog.records)

        wait_for(refused, "the refused TLS handshake to be logged")
        ready = httpx.get(srv.url + "/readyz")
        assert ready.status_code == 503
        [problem] = ready.json()["problems"]  # the reason is shown: the operator can see what to fix
        assert problem.startswith(
            "mqtt disconnected: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
        )
        assert not mqtt_of(srv).connected
