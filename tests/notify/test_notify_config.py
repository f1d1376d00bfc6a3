"""Notification files: strict parsing with exact messages (file:line, item, field), and route matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairwatch.errors import ConfigError
from fairwatch.model import Alarm, AlarmState, Severity
from fairwatch.notify import load_notify, parse_notify
from fairwatch.notify.model import DEFAULT_CHANGES, EmailConfig, MqttConfig, WebhookConfig

HOOK = "receivers:\n  - name: ops\n    webhook: {url: 'http://127.0.0.1:9/hook'}\n"  # lines 1-3
KINDS = "raised, repeated, escalated, cleared, reactivated, acknowledged, assigned, commented, resolved, reopened, reminder"
ROUTE_KEYS = "name, type, severity, zone, site, changes, receivers, repeat_interval, escalation"
SEVERITIES = "critical, high, medium, low, info"
DURATION = "expected a number with a unit ms, s, m, h or d, e.g. 30s"


def errors_of(text: str, environ: dict[str, str] | None = None) -> list[str]:
    """The messages of the ConfigError that parsing `text` as notify.yaml must raise."""
    with pytest.raises(ConfigError) as info:
        parse_notify(text, "notify.yaml", environ or {})
    return info.value.messages


def route(*lines: str) -> str:
    """A file with receiver 'ops' and one route whose first line is line 5."""
    return HOOK + "routes:\n  - " + "\n    ".join(lines) + "\n"


def receiver(channel: str, body: str) -> str:
    """A file with one receiver 'r' whose channel mapping is on line 3."""
    return f"receivers:\n  - name: r\n    {channel}: {body}\nroutes: []\n"


# (case id, file text, every expected message)
CASES = [
    (
        "empty-file",
        "",
        ["notify.yaml:1: expected a mapping with keys receivers and routes (got an empty file)"],
    ),
    ("root-is-a-list", "- a\n", ["notify.yaml:1: expected a mapping (got a list)"]),
    ("yaml-syntax", "routes: [\n", ["notify.yaml:2: invalid YAML: did not find expected node content"]),
    (
        "unknown-top-key",
        "receivers: []\nroutes: []\nrout: []\n",
        [
            "notify.yaml:3: unknown key 'rout' (expected one of repeat_interval, retry, templates, receivers, routes, escalations)"
        ],
    ),
    ("missing-routes", "receivers: []\n", ["notify.yaml:1: missing required key 'routes'"]),
    (
        "duplicate-top-key",
        "receivers: []\nroutes: []\nroutes: []\n",
        ["notify.yaml:3: duplicate key 'routes' (first at line 2)"],
    ),
    (
        "route-unknown-key",
        route("receivers: [ops]", "severty: high"),
        [f"notify.yaml:6: route 1: unknown key 'severty' (expected one of {ROUTE_KEYS})"],
    ),
    (
        "route-named-in-messages",
        route("name: fire-ops", "receivers: [ops]", "severty: high"),
        [f"notify.yaml:7: route 1 ('fire-ops'): unknown key 'severty' (expected one of {ROUTE_KEYS})"],
    ),
    (
        "severity-unknown",
        route("receivers: [ops]", "severity: hgh"),
        [f"notify.yaml:6: route 1: severity: unknown severity 'hgh' (expected one of {SEVERITIES})"],
    ),
    (
        "severity-at-least-unknown",
        route("receivers: [ops]", "severity: '>= hgh'"),
        [f"notify.yaml:6: route 1: severity: unknown severity 'hgh' (expected one of {SEVERITIES})"],
    ),
    (
        "severity-in-list-unknown",
        route("receivers: [ops]", "severity: [high, urgent]"),
        [f"notify.yaml:6: route 1: severity: unknown severity 'urgent' (expected one of {SEVERITIES})"],
    ),
    (
        "severity-number",
        route("receivers: [ops]", "severity: 5"),
        ["notify.yaml:6: route 1: severity: expected a list of severities or '>= <severity>' (got 5)"],
    ),
    (
        "change-kind-unknown",
        route("receivers: [ops]", "changes: [raise]"),
        [f"notify.yaml:6: route 1: changes: unknown change kind 'raise' (expected one of {KINDS})"],
    ),
    (
        "receiver-unknown",
        route("receivers: [opz]"),
        ["notify.yaml:5: route 1: receivers: unknown receiver 'opz' (defined: ops)"],
    ),
    (
        "receivers-missing",
        route("type: fire.*"),
        ["notify.yaml:5: route 1: missing required key 'receivers'"],
    ),
    (
        "receivers-empty",
        route("receivers: []"),
        ["notify.yaml:5: route 1: receivers: must not be an empty list"],
    ),
    (
        "type-refused-by-guard",
        route("receivers: [ops]", "type: protest.*"),
        [
            "notify.yaml:6: route 1: type: refused by the rights guard: "
            "peaceful_assembly: 'protest' (targets peaceful assembly; en lexicon)"
        ],
    ),
    (
        "repeat-interval-words",
        route("receivers: [ops]", "repeat_interval: 5 minutes"),
        [f"notify.yaml:6: route 1: repeat_interval: invalid duration '5 minutes' ({DURATION})"],
    ),
    (
        "two-channels",
        "receivers:\n  - name: ops\n    webhook: {url: 'http://x/'}\n    mqtt: {url: 'mqtt://x'}\nroutes: []\n",
        [
            "notify.yaml:2: receiver 1 ('ops'): expected exactly one of webhook, email, mqtt (got webhook, mqtt)"
        ],
    ),
    (
        "no-channel",
        "receivers:\n  - name: ops\nroutes: []\n",
        ["notify.yaml:2: receiver 1 ('ops'): expected exactly one of webhook, email, mqtt (got none)"],
    ),
    (
        "duplicate-receiver",
        "receivers:\n  - name: ops\n    webhook: {url: 'http://x/'}\n  - name: ops\n    webhook: {url: 'http://y/'}\n"
        "routes: []\n",
        ["notify.yaml:4: receiver 2 ('ops'): name: duplicate receiver name 'ops' (first at line 2)"],
    ),
    (
        "receiver-name-with-space",
        "receivers:\n  - name: Ops Team\n    webhook: {url: 'http://x/'}\nroutes: []\n",
        [
            "notify.yaml:2: receiver 1 ('Ops Team'): name: invalid name 'Ops Team' "
            "(lowercase letters, digits, '_', '.', '-'; at most 64)"
        ],
    ),
    (
        "webhook-not-http",
        receiver("webhook", "{url: 'ftp://x/'}"),
        [
            "notify.yaml:3: receiver 1 ('r'): webhook.url: expected an http or https URL with a host (got 'ftp://x/')"
        ],
    ),
    (
        "webhook-reserved-header",
        receiver("webhook", "{url: 'http://x/', headers: {Idempotency-Key: x}}"),
        [
            "notify.yaml:3: receiver 1 ('r'): webhook.headers.Idempotency-Key: is set by Fairwatch and cannot be overridden"
        ],
    ),
    (
        "webhook-secret-env-unset",
        receiver("webhook", "{url: 'http://x/', secret_env: HOOK_SECRET}"),
        [
            "notify.yaml:3: receiver 1 ('r'): webhook.secret_env: environment variable 'HOOK_SECRET' is not set"
        ],
    ),
    (
        "webhook-unknown-key",
        receiver("webhook", "{url: 'http://x/', secrett: s}"),
        [
            "notify.yaml:3: receiver 1 ('r'): webhook: unknown key 'secrett' "
            "(expected one of url, secret, secret_env, headers, timeout)"
        ],
    ),
    (
        "email-bad-from",
        receiver("email", "{smtp_host: localhost, from: 'not an address', to: [a@b.example]}"),
        ["notify.yaml:3: receiver 1 ('r'): email.from: invalid e-mail address 'not an address'"],
    ),
    (
        "email-port-range",
        receiver("email", "{smtp_host: localhost, smtp_port: 70000, from: f@b.example, to: [a@b.example]}"),
        ["notify.yaml:3: receiver 1 ('r'): email.smtp_port: expected an integer from 1 to 65535 (got 70000)"],
    ),
    (
        "email-password-without-user",
        receiver("email", "{smtp_host: localhost, from: f@b.example, to: a@b.example, password_env: PW}"),
        [
            "notify.yaml:3: receiver 1 ('r'): email.password_env: environment variable 'PW' is not set",
            "notify.yaml:3: receiver 1 ('r'): email: password_env needs username",
        ],
    ),
    (
        "mqtt-wildcard-prefix",
        receiver("mqtt", "{url: 'mqtt://x', topic_prefix: 'a/#'}"),
        [
            "notify.yaml:3: receiver 1 ('r'): mqtt.topic_prefix: invalid topic prefix 'a/#' "
            "(no wildcards, no leading or trailing '/')"
        ],
    ),
    (
        "mqtt-http-url",
        receiver("mqtt", "{url: 'http://x'}"),
        [
            "notify.yaml:3: receiver 1 ('r'): mqtt.url: expected an mqtt or mqtts URL with a host (got 'http://x')"
        ],
    ),
    (
        "template-syntax",
        "templates:\n  email:\n    subject: '{{ alarm.type '\nreceivers: []\nroutes: []\n",
        [
            "notify.yaml:3: templates.email.subject: invalid template: unexpected end of template, "
            "expected 'end of print statement'. (template line 1)"
        ],
    ),
    (
        "template-unknown-channel-key",
        "templates:\n  email:\n    subjct: x\nreceivers: []\nroutes: []\n",
        ["notify.yaml:3: templates.email: unknown key 'subjct' (expected one of subject, body)"],
    ),
    (
        "retry-max-below-initial",
        "retry: {initial: 10m, max: 1m}\nreceivers: []\nroutes: []\n",
        ["notify.yaml:1: retry.max: must not be shorter than retry.initial (600s)"],
    ),
    (
        "every-problem-at-once",
        route("receivers: [opz]", "severity: hgh", "changes: [raise]"),
        [
            "notify.yaml:5: route 1: receivers: unknown receiver 'opz' (defined: ops)",
            f"notify.yaml:6: route 1: severity: unknown severity 'hgh' (expected one of {SEVERITIES})",
            f"notify.yaml:7: route 1: changes: unknown change kind 'raise' (expected one of {KINDS})",
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_files_name_line_item_and_field(text: str, expected: list[str]) -> None:
    assert errors_of(text) == expected


FULL = """\
repeat_interval: 10m
retry: {max_attempts: 4, initial: 2s, max: 1m}
templates:
  email:
    subject: "{{ alarm.type }}"
