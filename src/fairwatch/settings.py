"""One table of settings: name, type, default, help. Each is read from `FAIRWATCH_<NAME>` and may be overridden by the CLI."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from fairwatch.errors import ConfigError

ROLES = ("all", "edge", "worker")  # what `serve --role` runs (docs/deploy.md)


@dataclass(frozen=True, slots=True)
class Settings:
    """Runtime settings; docs/settings.md is generated from `SETTINGS_HELP` and a test keeps it true."""

    host: str = "127.0.0.1"
    port: int = 8470
    data: Path = Path("./fairwatch-data")
    site: Path | None = None
    rules: Path | None = None
    phases: Path | None = None
    taxonomy: Path | None = None
    cards: Path | None = None
    schemas: Path | None = None
    mqtt_url: str | None = None
    mqtt_topics: str = "fairwatch/events/#"
    frigate_prefix: str | None = None
    mqtt_client_id: str | None = None
    mqtt_ca_file: Path | None = None
    mqtt_cert_file: Path | None = None
    mqtt_key_file: Path | None = None
    mqtt_max_inflight: int = 1000
    mqtt_deadletter_prefix: str = "fairwatch/deadletter"
    metrics_public: bool = False
    database_url: str | None = None
    event_retention_days: int = 30
    alarm_retention_days: int = 365
    event_max_age_days: float = 7.0
    queue_limit: int = 200_000
    batch_max: int = 5_000
    tick_seconds: float = 1.0
    secure_cookies: bool = False
    notify: Path | None = None
    notify_interval: float = 0.5
    cap_sender: str = ""
    cap_public_severities: str = "critical,high"
    flood_threshold: int = 3
    flood_window: float = 600.0
    token_cache_seconds: float = 1.0
    stream_heartbeat: float = 15.0
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keepalive_timeout: int = 5
    max_connections: int = 1000
    stop_timeout: float = 5.0
    field_check_in_minutes: float = 15.0
    field_dispatched_minutes: float = 4.0
    field_invite_hours: float = 12.0
    field_link_base: str = ""
    field_checklists: Path | None = None
    operations: Path | None = None
    welfare_escalation_minutes: float = 20.0
    welfare_retention_hours: int = 24
    photo_retention_hours: int = 72
    photo_max_bytes: int = 10 * 1024 * 1024
    workers: int = 0
    role: str = "all"
    nats: str | None = None
    key_file: Path | None = None
    lease_seconds: float = 5.0
    stream_replicas: int = 3

    def __post_init__(self) -> None:
        # RS-5: retention is bounded by law and by design; no setting may keep data longer than the maximum.
        errors = [
            f"{name}: must be between 1 and {limit} days (got {getattr(self, name)!r})"
            for name, limit in RETENTION_LIMITS.items()
            if not 1 <= getattr(self, name) <= limit
        ]
        if not self.event_max_age_days > 0:
            errors.append(
                f"event_max_age_days: must be a positive number of days (got {self.event_max_age_days!r})"
            )
        if self.flood_threshold < 0 or not self.flood_window > 0:
            errors.append(
                "flood_threshold, flood_window: must be >= 0 and a positive number of seconds"
                f" (got {self.flood_threshold!r} and {self.flood_window!r})"
            )
        if not self.token_cache_seconds >= 0 or not self.stream_heartbeat > 0:
            errors.append(
                "token_cache_seconds, stream_heartbeat: must be >= 0 and a positive number of seconds"
                f" (got {self.token_cache_seconds!r} and {self.stream_heartbeat!r})"
            )
        errors += [
            f"{name}: must be a positive number (got {getattr(self, name)!r})"
            for name in (
                "header_timeout",
                "body_timeout",
                "keepalive_timeout",
                "max_connections",
                "stop_timeout",
            )
            if not getattr(self, name) > 0
        ]
        errors += [
            f"{name}: must be a number of minutes >= 0, 0 turns it off (got {getattr(self, name)!r})"
            for name in ("field_check_in_minutes", "field_dispatched_minutes")
            if not getattr(self, name) >= 0
        ]
        if not 0 < self.field_invite_hours <= 168:
            errors.append(
                f"field_invite_hours: must be more than 0 and at most 168 (got {self.field_invite_hours!r})"
            )
        errors += [
            f"{name}: must be between 1 and {limit} hours (got {getattr(self, name)!r})"
            for name, limit in SHORT_RETENTION_LIMITS.items()
            if not 1 <= getattr(self, name) <= limit
        ]
        if not 0 <= self.welfare_escalation_minutes <= 240:
            errors.append(
                f"welfare_escalation_minutes: must be between 0 and 240 (got {self.welfare_escalation_minutes!r})"
            )
        if not 1024 <= self.photo_max_bytes <= 50 * 1024 * 1024:
            errors.append(
                f"photo_max_bytes: must be between 1024 and 52428800 (got {self.photo_max_bytes!r})"
            )
        if self.workers < 0:
            errors.append(f"workers: must be 0 (one per core) or a positive number (got {self.workers!r})")
        if self.role not in ROLES:
            errors.append(f"role: must be one of {', '.join(ROLES)} (got {self.role!r})")
        elif self.role != "all" and (not self.nats or not self.database_url or self.key_file is None):
            errors.append(
                f"role {self.role}: needs nats, database_url and key_file (got nats {self.nats!r},"
                f" database_url {'set' if self.database_url else None!r}, key_file {self.key_file!r})"
            )
        if not 1 <= self.lease_seconds <= 300:
            errors.append(f"lease_seconds: must be between 1 and 300 (got {self.lease_seconds!r})")
        if self.stream_replicas not in (1, 3, 5):
            errors.append(f"stream_replicas: must be 1, 3 or 5 (got {self.stream_replicas!r})")
        if self.rules is not None and self.phases is not None:
            errors.append(
                "rules and phases: give one, not both (a phases file names the rules file of each phase;"
                f" got rules {str(self.rules)!r} and phases {str(self.phases)!r})"
            )
        if errors:
            raise ConfigError(errors)

    def with_overrides(self, **values: Any) -> Settings:
        """A copy with the non-None values applied."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


