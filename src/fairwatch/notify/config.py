"""Notification files: strict YAML -> `NotifyConfig` (docs/integrations.md, "Out").

Every problem in a file is collected and raised together as one ConfigError; each message names file, line,
item (`route 2`, `receiver 1 ('ops')`), field path and the bad value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import yaml
from jinja2 import Template, TemplateSyntaxError

from fairwatch.errors import ConfigError
from fairwatch.model import Severity
from fairwatch.notify._channels import CHANNEL_READERS
from fairwatch.notify._reader import Entries, Node, Reader
from fairwatch.notify.model import (
    CHANGE_KINDS,
    CHANNELS,
    DEFAULT_CHANGES,
    EscalationLevel,
    EscalationPolicy,
    NotifyConfig,
    Receiver,
    RetryPolicy,
    Route,
)
from fairwatch.notify.templates import DEFAULTS, TEMPLATE_KEYS, Templates, compile_template
from fairwatch.yamlfile import compose, join, line_of, one_of, read_text

TOP_KEYS = ("repeat_interval", "retry", "templates", "receivers", "routes", "escalations")
ROUTE_KEYS = (
    "name",
    "type",
    "severity",
    "zone",
    "site",
    "changes",
    "receivers",
    "repeat_interval",
    "escalation",
)
ESCALATION_KEYS = ("name", "levels", "ack_timeout")
LEVEL_KEYS = ("after", "receivers", "repeat")
RECEIVER_KEYS = ("name", *CHANNELS, "templates")
RETRY_KEYS = ("max_attempts", "initial", "max")
SEVERITIES = tuple(s.value for s in Severity)
# Receiver names appear in idempotency keys (`alarm:version:receiver`), so no colons or spaces.
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_SEVERITY_AT_LEAST = re.compile(r"^>=\s*(\S+)$")

_TopTemplates = dict[tuple[str, str], Template]


def load_notify(path: Path, environ: Mapping[str, str] | None = None) -> NotifyConfig:
    """Read and check a notification file; ConfigError lists every problem."""
    return parse_notify(read_text(path, "notification"), str(path), environ)


def parse_notify(
    text: str, filename: str = "notify.yaml", environ: Mapping[str, str] | None = None
) -> NotifyConfig:
    """Parse and check a notification file's text; ConfigError lists every problem."""
    reader = Reader(filename, environ=os.environ if environ is None else environ)
    root, syntax_error = compose(text, filename)
    if syntax_error is not None:
        raise ConfigError([syntax_error])
    config = _read_file(reader, root, filename)
    if reader.found or config is None:
        raise ConfigError(reader.errors or [f"{filename}:1: invalid notification file"])
    return config


def _read_file(reader: Reader, root: Node | None, filename: str) -> NotifyConfig | None:
    if root is None:
        reader.found.append(
            (1, f"{filename}:1: expected a mapping with keys receivers and routes (got an empty file)")
        )
        return None
    entries = reader.mapping(root, "", TOP_KEYS)
    if entries is None or not reader.require(root, "", entries, ("receivers", "routes")):
        return None
    repeat = (
        reader.duration(entries["repeat_interval"][1], "repeat_interval")
        if "repeat_interval" in entries
        else None
    )
    retry = _read_retry(reader, entries["retry"][1]) if "retry" in entries else RetryPolicy()
    shared = _read_templates(reader, entries["templates"][1], "templates") if "templates" in entries else {}
    receivers = _read_receivers(reader, entries["receivers"][1], shared)
    policies = (
        _read_escalations(reader, entries["escalations"][1], receivers) if "escalations" in entries else {}
    )
    routes = _read_routes(reader, entries["routes"][1], receivers, repeat, policies)
    return NotifyConfig(receivers, tuple(routes), retry or RetryPolicy(), filename, policies)


