"""Reading each channel's part of a receiver in a notification file (webhook, email, mqtt)."""

from __future__ import annotations

import re
from collections.abc import Callable
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

import yaml

from fairwatch.notify._reader import Entries, Node, Reader
from fairwatch.notify.model import ChannelConfig, EmailConfig, MqttConfig, WebhookConfig
from fairwatch.yamlfile import join

WEBHOOK_KEYS = ("url", "secret", "secret_env", "headers", "timeout")
EMAIL_KEYS = ("smtp_host", "smtp_port", "from", "to", "starttls", "username", "password_env", "timeout")
MQTT_KEYS = ("url", "topic_prefix", "retain", "password_env", "timeout")
_ADDRESS_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")
# Headers a webhook receiver may not override: the signature and delivery metadata are ours.
RESERVED_HEADERS = frozenset({"content-type", "content-length", "host", "idempotency-key"})


def _read_webhook(reader: Reader, node: Node, path: str) -> WebhookConfig | None:
    entries = reader.mapping(node, path, WEBHOOK_KEYS)
    if entries is None or not reader.require(node, path, entries, ("url",)):
        return None
    url = _url(reader, entries["url"][1], join(path, "url"), ("http", "https"))
    if "secret" in entries and "secret_env" in entries:
        reader.error(entries["secret_env"][0], path, "set either secret or secret_env, not both")
    secret = None
    if "secret" in entries:
        secret = reader.string(entries["secret"][1], join(path, "secret"))
    elif "secret_env" in entries:
        secret = reader.env(entries["secret_env"][1], join(path, "secret_env"))
    headers = _headers(reader, entries["headers"][1], join(path, "headers")) if "headers" in entries else ()
    timeout = _timeout(reader, entries, path)
    if url is None or headers is None or timeout is None:
        return None
    return WebhookConfig(url, secret, headers, timeout)


def _headers(reader: Reader, node: Node, path: str) -> tuple[tuple[str, str], ...] | None:
    if not isinstance(node, yaml.MappingNode):
        reader.error(node, path, "expected a mapping of header names to values", got=node)
        return None
    out: list[tuple[str, str]] = []
    for key_node, value_node in node.value:
        name, value = reader.value(key_node), reader.value(value_node)
        if not isinstance(name, str) or not re.match(r"^[A-Za-z0-9-]+$", name):
            reader.error(key_node, path, f"invalid header name {reader.describe(key_node)}")
        elif name.lower() in RESERVED_HEADERS or name.lower().startswith("x-fairwatch-"):
            reader.error(key_node, join(path, name), "is set by Fairwatch and cannot be overridden")
        elif not isinstance(value, str) or "\r" in value or "\n" in value:
            reader.error(value_node, join(path, name), "expected a one-line string", got=value_node)
        else:
            out.append((name, value))
    return tuple(out)


def _read_email(reader: Reader, node: Node, path: str) -> EmailConfig | None:
    entries = reader.mapping(node, path, EMAIL_KEYS)
    if entries is None or not reader.require(node, path, entries, ("smtp_host", "from", "to")):
        return None
    host = reader.string(entries["smtp_host"][1], join(path, "smtp_host"))
    sender = _address(reader, entries["from"][1], join(path, "from"))
    to = _addresses(reader, entries["to"][1], join(path, "to"))
    starttls = (
        reader.boolean(entries["starttls"][1], join(path, "starttls")) if "starttls" in entries else None
    )
    port = 587 if starttls else 25
    if "smtp_port" in entries:
        port = reader.integer(entries["smtp_port"][1], join(path, "smtp_port"), 1, 65535) or 0
    username = (
        reader.string(entries["username"][1], join(path, "username")) if "username" in entries else None
    )
    password = (
        reader.env(entries["password_env"][1], join(path, "password_env"))
        if "password_env" in entries
        else None
    )
    if "password_env" in entries and "username" not in entries:
        reader.error(entries["password_env"][0], path, "password_env needs username")
    timeout = _timeout(reader, entries, path)
    if host is None or sender is None or to is None or not port or timeout is None:
        return None
    return EmailConfig(host, sender, to, port, starttls, username, password, timeout)


def _address(reader: Reader, node: Node, path: str) -> str | None:
    text = reader.string(node, path)
    if text is None:
        return None
    if "\n" in text or "\r" in text or not _ADDRESS_RE.match(parseaddr(text)[1]):
        reader.error(node, path, f"invalid e-mail address {text!r}")
        return None
    return text


def _addresses(reader: Reader, node: Node, path: str) -> tuple[str, ...] | None:
    items = reader.strings(node, path)
    if items is None:
        return None
    good = [a for a in items if "\n" not in a and _ADDRESS_RE.match(parseaddr(a)[1])]
    for bad in (a for a in items if a not in good):
        reader.error(node, path, f"invalid e-mail address {bad!r}")
    return items if len(good) == len(items) else None


def _read_mqtt(reader: Reader, node: Node, path: str) -> MqttConfig | None:
    entries = reader.mapping(node, path, MQTT_KEYS)
    if entries is None or not reader.require(node, path, entries, ("url",)):
        return None
    url = _url(reader, entries["url"][1], join(path, "url"), ("mqtt", "mqtts"))
    prefix = "fairwatch/alarms"
    if "topic_prefix" in entries:
        prefix = _topic_prefix(reader, entries["topic_prefix"][1], join(path, "topic_prefix")) or ""
    retain = reader.boolean(entries["retain"][1], join(path, "retain")) if "retain" in entries else False
    password = (
        reader.env(entries["password_env"][1], join(path, "password_env"))
        if "password_env" in entries
        else None
    )
    timeout = _timeout(reader, entries, path)
    if url is None or not prefix or retain is None or timeout is None:
        return None
    parts = urlsplit(url)
    tls = parts.scheme == "mqtts"
    port = parts.port or (8883 if tls else 1883)
    username = unquote(parts.username) if parts.username else None
    password = password or (unquote(parts.password) if parts.password else None)
    return MqttConfig(parts.hostname or "", port, tls, username, password, prefix, retain, timeout)


def _topic_prefix(reader: Reader, node: Node, path: str) -> str | None:
    prefix = reader.string(node, path)
    if prefix is not None and (
        any(c in prefix for c in "+#\0") or prefix.startswith("/") or prefix.endswith("/")
    ):
        reader.error(
            node, path, f"invalid topic prefix {prefix!r} (no wildcards, no leading or trailing '/')"
        )
        return None
    return prefix


def _url(reader: Reader, node: Node, path: str, schemes: tuple[str, ...]) -> str | None:
    text = reader.string(node, path)
    if text is None:
        return None
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError for a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in schemes or not parts.hostname:
        reader.error(node, path, f"expected an {' or '.join(schemes)} URL with a host", got=text)
        return None
    return text


def _timeout(reader: Reader, entries: Entries, path: str) -> float | None:
    if "timeout" not in entries:
        return 10.0
    return reader.duration(entries["timeout"][1], join(path, "timeout"))


CHANNEL_READERS: dict[str, Callable[[Reader, Node, str], ChannelConfig | None]] = {
    "webhook": _read_webhook,
    "email": _read_email,
    "mqtt": _read_mqtt,
}
