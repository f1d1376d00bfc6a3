"""After the broker restarts, MQTT ingest reconnects by itself, /readyz says why it was down meanwhile, and every
message the broker acknowledged is stored. A real Mosquitto (stopped and started as a process), a real server."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import httpx

from tests.ingest.broker import Mosquitto, Publisher, wait_for
from tests.ingest.test_mqtt import connected, count, event, ingest_of, rows, serve

TOPIC = "fairwatch/events/s"


def stored(data: Path, n: int) -> bool:
    return count(data) == n


def test_ingest_reconnects_after_the_broker_restarts_and_loses_nothing(tmp_path: Path) -> None:
    with Mosquitto(tmp_path / "broker") as broker, serve(tmp_path, broker) as srv:
        connected(srv)
        pub = Publisher(broker.port)
        pub.publish(TOPIC, event(0)).wait_for_publish(10)
        wait_for(lambda: count(srv.data) == 1, "the first event")
        sent = 1
        with httpx.Client(base_url=srv.url) as anon:
            for _restart in range(2):
                broker.stop()
                wait_for(lambda: not ingest_of(srv).connected, "the lost connection")
                down = anon.get("/readyz")
                assert down.status_code == 503
                [problem] = down.json()["problems"]
                assert problem.startswith("mqtt disconnected: ")
                broker.start()
                wait_for(pub.client.is_connected, "the publisher to reconnect")
                # acknowledged by the broker whether or not Fairwatch is back yet: all of it must be stored
                infos = [pub.publish(TOPIC, event(i)) for i in range(sent, sent + 100)]
                for info in infos:
                    info.wait_for_publish(20)
                sent += 100
                wait_for(partial(stored, srv.data, sent), f"{sent} stored events", timeout=60)
                connected(srv)
                assert anon.get("/readyz").status_code == 200
        ids = {r[0] for r in rows(srv.data, "SELECT eid FROM events")}
        assert ids == {f"e{i}" for i in range(sent)}
        pub.close()