# -- receivers ---------------------------------------------------------------------------------------------
def _read_receivers(reader: Reader, node: Node, shared: _TopTemplates) -> dict[str, Receiver]:
    items = reader.sequence(node, "receivers", "receivers")
    found: dict[str, Receiver] = {}
    first_line: dict[str, int] = {}
    for index, item in enumerate(items or [], start=1):
        name = _peek_name(reader, item)
        reader.item = f"receiver {index} ({name!r})" if name else f"receiver {index}"
        receiver = _read_receiver(reader, item, shared)
        if receiver is not None and receiver.name in first_line:
            message = f"duplicate receiver name {receiver.name!r} (first at line {first_line[receiver.name]})"
            reader.error(item, "name", message)
        elif receiver is not None:
            found[receiver.name] = receiver
            first_line[receiver.name] = line_of(item)
    reader.item = ""
    return found


def _peek_name(reader: Reader, node: Node) -> str | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if reader.value(key_node) == "name":
            value = reader.value(value_node)
            return value if isinstance(value, str) else None
    return None


def _read_receiver(reader: Reader, node: Node, shared: _TopTemplates) -> Receiver | None:
    errors_before = len(reader.found)
    entries = reader.mapping(node, "", RECEIVER_KEYS)
    if entries is None or not reader.require(node, "", entries, ("name",)):
        return None
    name = _read_name(reader, entries["name"][1])
    channels = [c for c in CHANNELS if c in entries]
    if len(channels) != 1:
        got = ", ".join(channels) if channels else "none"
        reader.error(node, "", f"expected exactly one of {', '.join(CHANNELS)} (got {got})")
        return None
    channel = channels[0]
    config = CHANNEL_READERS[channel](reader, entries[channel][1], channel)
    own = _read_templates(reader, entries["templates"][1], "templates") if "templates" in entries else {}
    if name is None or config is None or len(reader.found) > errors_before:
        return None
    return Receiver(name, channel, config, _templates_for(channel, own, shared))


def _read_name(reader: Reader, node: Node) -> str | None:
    name = reader.string(node, "name")
    if name is not None and not NAME_RE.match(name):
        reader.error(
            node, "name", f"invalid name {name!r} (lowercase letters, digits, '_', '.', '-'; at most 64)"
        )
        return None
    if name is not None and not reader.guard_name(node, "name", name):
        return None
    return name


# -- templates ---------------------------------------------------------------------------------------------
def _read_templates(reader: Reader, node: Node, path: str) -> _TopTemplates:
    entries = reader.mapping(node, path, tuple(TEMPLATE_KEYS))
    out: _TopTemplates = {}
    for channel, (_key_node, value_node) in (entries or {}).items():
        inner = reader.mapping(value_node, join(path, channel), TEMPLATE_KEYS[channel])
        for key, (_k, source_node) in (inner or {}).items():
            where = join(join(path, channel), key)
            source = reader.string(source_node, where)
            if source is None:
                continue
            reader.guard(source_node, where, source)  # a template's own words reach every receiver
            try:
                out[(channel, key)] = compile_template(source)
            except TemplateSyntaxError as exc:
                reader.error(
                    source_node, where, f"invalid template: {exc.message} (template line {exc.lineno})"
                )
    return out


def _templates_for(channel: str, own: _TopTemplates, shared: _TopTemplates) -> Templates:
    def pick(key: tuple[str, str]) -> Template | None:
        return own.get(key) or shared.get(key)

    return Templates(
        pick(("email", "subject")) or DEFAULTS.email_subject,
        pick(("email", "body")) or DEFAULTS.email_body,
        pick(("mqtt", "payload")),
        pick(("webhook", "body")),
    )


# -- routes ------------------------------------------------------------------------------------------------
def _read_routes(
    reader: Reader,
    node: Node,
    receivers: dict[str, Receiver],
    repeat: float | None,
    policies: dict[str, EscalationPolicy],
) -> list[Route]:
    items = reader.sequence(node, "routes", "routes")
    routes: list[Route] = []
    for index, item in enumerate(items or [], start=1):
        name = _peek_name(reader, item)
        reader.item = f"route {index} ({name!r})" if name else f"route {index}"
        route = _read_route(reader, item, index, receivers, repeat, policies)
        if route is not None:
            routes.append(route)
    reader.item = ""
    return routes


