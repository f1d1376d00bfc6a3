"""The notification side wired into the real app: `--notify FILE`, the background dispatcher, and refusal of an
invalid file at start."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from fairwatch import policy
from fairwatch.app import App
from fairwatch.cli import cli
from fairwatch.clock import FakeClock
from fairwatch.errors import ConfigError
from fairwatch.notify import cap
from fairwatch.settings import Settings
from tests.harness import Server
from tests.notify.conftest import RULES, T0, HookServer

NOTIFY = """
receivers:
  - {{name: ops, webhook: {{url: "{url}"}}}}
routes:
  - {{type: fire.*, receivers: [ops]}}
"""


def test_the_server_delivers_in_the_background(tmp_path: Path) -> None:
    with HookServer([]) as hook:
        notify = tmp_path / "notify.yaml"
        notify.write_text(NOTIFY.format(url=hook.url))
        with Server(tmp_path / "data", RULES, FakeClock(T0), notify=notify, notify_interval=0.05) as srv:
            with srv.client() as c:
                event = {
                    "id": "t1",
                    "source": "temp-1",
                    "type": "temperature",
                    "zone": "food-court",
                    "value": 61,
                }
                assert c.post("/api/v1/events", json=event).status_code == 202
            assert hook.wait_for(1), "the dispatcher did not deliver"
            assert srv.app is not None
            assert srv.app.notify.dispatcher is not None
            srv.call(srv.app.notify.dispatcher.dispatch_due())  # the outcome is recorded
            metrics = srv.app.ctx.metrics.registry
            sample = metrics.get_sample_value(
                "fairwatch_notifications_total", {"channel": "webhook", "outcome": "delivered"}
            )
        with sqlite3.connect(tmp_path / "data" / "fairwatch.db") as conn:
            rows = list(conn.execute("SELECT key, receiver, kind, status, attempts FROM notifications"))
    assert rows == [("1:1:ops", "ops", "raised", "delivered", 1)]
    assert sample == 1.0
    [request] = hook.requests
    assert orjson.loads(request.body)["alarm"]["type"] == "fire.high_temperature"


def test_an_invalid_notification_file_stops_the_build(tmp_path: Path) -> None:
    notify = tmp_path / "notify.yaml"
    notify.write_text("receivers: []\nroutes:\n  - {receivers: [ops]}\n")
    with pytest.raises(ConfigError) as info:
        App.build(Settings(data=tmp_path / "data", notify=notify))
    assert info.value.messages == [f"{notify}:3: route 1: receivers: unknown receiver 'ops' (defined: none)"]


def test_serve_exits_2_and_names_the_problem(tmp_path: Path) -> None:
    notify = tmp_path / "notify.yaml"
    notify.write_text("receivers: []\nroutes: []\nrout: []\n")
    result = CliRunner().invoke(cli, ["serve", "--data", str(tmp_path / "data"), "--notify", str(notify)])
    assert result.exit_code == 2
    expected = f"{notify}:3: unknown key 'rout' (expected one of repeat_interval, retry, templates, receivers, routes, escalations)"
    assert expected in result.output


# (case id, settings, message)
BAD_SETTINGS = [
    (
        "sender-with-space",
        {"cap_sender": "fair watch"},
        "cap_sender: must not be empty or contain spaces, commas, '<' or '&' (got 'fair watch')",
    ),
    (
        "unknown-public-severity",
        {"cap_public_severities": "critical,urgent"},
        "cap_public_severities: unknown severity 'urgent' (expected critical, high, medium, low, info)",
    ),
]


@pytest.mark.parametrize(
    ("values", "message"), [c[1:] for c in BAD_SETTINGS], ids=[c[0] for c in BAD_SETTINGS]
)
def test_bad_cap_settings_stop_the_build(tmp_path: Path, values: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        App.build(Settings(data=tmp_path / "data", **values))  # type: ignore[arg-type]
    assert info.value.messages == [message]


def test_every_hazard_class_has_a_cap_category() -> None:
    assert set(cap.CATEGORY_BY_HAZARD) == set(policy.HAZARD_CLASSES)
