"""RS-13 end to end: text that arrives inside an event (its zone, its source, a `data` value) and operator
narrative (an alarm comment) never reach the public CAP feed, the Atom feed, a webhook or the audit log.

The event goes in through every path the server still accepts today; the outputs are read as outsiders read
them: the feed without a login, a webhook receiver on a loopback port, and the audit table in the database.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import orjson

from fairwatch.clock import FakeClock
from fairwatch.errors import ConfigError
from fairwatch.model import Role
from fairwatch.rules import parse_rules
from fairwatch.schemas import builtin
from tests.harness import Server
from tests.notify.conftest import T0, HookServer

# Words that must appear in no output; each is part of the text the event carries.
MARKERS = ("practitioners", "Li Wei", "spotted", "banner", "team lead Chen")
ZONE = "east gate: practitioners spotted, names: Li Wei"
SOURCE = "steward phone of Li Wei"
NOTE = "practitioners spotted, names: Li Wei, banner seen"
COMMENT = "team lead Chen says practitioners spotted"

RULE = """
  - id: hot
    alarm: fire.high_temperature
    severity: critical
    when: {{type: temperature, value: {{gt: 55}}{extra}}}
    group_by: [zone, source{group}]
"""
NOTIFY = """
receivers:
  - {{name: ops, webhook: {{url: "{url}"}}}}
routes:
  - {{type: fire.*, receivers: [ops], changes: [raised, commented, resolved, reopened]}}
"""


def rules() -> str:
    """The rule reading and grouping by a `data` string where the rule compiler still allows it (RS-11 may
    have closed that path: then zone and source carry the text alone)."""
    wide = "rules:" + RULE.format(extra=", data.note: {ne: drill}", group=", data.note")
    try:
        parse_rules(wide, schemas=builtin())  # the catalogue a server checks rules against
    except ConfigError:
        return "rules:" + RULE.format(extra="", group="")
    return wide


def event(with_data: bool) -> dict[str, object]:
    out: dict[str, object] = {"id": "t1", "source": SOURCE, "type": "temperature", "zone": ZONE, "value": 61}
    if with_data:
        out["data"] = {"note": NOTE}
    return out


def leaked(text: str) -> list[str]:
    return [m for m in MARKERS if m.lower() in text.lower()]


def test_event_text_and_comments_reach_no_feed_webhook_or_audit_record(tmp_path: Path) -> None:
    with HookServer([]) as hook:
        notify = tmp_path / "notify.yaml"
        notify.write_text(NOTIFY.format(url=hook.url))
        srv = Server(tmp_path / "data", rules(), FakeClock(T0), notify=notify, notify_interval=0.05)
        with srv:
            with srv.client() as c:
                r = c.post("/api/v1/events", json=event(with_data=True))
                if r.status_code == 422:  # RS-10 closed the data path; zone and source still carry text
                    r = c.post("/api/v1/events", json=event(with_data=False))
                assert r.status_code == 202, r.text
                assert srv.app is not None
                srv.call(srv.app.notify.issuer.drain())
                [alarm] = c.get("/api/v1/alarms").json()["alarms"]
                assert c.post(f"/api/v1/alarms/{alarm['id']}/comment", json={"text": COMMENT}).is_success
                api_view = c.get("/api/v1/alarms").text  # the alarm as every client and receiver sees it
            assert hook.wait_for(2), "the webhook did not get the raise and the comment"
            with httpx.Client(base_url=srv.url, timeout=20) as anyone:  # no credentials
                atom = anyone.get("/feeds/cap.atom")
                assert atom.status_code == 200
                hrefs = [p.split('"')[0] for p in atom.text.split('href="')[1:]]
                public = [anyone.get(h).text for h in hrefs if "/feeds/cap/" in h]
            assert public, "the critical alarm was not published in the public feed"
            with srv.client(Role.VIEWER) as viewer:
                restricted = viewer.get(f"/api/v1/alarms/{alarm['id']}/cap").text
        with sqlite3.connect(tmp_path / "data" / "fairwatch.db") as conn:
            audit = [str(row) for row in conn.execute("SELECT action, object, details FROM audit")]
            payloads = [str(row[0]) for row in conn.execute("SELECT payload FROM notifications")]
    hooks = [r.body.decode() for r in hook.requests]
    assert [orjson.loads(b)["change"] for b in hooks][:2] == ["raised", "commented"]
    outputs = {
        "atom": [atom.text],
        "public CAP": public,
        "CAP": [restricted],
        "webhook": hooks,
        "notification log": payloads,
        "alarm list": [api_view],
        "audit (alarm records)": [a for a in audit if "alarm:" in a and "commented" not in a],
    }
    assert {name: [leaked(t) for t in texts if leaked(t)] for name, texts in outputs.items()} == {
        name: [] for name in outputs
    }
    # The comment is stored, not lost: the audit record of the comment keeps it for the record.
    assert any(COMMENT in a for a in audit if "commented" in a)