def _read_route(
    reader: Reader,
    node: Node,
    index: int,
    receivers: dict[str, Receiver],
    repeat: float | None,
    policies: dict[str, EscalationPolicy],
) -> Route | None:
    errors_before = len(reader.found)
    entries = reader.mapping(node, "", ROUTE_KEYS)
    # A route that only starts an escalation policy needs no receivers of its own.
    required = () if entries is not None and "escalation" in entries else ("receivers",)
    if entries is None or not reader.require(node, "", entries, required):
        return None
    name = reader.string(entries["name"][1], "name") if "name" in entries else None
    if name is not None:
        reader.guard(entries["name"][1], "name", name)
    types = _globs(reader, entries, "type")
    severities = _severities(reader, entries["severity"][1]) if "severity" in entries else None
    changes = _changes(reader, entries["changes"][1]) if "changes" in entries else DEFAULT_CHANGES
    names = _route_receivers(reader, entries["receivers"][1], receivers) if "receivers" in entries else ()
    if "repeat_interval" in entries:
        repeat = reader.duration(entries["repeat_interval"][1], "repeat_interval")
    zones, sites = _globs(reader, entries, "zone"), _globs(reader, entries, "site")
    policy = _route_policy(reader, entries["escalation"][1], policies) if "escalation" in entries else None
    if len(reader.found) > errors_before:
        return None
    return Route(index, names, name, types, severities, zones, sites, changes, repeat, policy)


def _route_policy(reader: Reader, node: Node, policies: dict[str, EscalationPolicy]) -> str | None:
    name = reader.string(node, "escalation")
    if name is not None and name not in policies:
        defined = ", ".join(policies) or "none"
        reader.error(node, "escalation", f"unknown escalation policy {name!r} (defined: {defined})")
        return None
    return name


def _globs(reader: Reader, entries: Entries, key: str) -> tuple[str, ...]:
    if key not in entries:
        return ()
    patterns = reader.strings(entries[key][1], key) or ()
    for pattern in patterns:
        reader.guard(entries[key][1], key, pattern)
    return patterns


def _severities(reader: Reader, node: Node) -> frozenset[Severity] | None:
    value = reader.value(node)
    if isinstance(value, str) and (match := _SEVERITY_AT_LEAST.match(value.strip())):
        least = _severity(reader, node, match.group(1))
        return None if least is None else frozenset(s for s in Severity if s.rank <= least.rank)
    if isinstance(value, str):
        one = _severity(reader, node, value)
        return None if one is None else frozenset({one})
    items = reader.sequence(node, "severity", "severities or '>= <severity>'")
    found = [_severity(reader, item, reader.value(item)) for item in items or []]
    return frozenset(s for s in found if s is not None) or None


def _severity(reader: Reader, node: Node, value: object) -> Severity | None:
    if isinstance(value, str) and value in SEVERITIES:
        return Severity(value)
    shown = repr(value) if isinstance(value, str) else reader.describe(node)
    reader.error(node, "severity", f"unknown severity {shown} (expected {one_of(SEVERITIES)})")
    return None


def _changes(reader: Reader, node: Node) -> frozenset[str]:
    kinds = reader.strings(node, "changes") or ()
    for kind in kinds:
        if kind not in CHANGE_KINDS:
            reader.error(node, "changes", f"unknown change kind {kind!r} (expected {one_of(CHANGE_KINDS)})")
    return frozenset(k for k in kinds if k in CHANGE_KINDS)


def _route_receivers(reader: Reader, node: Node, receivers: dict[str, Receiver]) -> tuple[str, ...]:
    names = reader.strings(node, "receivers") or ()
    for name in names:
        if name not in receivers:
            defined = ", ".join(receivers) or "none"
            reader.error(node, "receivers", f"unknown receiver {name!r} (defined: {defined})")
    return names