# The longest any deployment may keep raw events and resolved alarms (RIGHTS.md RS-5).
RETENTION_LIMITS: dict[str, int] = {"event_retention_days": 400, "alarm_retention_days": 3650}
# The short classes, in hours: closed welfare cases (the shortest) and scene photos (docs/retention.md).
SHORT_RETENTION_LIMITS: dict[str, int] = {"welfare_retention_hours": 72, "photo_retention_hours": 720}


SETTINGS_HELP: dict[str, str] = {
    "host": "Address the HTTP server listens on.",
    "port": "TCP port of the HTTP server.",
    "data": "Directory for the SQLite database, the deployment key and other state.",
    "site": "Site file (YAML): zones with polygons, area, capacity; devices.",
    "rules": "Rules file (YAML). An invalid file stops `serve` with exit code 2.",
    "phases": "Run-of-show file (YAML): event phases, each with its rules file; replaces `rules` (docs/phases.md).",
    "taxonomy": "Site additions to the built-in alarm taxonomy (YAML).",
    "cards": "Action cards (YAML): the tasks an incident of each type starts with (docs/incidents.md).",
    "schemas": "Event types a site adds to the built-in event schemas (YAML, `schemas:`; docs/rights.md).",
    "mqtt_url": "MQTT broker to ingest from: mqtt://[user:pass@]host[:port], or mqtts:// for TLS.",
    "mqtt_topics": "Comma-separated MQTT topic filters to subscribe to.",
    "frigate_prefix": "Topic prefix of a Frigate NVR on the same broker (e.g. frigate).",
    "mqtt_client_id": "MQTT client id of the persistent session; default fairwatch-<hash of the data directory>.",
    "mqtt_ca_file": "CA certificates (PEM) to verify an mqtts:// broker; default the system store.",
    "mqtt_cert_file": "Client certificate (PEM) for mqtts:// brokers that require one.",
    "mqtt_key_file": "Private key (PEM) of the MQTT client certificate.",
    "mqtt_max_inflight": "Most unacknowledged QoS 1 messages the broker may send (MQTT 5 Receive Maximum).",
    "mqtt_deadletter_prefix": "MQTT messages that can never be stored are reported under <prefix>/<original topic>.",
    "metrics_public": "Serve /metrics without a token (default: viewer role or higher).",
    "database_url": "SQLAlchemy URL of the store; default sqlite in the data directory.",
    "event_retention_days": "Raw events older than this are purged (maximum 400).",
    "alarm_retention_days": "Resolved alarms older than this are purged (maximum 3650).",
    "event_max_age_days": "Events whose `time` is older than this many days are refused with a 422 naming the"
    " time (a clock reset to 1900 or a replayed backlog must not raise live alarms).",
    "queue_limit": "Events waiting for the writer before ingest answers 503 with Retry-After.",
    "batch_max": "Most events the writer commits in one transaction.",
    "tick_seconds": "How often timers (for, absence, clear) are evaluated.",
    "secure_cookies": "Mark console session cookies Secure (set when served behind TLS).",
    "notify": "Notification routes and receivers (YAML): webhook, e-mail, MQTT; see docs/integrations.md.",
    "notify_interval": "Seconds between checks for due notification retries and reminders; 0 turns it off.",
    "cap_sender": "CAP sender id, globally unique (fairwatch@venue.example); default fairwatch@<host name>.",
    "cap_public_severities": "Alarm severities (comma-separated) published without login at /feeds/cap.atom.",
    "flood_threshold": "Open alarms of one type and zone within `flood_window` before new ones are grouped as"
    " children of the oldest (docs/flood-control.md); 0 turns grouping off.",
    "flood_window": "Seconds back that `flood_threshold` counts alarms raised (default 10 minutes).",
    "token_cache_seconds": "How long a token's role is cached; a token revoked by a process on another machine is"
    " refused at most this long after (at once when revoked in the console or by the CLI on this data directory).",
    "stream_heartbeat": "Seconds between heartbeats on event streams; each also re-checks the stream's"
    " credentials, and the console shows 'reconnecting' after two missed ones.",
    "header_timeout": "Seconds a client has to send a request's headers (from connecting, or from its first byte"
    " on a kept-alive connection) before the server closes the connection.",
    "body_timeout": "Seconds a client has to send a request's body once its headers are in.",
    "keepalive_timeout": "Seconds an idle kept-alive connection stays open.",
    "max_connections": "Most open HTTP connections (SSE streams included); further connections are closed at once.",
    "stop_timeout": "Seconds a stop (SIGTERM, SIGINT) waits for open requests before cancelling them"
    " (event streams end at once).",
    "field_check_in_minutes": "Every on-duty field unit confirms it is fine within this many minutes, else"
    " `technical.unit_missed_check_in` is raised for it (docs/field.md); 0 turns it off.",
    "field_dispatched_minutes": "A unit `dispatched` for longer than this without moving on (en route, on scene)"
    " raises `technical.unit_status_overdue`; 0 turns it off.",
    "field_invite_hours": "How long a one-time sign-in link for a field phone stays valid unless given (default 12).",
    "field_link_base": "Public base URL put in front of one-time sign-in links (https://control.example);"
    " default none: links are printed as paths (/field/join/...).",
    "field_checklists": "Readiness checklists (YAML): items per checkpoint ticked on the units' phones; a failed severe"
    " item holds its phase gate (`opening`) until a supervisor resolves it (docs/field.md#readiness-checks).",
    "operations": "Operations file (YAML): field units' check-in and status timers (per unit kind if need be) and"
    " the welfare escalation delay; its values win over the site file's `operations:` section, which wins over"
    " the field_* and welfare_escalation_minutes settings (docs/field.md#timers-that-raise-alarms).",
    "welfare_escalation_minutes": "Minutes an open lost/found-person case waits before it raises"
    " `missing_person.case_escalated` for the police liaison (a vulnerable person's case at once; docs/welfare.md).",
    "welfare_retention_hours": "Closed welfare cases are purged this many hours after closing (maximum 72).",
    "photo_retention_hours": "Scene photos are purged this many hours after upload (maximum 720).",
    "photo_max_bytes": "Largest scene photo upload accepted, in bytes (at most 50 MiB).",
    "workers": "HTTP worker processes of `serve` (0: one per core). With 1, one process does everything; with"
    " more, the workers accept, validate and guard requests and hand events to the one writer process, which"
    " acknowledges after its commit (docs/architecture.md).",
    "role": "What `serve` runs: `all` (one process, the default), `edge` (HTTP and MQTT ingest, API reads, console"
    " and SSE; publishes events to NATS JetStream) or `worker` (owns site partitions and evaluates them);"
    " docs/deploy.md#a-cluster.",
    "nats": "NATS server URLs of a cluster, comma-separated (`nats://10.0.0.1:4222,nats://10.0.0.2:4222`).",
    "key_file": "The deployment's Ed25519 signing key (one file given to every process of a cluster).",
    "lease_seconds": "How long a worker's lease on a partition lasts without renewal (renewed every third of it).",
    "stream_replicas": "Replicas of the cluster's JetStream streams and buckets (3 in production; 1 only for"
    " a single-node trial).",
}