receivers:
  - name: ops
    webhook:
      url: https://hooks.example/fairwatch
      secret_env: HOOK_SECRET
      headers: {X-Team: control-room}
      timeout: 3s
  - name: duty
    email: {smtp_host: mail.example, from: "Fairwatch <fw@venue.example>", to: [duty@venue.example], starttls: true,
            username: fw, password_env: SMTP_PASSWORD}
  - name: board
    mqtt: {url: "mqtts://viewer:s3cret@broker.example", retain: true}
routes:
  - name: fire
    type: fire.*
    severity: ">= high"
    receivers: [ops, duty]
  - type: [crowd_safety.*, medical.*]
    severity: [critical]
    zone: main-stage
    changes: [raised, resolved]
    repeat_interval: 2m
    receivers: [ops, board]
"""


def test_a_full_file_compiles_with_defaults_and_secrets_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "notify.yaml"
    path.write_text(FULL)
    config = load_notify(path, {"HOOK_SECRET": "k1", "SMTP_PASSWORD": "p1"})
    ops, duty, board = (config.receivers[n] for n in ("ops", "duty", "board"))
    assert ops.config == WebhookConfig(
        "https://hooks.example/fairwatch", "k1", (("X-Team", "control-room"),), 3.0
    )
    assert duty.config == EmailConfig(
        "mail.example", "Fairwatch <fw@venue.example>", ("duty@venue.example",), 587, True, "fw", "p1", 10.0
    )
    assert board.config == MqttConfig(
        "broker.example", 8883, True, "viewer", "s3cret", "fairwatch/alarms", True, 10.0
    )
    assert "k1" not in repr(ops) and "s3cret" not in repr(board)  # secrets stay out of logs
    fire, crowd = config.routes
    assert (fire.name, fire.types, fire.severities, fire.changes) == (
        "fire",
        ("fire.*",),
        frozenset({Severity.CRITICAL, Severity.HIGH}),
        DEFAULT_CHANGES,
    )
    assert (fire.repeat_interval, crowd.repeat_interval) == (600.0, 120.0)
    assert (config.retry.max_attempts, config.retry.initial, config.retry.maximum) == (4, 2.0, 60.0)
    assert (
        config.receivers["duty"].templates.email_subject.render(alarm={"type": "fire.smoke"}) == "fire.smoke"
    )


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_notify(tmp_path / "nope.yaml")
    assert info.value.messages == [
        f"{tmp_path / 'nope.yaml'}:1: cannot read notification file: No such file or directory"
    ]


def alarm(
    type_: str = "fire.smoke", severity: Severity = Severity.HIGH, zone: str | None = "main-stage"
) -> Alarm:
    return Alarm(1, "k", "r", type_, severity, AlarmState.OPEN, True, "riverside", zone, {}, 1, 0.0, 0.0)


# (case id, alarm, change kind, receivers expected for FULL's routes)
ROUTING = [
    ("fire-high-raised", alarm(), "raised", ["ops", "duty"]),
    ("fire-critical-counts-as-at-least-high", alarm(severity=Severity.CRITICAL), "raised", ["ops", "duty"]),
    ("fire-medium-is-below-high", alarm(severity=Severity.MEDIUM), "raised", []),
    ("repeats-are-not-sent-by-default", alarm(), "repeated", []),
    ("comments-are-not-sent-by-default", alarm(), "commented", []),
    (
        "crowd-critical-main-stage",
        alarm("crowd_safety.crush_risk", Severity.CRITICAL),
        "raised",
        ["ops", "board"],
    ),
    ("crowd-other-zone", alarm("crowd_safety.crush_risk", Severity.CRITICAL, "food-court"), "raised", []),
    ("crowd-no-zone", alarm("crowd_safety.crush_risk", Severity.CRITICAL, None), "raised", []),
    ("crowd-escalation-not-in-its-changes", alarm("medical.cluster", Severity.CRITICAL), "escalated", []),
    ("glob-matches-whole-type-only", alarm("firework.show", Severity.CRITICAL), "raised", []),
]


@pytest.mark.parametrize(
    ("subject", "kind", "expected"), [c[1:] for c in ROUTING], ids=[c[0] for c in ROUTING]
)
def test_routes_pick_receivers_once_each(subject: Alarm, kind: str, expected: list[str]) -> None:
    config = parse_notify(FULL, "notify.yaml", {"HOOK_SECRET": "k", "SMTP_PASSWORD": "p"})
    assert [r.name for r in config.receivers_for(subject, kind)] == expected