# -- escalation policies -----------------------------------------------------------------------------------
def _read_escalations(
    reader: Reader, node: Node, receivers: dict[str, Receiver]
) -> dict[str, EscalationPolicy]:
    items = reader.sequence(node, "escalations", "escalation policies")
    found: dict[str, EscalationPolicy] = {}
    first_line: dict[str, int] = {}
    for index, item in enumerate(items or [], start=1):
        name = _peek_name(reader, item)
        reader.item = f"escalation {index} ({name!r})" if name else f"escalation {index}"
        policy = _read_escalation(reader, item, receivers)
        if policy is not None and policy.name in first_line:
            message = f"duplicate escalation name {policy.name!r} (first at line {first_line[policy.name]})"
            reader.error(item, "name", message)
        elif policy is not None:
            found[policy.name] = policy
            first_line[policy.name] = line_of(item)
    reader.item = ""
    return found


def _read_escalation(reader: Reader, node: Node, receivers: dict[str, Receiver]) -> EscalationPolicy | None:
    errors_before = len(reader.found)
    entries = reader.mapping(node, "", ESCALATION_KEYS)
    if entries is None or not reader.require(node, "", entries, ("name", "levels")):
        return None
    name = _read_name(reader, entries["name"][1])
    ack_timeout = (
        reader.duration(entries["ack_timeout"][1], "ack_timeout") if "ack_timeout" in entries else None
    )
    owner = reader.item
    levels: list[EscalationLevel] = []
    for number, item in enumerate(reader.sequence(entries["levels"][1], "levels", "levels") or [], start=1):
        reader.item = f"{owner}: level {number}"
        level = _read_level(reader, item, receivers, levels[-1] if levels else None)
        if level is not None:
            levels.append(level)
    reader.item = owner
    if isinstance(entries["levels"][1], yaml.SequenceNode) and not entries["levels"][1].value:
        reader.error(entries["levels"][1], "levels", "must not be an empty list")
    if name is None or len(reader.found) > errors_before:
        return None
    return EscalationPolicy(name, tuple(levels), ack_timeout)


def _read_level(
    reader: Reader, node: Node, receivers: dict[str, Receiver], previous: EscalationLevel | None
) -> EscalationLevel | None:
    errors_before = len(reader.found)
    entries = reader.mapping(node, "", LEVEL_KEYS)
    if entries is None or not reader.require(node, "", entries, ("after", "receivers")):
        return None
    after = reader.duration(entries["after"][1], "after")
    if after is not None and previous is not None and after <= previous.after:
        reader.error(
            entries["after"][1], "after", f"must be later than the level before ({previous.after:g}s)"
        )
    names = _route_receivers(reader, entries["receivers"][1], receivers)
    repeat = reader.duration(entries["repeat"][1], "repeat") if "repeat" in entries else None
    if after is None or len(reader.found) > errors_before:
        return None
    return EscalationLevel(after, names, repeat)


def _read_retry(reader: Reader, node: Node) -> RetryPolicy | None:
    entries = reader.mapping(node, "retry", RETRY_KEYS)
    if entries is None:
        return None
    default = RetryPolicy()
    attempts = default.max_attempts
    if "max_attempts" in entries:
        attempts = reader.integer(entries["max_attempts"][1], "retry.max_attempts", 1, 100) or 0
    initial = (
        reader.duration(entries["initial"][1], "retry.initial") if "initial" in entries else default.initial
    )
    maximum = reader.duration(entries["max"][1], "retry.max") if "max" in entries else default.maximum
    if not attempts or initial is None or maximum is None:
        return None
    if maximum < initial:
        reader.error(entries["max"][1], "retry.max", f"must not be shorter than retry.initial ({initial:g}s)")
        return None
    return RetryPolicy(attempts, initial, maximum)


__all__ = ["load_notify", "parse_notify"]
