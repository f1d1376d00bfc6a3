"""A real Mosquitto broker for tests, on a free loopback port, with persistence; plus small MQTT client helpers."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import paho.mqtt.client as paho
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from paho.mqtt.enums import CallbackAPIVersion

from fairwatch.clock import FakeClock
from tests.harness import Server
from tests.services import free_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
T = TypeVar("T")


def wait_for(check: Callable[[], T], what: str, timeout: float = 20.0) -> T:
    """Poll `check` until it returns something truthy; fail naming `what` (real network: no fake clock here)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class Mosquitto:
    """`with Mosquitto(tmp_path) as broker:`; `broker.url`, `stop()` (SIGTERM), `kill()` (SIGKILL), `start()` again
    on the same port."""

    def __init__(self, root: Path, tls: bool = False) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"{'mqtts' if tls else 'mqtt'}://127.0.0.1:{self.port}"
        self.db = root / "mosquitto.db"
        self.conf = root / "mosquitto.conf"
        self.ca = root / "ca.pem"
        listener = f"listener {self.port} 127.0.0.1\n"
        if tls:
            server_cert, server_key = make_certificates(root)
            listener += f"cafile {self.ca}\ncertfile {server_cert}\nkeyfile {server_key}\n"
        self.conf.write_text(
            listener + "allow_anonymous true\n"
            "user root\n"  # only matters when the tests run as root: keep write access to the data directory
            "persistence true\n"
            f"persistence_location {root}/\n"
            "persistence_file mosquitto.db\n"
            "autosave_interval 3600\n"
            "max_queued_messages 0\n"  # no cap: the default (1000) would drop queued QoS 1 messages
            f"log_dest file {root}/mosquitto.log\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Mosquitto:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def start(self) -> None:
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stderr=subprocess.DEVNULL)
        wait_for(self._accepting, f"mosquitto on port {self.port}")

    def _accepting(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(
                f"mosquitto exited: {(self.root / 'mosquitto.log').read_text(errors='replace')}"
            )
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def save(self) -> None:
        """Write the persistence file now (SIGUSR1) and wait until it is on disk."""
        assert self.proc is not None
        before = self.db.stat().st_ino if self.db.exists() else None
        self.proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: self.db.exists() and self.db.stat().st_ino != before, "the mosquitto database")

    def stop(self) -> None:
        """SIGTERM: a clean shutdown that saves the persistence file (sessions and queued messages)."""
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(10)

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, no final save."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


class Publisher:
    """A paho client (MQTT 3.1.1) with its own network thread; `publish` waits for the broker's PUBACK."""

    def __init__(self, port: int, client_id: str = "test-publisher", ca: Path | None = None) -> None:
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        if ca is not None:
            self.client.tls_set(ca_certs=str(ca))
        self.client.max_inflight_messages_set(200)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(1, 1)
        self.client.connect(MOSQUITTO_HOST, port)
        self.client.loop_start()

    def publish(self, topic: str, payload: bytes | str, qos: int = 1) -> paho.MQTTMessageInfo:
        return self.client.publish(topic, payload, qos=qos)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Collector:
    """Subscribes to `topic` and keeps what arrives (topic, payload)."""

    def __init__(self, port: int, topic: str) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        subscribed = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"collector-{free_port()}")
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_a: subscribed.set()
        self.client.on_connect = lambda c, *_a: c.subscribe(topic, qos=1)
        self.client.connect(MOSQUITTO_HOST, port)
        self.client.loop_start()
        if not subscribed.wait(10):
            raise AssertionError(f"could not subscribe to {topic}")

    def _on_message(self, _c: Any, _u: Any, message: paho.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((message.topic, bytes(message.payload)))

    def received(self) -> list[tuple[str, bytes]]:
        with self._lock:
            return list(self.messages)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


MOSQUITTO_HOST = "127.0.0.1"


def make_certificates(root: Path) -> tuple[Path, Path]:
    """A throwaway CA (root/ca.pem) and a server certificate for 127.0.0.1 signed by it: (cert, key) paths."""

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("fairwatch test CA"))
        .issuer_name(name("fairwatch test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(san, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (root / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (root / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (root / "server.key").write_bytes(pem)
    return root / "server.pem", root / "server.key"


@contextlib.contextmanager
def frigate_server(tmp_path: Path, rules: str, now: float, site: Path) -> Iterator[tuple[Server, Publisher]]:
    """A real server with `site` reading Frigate from a throwaway Mosquitto, once its subscription is up, and a
    publisher on that broker."""
    with (
        Mosquitto(tmp_path / "broker") as broker,
        Server(
            tmp_path / "data", rules, FakeClock(now), site=site, mqtt_url=broker.url, frigate_prefix="frigate"
        ) as srv,
    ):
        wait_for(
            lambda: srv.app is not None and srv.app.mqtt is not None and srv.app.mqtt.connected,
            "the MQTT subscription",
        )
        yield srv, Publisher(broker.port)
