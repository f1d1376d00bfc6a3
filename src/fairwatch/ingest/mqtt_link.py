"""One MQTT 5 connection driven by the asyncio loop: a paho client with manual acknowledgement whose socket the
loop watches directly, so no network thread competes with the writer for the GIL and PUBACKs go out only when
the ingest says so. aiomqtt 2.5 offers no manual acknowledgement, hence this small bridge."""

from __future__ import annotations

import asyncio
import functools
import select
import ssl
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

SESSION_EXPIRY_S = 7 * 24 * 3600  # the broker keeps our queue this long while Fairwatch is down
KEEPALIVE_S = 30
READ_BURST = 256  # most packets per readable callback (~25 ms), so HTTP requests still get their turn


class LinkError(ConnectionError):
    """The connection failed, was refused, or was lost."""


@dataclass(frozen=True, slots=True)
class Broker:
    """Where and how to connect; `password` never appears in `describe()` or logs."""

    host: str
    port: int
    client_id: str
    tls: bool = False
    username: str | None = None
    password: str | None = None
    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    max_inflight: int = 1000

    def describe(self) -> str:
        """The broker address without credentials."""
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


class Link:
    """A paho client bound to the running loop; create one per connection attempt."""

    def __init__(self, broker: Broker, inbox_limit: int) -> None:
        self.broker = broker
        self.loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self.opened: asyncio.Future[None] = self.loop.create_future()
        self.closed: asyncio.Future[None] = self.loop.create_future()
        self.inbox: deque[paho.MQTTMessage] = deque()
        self.inbox_limit = inbox_limit
        self.dropped = 0  # QoS 0 messages dropped because the inbox was full
        self._wake = asyncio.Event()
        self._publishes: dict[int, asyncio.Future[None]] = {}
        self._subscribes: dict[int, asyncio.Future[list[ReasonCode]]] = {}
        self._fd: int | None = None
        self._misc: asyncio.Task[None] | None = None
        self._session_present = False
        self.client = self._make_client()

    def _make_client(self) -> paho.Client:
        b = self.broker
        c = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=b.client_id, protocol=paho.MQTTv5, manual_ack=True
        )
        if b.username is not None:
            c.username_pw_set(b.username, b.password)
        if b.tls:
            c.tls_set(
                ca_certs=str(b.ca_file) if b.ca_file else None,
                certfile=str(b.cert_file) if b.cert_file else None,
                keyfile=str(b.key_file) if b.key_file else None,
                cert_reqs=ssl.CERT_REQUIRED,
            )
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.on_publish = self._on_publish
        c.on_subscribe = self._on_subscribe
        c.on_socket_open = self._on_socket_open
        c.on_socket_close = self._on_socket_close
        c.on_socket_register_write = self._on_register_write
        c.on_socket_unregister_write = self._on_unregister_write
        return c

    # -- connecting ------------------------------------------------------------------------------------------
    async def connect(self, timeout: float) -> bool:
        """Open the connection and resume the session; returns whether the broker still had our session."""
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        props.ReceiveMaximum = self.broker.max_inflight  # the broker's in-flight bound towards us
        connect = functools.partial(
            self.client.connect,
            self.broker.host,
            self.broker.port,
            KEEPALIVE_S,
            clean_start=False,
            properties=props,
        )
        try:
            # connect() blocks on DNS, TCP and TLS; a thread keeps the loop serving HTTP meanwhile.
            await self.loop.run_in_executor(None, connect)
        except (OSError, ValueError, ssl.SSLError) as exc:
            raise LinkError(str(exc) or type(exc).__name__) from None
        try:
            await asyncio.wait_for(asyncio.shield(self.opened), timeout)
        except TimeoutError:
            raise LinkError(f"no CONNACK within {timeout:g}s") from None
        return self._session_present

    async def subscribe(self, filters: list[str], timeout: float) -> None:
        """Subscribe at QoS 1; a refused filter is a LinkError naming it."""
        rc, mid = self.client.subscribe([(f, SubscribeOptions(qos=1)) for f in filters])
        if rc != paho.MQTT_ERR_SUCCESS or mid is None:
            raise LinkError(f"subscribe failed: {paho.error_string(rc)}")
        fut: asyncio.Future[list[ReasonCode]] = self.loop.create_future()
        self._subscribes[mid] = fut
        codes = await self._wait(fut, timeout, "SUBACK")
        refused = [f"{f} ({c})" for f, c in zip(filters, codes, strict=False) if c.is_failure]
        if refused:
            raise LinkError(f"broker refused subscription to {', '.join(refused)}")

    async def publish(self, topic: str, payload: bytes, timeout: float) -> None:
        """Publish at QoS 1 and wait for the broker's PUBACK."""
        info = self.client.publish(topic, payload, qos=1)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            raise LinkError(f"publish to {topic} failed: {paho.error_string(info.rc)}")
        if info.is_published():
            return
        fut: asyncio.Future[None] = self.loop.create_future()
        self._publishes[info.mid] = fut
        await self._wait(fut, timeout, "PUBACK")

    async def _wait(self, fut: asyncio.Future[Any], timeout: float, what: str) -> Any:
        done, _ = await asyncio.wait((fut, self.closed), timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if fut in done:
            return fut.result()
        fut.cancel()
        raise LinkError("connection lost" if self.closed.done() else f"no {what} within {timeout:g}s")

    def ack(self, message: paho.MQTTMessage) -> None:
        """Send the PUBACK of a QoS 1 message (nothing for QoS 0) while this connection is up."""
        if message.qos > 0 and not self.closed.done():
            self.client.ack(message.mid, message.qos)

    async def take(self, limit: int) -> list[paho.MQTTMessage]:
        """Up to `limit` received messages, waiting for at least one; [] once the connection is closed."""
        while not self.inbox or self.closed.done():
            if self.closed.done():
                return []  # what was received but not acked comes again on the next connection
            self._wake.clear()
            waiter = asyncio.ensure_future(self._wake.wait())
            await asyncio.wait((waiter, self.closed), return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
        n = min(limit, len(self.inbox))
        return [self.inbox.popleft() for _ in range(n)]

    async def close(self) -> None:
        """Disconnect politely if still connected, then release the socket."""
        if self.opened.done() and not self.closed.done():
            self.client.disconnect()
            await asyncio.wait((self.closed,), timeout=2)
        self._unwatch()
        sock = self.client.socket()
        if sock is not None:
            sock.close()
        self._set_closed(LinkError("closed"))

    # -- paho callbacks (on the loop thread, except socket callbacks during connect) ---------------------------
    def _on_connect(
        self, _c: paho.Client, _u: Any, flags: paho.ConnectFlags, rc: ReasonCode, _p: Any
    ) -> None:
        self._session_present = bool(flags.session_present)
        if self.opened.done():
            return
        if rc.is_failure:
            self.opened.set_exception(LinkError(f"broker refused the connection: {rc}"))
        else:
            self.opened.set_result(None)

    def _on_disconnect(self, _c: paho.Client, _u: Any, _f: Any, rc: ReasonCode, _p: Any) -> None:
        self._set_closed(LinkError(f"disconnected: {rc}"))

    def _set_closed(self, exc: LinkError) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc)
            self.opened.exception()  # retrieved: nobody may be waiting any more
        if not self.closed.done():
            self.closed.set_result(None)
        self._wake.set()
        if self._misc is not None:
            self._misc.cancel()

    def _on_message(self, _c: paho.Client, _u: Any, message: paho.MQTTMessage) -> None:
        # QoS 1 is bounded by Receive Maximum; QoS 0 is not, so a flood of it is shed here (at most once anyway).
        if message.qos == 0 and len(self.inbox) >= self.inbox_limit:
            self.dropped += 1
            return
        self.inbox.append(message)
        self._wake.set()

    def _on_publish(self, _c: paho.Client, _u: Any, mid: int, _rc: ReasonCode, _p: Any) -> None:
        fut = self._publishes.pop(mid, None)
        if fut is not None and not fut.done():
            fut.set_result(None)

    def _on_subscribe(self, _c: paho.Client, _u: Any, mid: int, codes: list[ReasonCode], _p: Any) -> None:
        fut = self._subscribes.pop(mid, None)
        if fut is not None and not fut.done():
            fut.set_result(codes)

    # -- socket plumbing ---------------------------------------------------------------------------------------
    def _on_loop(self, fn: Callable[..., None], *args: Any) -> None:
        # Directly when already on the loop: a closed socket's fd may be reused at once, so removal cannot wait.
        if threading.get_ident() == self._loop_thread:
            fn(*args)
        else:
            self.loop.call_soon_threadsafe(fn, *args)

    def _on_socket_open(self, _c: paho.Client, _u: Any, sock: Any) -> None:
        self._on_loop(self._watch, sock.fileno())

    def _on_socket_close(self, _c: paho.Client, _u: Any, _sock: Any) -> None:
        self._on_loop(self._unwatch)

    def _on_register_write(self, _c: paho.Client, _u: Any, sock: Any) -> None:
        self._on_loop(self._want_write, sock.fileno(), True)

    def _on_unregister_write(self, _c: paho.Client, _u: Any, sock: Any) -> None:
        self._on_loop(self._want_write, sock.fileno(), False)

    def _watch(self, fd: int) -> None:
        if self.closed.done():
            return
        self._fd = fd
        self.loop.add_reader(fd, self._readable)
        self._misc = self.loop.create_task(self._misc_loop(), name="fairwatch-mqtt-keepalive")

    def _unwatch(self) -> None:
        if self._fd is not None:
            self.loop.remove_reader(self._fd)
            self.loop.remove_writer(self._fd)
            self._fd = None
        if self._misc is not None:
            self._misc.cancel()

    def _want_write(self, fd: int, on: bool) -> None:
        if on and fd == self._fd and not self.closed.done():
            self.loop.add_writer(fd, self._writable)
        elif not on:
            self.loop.remove_writer(fd)

    def _readable(self) -> None:
        # paho reads one packet per call; reading on while bytes wait keeps batches large (one commit for many).
        try:
            for _ in range(READ_BURST):
                if self.client.loop_read() != paho.MQTT_ERR_SUCCESS or not self._more_to_read():
                    break
        except Exception as exc:
            self._set_closed(LinkError(f"read failed: {exc}"))
            self._unwatch()

    def _more_to_read(self) -> bool:
        sock = self.client.socket()
        if sock is None or self.closed.done():
            return False
        if isinstance(sock, ssl.SSLSocket) and sock.pending() > 0:
            return True  # decrypted bytes the selector cannot see
        return bool(select.select([sock], [], [], 0)[0])

    def _writable(self) -> None:
        try:
            self.client.loop_write()
        except Exception as exc:
            self._set_closed(LinkError(f"write failed: {exc}"))
            self._unwatch()

    async def _misc_loop(self) -> None:
        while self.client.loop_misc() == paho.MQTT_ERR_SUCCESS:
            await asyncio.sleep(1)