_BOOL = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def from_env(environ: dict[str, str] | None = None) -> Settings:
    """Settings from `FAIRWATCH_*` variables; a bad value is an error naming the variable and the value."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    errors: list[str] = []
    for f in fields(Settings):
        raw = env.get("FAIRWATCH_" + f.name.upper())
        if raw is None or raw == "":
            continue
        try:
            values[f.name] = _cast(str(f.type), raw)
        except ValueError as exc:
            errors.append(f"FAIRWATCH_{f.name.upper()}: {exc} (got {raw!r})")
    if errors:
        raise ConfigError(errors)
    return Settings(**values)


def _cast(type_name: str, raw: str) -> Any:
    if type_name.startswith("int"):
        try:
            return int(raw)
        except ValueError:
            raise ValueError("must be an integer") from None
    if type_name.startswith("float"):
        try:
            return float(raw)
        except ValueError:
            raise ValueError("must be a number") from None
    if type_name.startswith("bool"):
        if raw.lower() not in _BOOL:
            raise ValueError("must be true or false")
        return _BOOL[raw.lower()]
    if type_name.startswith("Path"):
        return Path(raw)
    return raw


def settings_markdown() -> str:
    """docs/settings.md, generated from the settings table."""
    lines = [
        "# Settings",
        "",
        "Every setting is read from the environment variable `FAIRWATCH_<NAME>`; `serve` options override it.",
        "This page is generated by `python -m fairwatch.settings > docs/settings.md`; a test keeps it in step.",
        "",
        "| setting | environment | default | what it does |",
        "|---|---|---|---|",
    ]
    for f in fields(Settings):
        default = f.default if f.default is not None else ""
        lines.append(f"| `{f.name}` | `FAIRWATCH_{f.name.upper()}` | `{default}` | {SETTINGS_HELP[f.name]} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(settings_markdown(), end="")
