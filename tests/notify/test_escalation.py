"""Escalation policies through the real server (HTTP, writer, SQLite, notification log) to a real HTTP receiver,
with only the clock faked: levels after N minutes, repeats, stop on acknowledge or resolve, acknowledgement
timeouts, restarts that neither repeat nor skip a level, audit and stream; plus the pure schedule and the file."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from fairwatch.alarms import AlarmChange
from fairwatch.audit import verify_chain
from fairwatch.clock import FakeClock
from fairwatch.console import handover
from fairwatch.errors import ConfigError
from fairwatch.model import AlarmState, Role, Severity
from fairwatch.notify import parse_notify
from fairwatch.notify.escalation import Episode, EscalationService, due_steps, episode_from_history
from fairwatch.notify.install import NotifyService
from fairwatch.notify.model import EscalationLevel, EscalationPolicy
from fairwatch.store import SqlStore, sqlite_url
from tests.harness import Server
from tests.notify.conftest import RULES, T0, HookServer, Rig

NOTIFY = """
receivers:
  - {{name: ops, webhook: {{url: "{base}/ops"}}}}
  - {{name: duty, webhook: {{url: "{base}/duty"}}}}
  - {{name: safety, webhook: {{url: "{base}/safety"}}}}
escalations:
  - name: fire-duty
    ack_timeout: 30m
    levels:
      - {{after: 5m, receivers: [duty]}}
      - {{after: 15m, receivers: [safety], repeat: 10m}}
routes:
  - {{type: fire.*, receivers: [ops], escalation: fire-duty}}
"""
RAISED = ("/ops", "alarm.raised")
RESOLVED = ("/ops", "alarm.resolved")
DUTY = ("/duty", "alarm.escalation")
SAFETY = ("/safety", "alarm.escalation")
ACK_TIMEOUT = ("/duty", "alarm.ack-timeout")


@dataclass
class Bench:
    """A real server with a notification file pointing at a real HTTP receiver; the clock moves by hand."""

    tmp: Path
    hook: HookServer
    text: str = NOTIFY  # the notification file; `{base}` is the receiver's URL without its path
    clock: FakeClock = field(default_factory=lambda: FakeClock(T0))
    srv: Server | None = None
    seen: int = 0  # receiver requests already returned by `run`

    def start(self) -> Bench:
        notify = self.tmp / "notify.yaml"
        notify.write_text(self.text.format(base=self.hook.url.rsplit("/", 1)[0]))
        # notify_interval=0: no background loop; `run` drives every timer, so the test decides what is due.
        self.srv = Server(self.tmp / "data", RULES, self.clock, notify=notify, notify_interval=0)
        self.srv.start()
        return self

    def stop(self) -> None:
        if self.srv is not None:
            self.srv.stop()
            self.srv = None

    def restart(self) -> None:
        """A new server over the same data directory."""
        self.stop()
        self.start()

    @property
    def notify(self) -> NotifyService:
        assert self.srv is not None and self.srv.app is not None
        service: NotifyService = self.srv.app.notify
        return service

    def at(self, minute: float) -> None:
        self.clock.set(T0 + minute * 60)

    def client(self, role: Role = Role.OPERATOR) -> httpx.Client:
        assert self.srv is not None
        return self.srv.client(role)

    def raise_alarm(self) -> None:
        event = {
            "id": f"t{self.clock.now()}",
            "source": "temp-1",
            "type": "temperature",
            "zone": "food-court",
        }
        with self.client() as c:
            assert c.post("/api/v1/events", json=event | {"value": 61}).status_code == 202

    def act(self, action: str, alarm_id: int = 1, **body: Any) -> None:
        with self.client(Role.SUPERVISOR) as c:
            r = c.post(f"/api/v1/alarms/{alarm_id}/{action}", json=body or None)
            assert r.status_code == 200, r.text

    def run(self) -> list[tuple[str, str]]:
        """Run the escalation timer, then one dispatch; the (path, event) of each new request received."""
        assert self.srv is not None and self.notify.escalations is not None and self.notify.dispatcher
        self.srv.call(self.notify.escalations.run_due(self.clock.now()))
        self.srv.call(self.notify.dispatcher.dispatch_due())
        new = self.hook.requests[self.seen :]
        self.seen = len(self.hook.requests)
        # Sorted: one dispatch sends to different receivers at the same time.
        return sorted((r.path, r.headers["x-fairwatch-event"]) for r in new)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.tmp / "data" / "fairwatch.db") as conn:
            return list(conn.execute(sql))


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    with HookServer([]) as hook:
        b = Bench(tmp_path, hook).start()
        try:
            yield b
        finally:
            b.stop()


# (case id, timeline of (minute, action or None, what the receivers get at that minute))
TIMELINES = [
    (
        "unacknowledged-escalates-and-repeats",
        [
            (0, "raise", [RAISED]),
            (4.9, None, []),
            (5, None, [DUTY]),
            (14, None, []),
            (15, None, [SAFETY]),
            (24, None, []),
            (25, None, [SAFETY]),  # repeat 1
            (30, None, []),
            (45, None, [SAFETY]),  # repeat 3: a late run sends the latest repeat only, not a backlog
        ],
    ),
    (
        "acknowledge-stops-it",
        [(0, "raise", [RAISED]), (5, None, [DUTY]), (6, "ack", []), (15, None, []), (35, None, [])],
    ),
    (
        "acknowledge-before-level-1",
        [(0, "raise", [RAISED]), (4, "ack", []), (5, None, []), (33, None, [])],
    ),
    (
        "resolve-stops-it",
        [
            (0, "raise", [RAISED]),
            (5, None, [DUTY]),
            (7, "resolve", [RESOLVED]),
            (15, None, []),
            (90, None, []),
        ],
    ),
    (
        "acknowledged-too-long-re-raises-level-1",
        [
            (0, "raise", [RAISED]),
            (2, "ack", []),
            (31.9, None, []),
            (32, None, [ACK_TIMEOUT]),
            (40, None, []),
            (62, None, [ACK_TIMEOUT]),  # and again every ack_timeout while unresolved
            (63, "resolve", [RESOLVED]),
            (200, None, []),
        ],
    ),
]


@pytest.mark.parametrize("timeline", [c[1] for c in TIMELINES], ids=[c[0] for c in TIMELINES])
def test_escalation_timeline(bench: Bench, timeline: list[tuple[float, str | None, list[Any]]]) -> None:
    for minute, action, expected in timeline:
        bench.at(minute)
        if action == "raise":
            bench.raise_alarm()
        elif action == "resolve":
            bench.act("resolve", disposition="handled")
        elif action is not None:
            bench.act(action)
        assert bench.run() == expected, f"at minute {minute}"


def test_each_step_is_audited_streamed_and_keyed_by_level(bench: Bench) -> None:
    assert bench.srv is not None and bench.srv.app is not None
    hub = bench.srv.app.hub

    async def subscribe() -> Any:
        return hub.subscribe(None)[0]

    sub = bench.srv.call(subscribe())
    bench.raise_alarm()
    bench.run()
    bench.at(5)
    assert bench.run() == [DUTY]
    bench.at(16)
    assert bench.run() == [SAFETY]
    bench.at(17)
    bench.act("ack")
    bench.at(47)
    assert bench.run() == [ACK_TIMEOUT]

    keys = [r.headers["idempotency-key"] for r in bench.hook.requests[1:]]
    ms = round(T0 * 1000)
    assert keys == [
        f"1:duty:escalation-fire-duty-1-0@{ms}",
        f"1:safety:escalation-fire-duty-2-0@{ms}",
        f"1:duty:ack-timeout-fire-duty-1-0@{round((T0 + 17 * 60) * 1000)}",
    ]
    body = orjson.loads(bench.hook.requests[1].body)
    assert (body["change"], body["actor"], body["alarm"]["id"]) == ("escalation", "system:escalation", 1)
    assert body["details"] == {
        "policy": "fire-duty",
        "level": 1,
        "receivers": ["duty"],
        "repeat": 0,
        "unacknowledged_since": "2026-07-02T13:46:40.000Z",
    }

    with bench.client(Role.VIEWER) as c:
        history = c.get("/api/v1/alarms/1").json()["history"]
    steps = [(h["action"], h["actor"], h["details"]) for h in history if h["actor"] == "system:escalation"]
    assert [(a, d["level"], d["receivers"]) for a, _, d in steps] == [
        ("alarm-escalation-notified", 1, ["duty"]),
        ("alarm-escalation-notified", 2, ["safety"]),
        ("alarm-ack-timeout", 1, ["duty"]),
    ]
    assert steps[2][2]["acknowledged_at"] == "2026-07-02T14:03:40.000Z"

    async def streamed() -> list[dict[str, Any]]:
        out = []
        while not sub.queue.empty():
            out.append(orjson.loads(sub.queue.get_nowait().data))
        hub.unsubscribe(sub)
        return out

    changes = [m for m in bench.srv.call(streamed()) if m["change"] == "escalation"]
    assert [(m["details"]["step"], m["details"]["level"], m["alarm"]["state"]) for m in changes] == [
        ("escalation", 1, "open"),
        ("escalation", 2, "open"),
        ("ack-timeout", 1, "acknowledged"),
    ]
    bench.stop()
    store = SqlStore(sqlite_url(bench.tmp / "data"))
    try:
        assert verify_chain(store.iter_audit()).ok
    finally:
        store.close()


# (case id, minutes run before the restart, minute of the restart, what the new server sends then)
RESTARTS = [
    ("after-level-1", [0, 5], 6, []),
    ("after-level-1-then-level-2-once", [0, 5], 15, [SAFETY]),
    ("down-across-both-levels-skips-none", [0, 4], 16, sorted([DUTY, SAFETY])),
    ("in-the-middle-of-repeats", [0, 5, 15], 26, [SAFETY]),
    ("same-repeat-again", [0, 5, 15, 25], 26, []),
]


@pytest.mark.parametrize(
    ("before", "restart_at", "expected"), [c[1:] for c in RESTARTS], ids=[c[0] for c in RESTARTS]
)
def test_a_restart_neither_repeats_nor_skips_a_step(
    bench: Bench, before: list[int], restart_at: int, expected: list[Any]
) -> None:
    bench.raise_alarm()
    for minute in before:
        bench.at(minute)
        bench.run()
    bench.restart()
    bench.at(restart_at)
    assert bench.run() == expected
    assert bench.run() == []
    keys = [k for (k,) in bench.rows("SELECT key FROM notifications WHERE kind = 'escalation'")]
    assert len(keys) == len(set(keys))
    audits = bench.rows("SELECT details FROM audit WHERE action = 'alarm-escalation-notified'")
    steps = [(d["level"], d["repeat"]) for d in (orjson.loads(a) for (a,) in audits)]
    assert len(steps) == len(set(steps)) == len(keys), "each step is audited once"


def test_a_restart_remembers_the_acknowledgement(bench: Bench) -> None:
    bench.raise_alarm()
    bench.run()
    bench.at(3)
    bench.act("ack")
    bench.restart()
    bench.at(20)
    assert bench.run() == []  # acknowledged: no level
    bench.at(33)
    assert bench.run() == [ACK_TIMEOUT]  # timed from the acknowledgement read back from the audit log


def test_a_reopened_alarm_escalates_again_from_the_reopening(bench: Bench) -> None:
    bench.raise_alarm()
    bench.run()
    bench.at(5)
    assert bench.run() == [DUTY]
    bench.at(6)
    bench.act("resolve", disposition="handled")
    assert bench.run() == [RESOLVED]
    bench.at(10)
    bench.act("reopen", reason="smoke again")
    assert bench.run() == [("/ops", "alarm.reopened")]
    bench.at(14.9)
    assert bench.run() == []
    bench.restart()
    bench.at(15)
    assert bench.run() == [DUTY]  # 5 minutes after the reopening, a new episode with its own keys


# -- the pure schedule ----------------------------------------------------------------------------------------
POLICY = EscalationPolicy(
    "p",
    (EscalationLevel(300, ("a",), 120.0), EscalationLevel(900, ("b",)), EscalationLevel(1800, ("c",), 600.0)),
    ack_timeout=1800,
)

# (case id, state, acked_since, seconds after the episode began, (level, repeat) due, next due in seconds)
SCHEDULE: list[tuple[str, AlarmState, float | None, float, list[tuple[str, int, int]], float | None]] = [
    ("nothing-yet", AlarmState.OPEN, None, 299, [], 300),
    ("level-1", AlarmState.OPEN, None, 300, [("escalation", 1, 0)], 420),
    ("level-1-repeat-1", AlarmState.OPEN, None, 420, [("escalation", 1, 1)], 540),
    ("level-1-last-repeat-before-level-2", AlarmState.OPEN, None, 899, [("escalation", 1, 4)], 900),
    ("level-2-owes-level-1", AlarmState.OPEN, None, 900, [("escalation", 1, 0), ("escalation", 2, 0)], 1800),
    (
        "level-3-repeats",
        AlarmState.OPEN,
        None,
        3000,
        [("escalation", 1, 0), ("escalation", 2, 0), ("escalation", 3, 2)],
        3600,
    ),
    ("acknowledged-waits", AlarmState.ACKNOWLEDGED, 60, 1859, [], 1860),
    ("ack-timeout", AlarmState.ACKNOWLEDGED, 60, 1860, [("ack-timeout", 1, 0)], 3660),
    ("ack-timeout-repeat", AlarmState.ACKNOWLEDGED, 60, 5460, [("ack-timeout", 1, 2)], 7260),
    ("resolved", AlarmState.RESOLVED, 60, 9000, [], None),
]


@pytest.mark.parametrize(
    ("state", "acked", "elapsed", "steps", "upcoming"),
    [c[1:] for c in SCHEDULE],
    ids=[c[0] for c in SCHEDULE],
)
def test_due_steps(
    state: AlarmState,
    acked: float | None,
    elapsed: float,
    steps: list[tuple[str, int, int]],
    upcoming: float | None,
) -> None:
    episode = Episode(state, T0, None if acked is None else T0 + acked)
    found, at = due_steps(POLICY, episode, T0 + elapsed)
    assert [(s.kind, s.level, s.repeat) for s in found] == steps
    assert at == (None if upcoming is None else T0 + upcoming)


def test_first_level_receivers_get_the_ack_timeout() -> None:
    found, _ = due_steps(POLICY, Episode(AlarmState.ACKNOWLEDGED, T0, T0), T0 + 1800)
    assert [s.receivers for s in found] == [("a",)]


def test_the_episode_is_read_back_from_the_audit_history(tmp_path: Path) -> None:
    with HookServer([]) as hook:
        bench = Bench(tmp_path, hook).start()
        try:
            bench.raise_alarm()
            for minute, action in [(1, "ack"), (2, "resolve"), (3, "reopen"), (4, "ack")]:
                bench.at(minute)
                params: dict[str, dict[str, Any]] = {
                    "resolve": {"disposition": "handled"},
                    "reopen": {"reason": "again"},
                }
                bench.act(action, **params.get(action, {}))
            assert bench.srv is not None and bench.srv.app is not None
            store = bench.srv.app.store
            alarm = store.get_alarm(1)
            assert alarm is not None
            episode = episode_from_history(alarm, store.history("alarm:1"))
        finally:
            bench.stop()
    assert episode == Episode(AlarmState.ACKNOWLEDGED, T0 + 180, T0 + 240)


# -- the file -------------------------------------------------------------------------------------------------
HEAD = """receivers:
  - {name: duty, webhook: {url: "http://127.0.0.1:9/duty"}}
"""
# (case id, escalations and routes after HEAD, the errors)
BAD_FILES = [
    (
        "unknown-level-receiver",
        "escalations:\n  - name: p\n    levels:\n      - {after: 5m, receivers: [boss]}\nroutes: []\n",
        ["notify.yaml:6: escalation 1 ('p'): level 1: receivers: unknown receiver 'boss' (defined: duty)"],
    ),
    (
        "levels-out-of-order",
        "escalations:\n  - name: p\n    levels:\n      - {after: 15m, receivers: [duty]}\n"
        "      - {after: 5m, receivers: [duty]}\nroutes: []\n",
        ["notify.yaml:7: escalation 1 ('p'): level 2: after: must be later than the level before (900s)"],
    ),
    (
        "unknown-level-key",
        "escalations:\n  - name: p\n    levels:\n      - {after: 5m, receivers: [duty], every: 5m}\nroutes: []\n",
        [
            "notify.yaml:6: escalation 1 ('p'): level 1: unknown key 'every' (expected one of after, receivers, repeat)"
        ],
    ),
    (
        "bad-ack-timeout",
        "escalations:\n  - name: p\n    ack_timeout: soon\n    levels:\n      - {after: 5m, receivers: [duty]}\n"
        "routes: []\n",
        [
            "notify.yaml:5: escalation 1 ('p'): ack_timeout: invalid duration 'soon' "
            "(expected a number with a unit ms, s, m, h or d, e.g. 30s)"
        ],
    ),
    (
        "no-levels",
        "escalations:\n  - name: p\n    levels: []\nroutes: []\n",
        ["notify.yaml:5: escalation 1 ('p'): levels: must not be an empty list"],
    ),
    (
        "duplicate-name",
        "escalations:\n  - {name: p, levels: [{after: 5m, receivers: [duty]}]}\n"
        "  - {name: p, levels: [{after: 9m, receivers: [duty]}]}\nroutes: []\n",
        ["notify.yaml:5: escalation 2 ('p'): name: duplicate escalation name 'p' (first at line 4)"],
    ),
    (
        "route-names-an-unknown-policy",
        "escalations:\n  - {name: p, levels: [{after: 5m, receivers: [duty]}]}\n"
        "routes:\n  - {type: fire.*, escalation: q}\n",
        ["notify.yaml:6: route 1: escalation: unknown escalation policy 'q' (defined: p)"],
    ),
    (
        "route-needs-receivers-or-a-policy",
        "routes:\n  - {type: fire.*}\n",
        ["notify.yaml:4: route 1: missing required key 'receivers'"],
    ),
]


@pytest.mark.parametrize(("text", "errors"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES])
def test_bad_escalations_name_file_line_item_and_value(text: str, errors: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        parse_notify(HEAD + text)
    assert info.value.messages == errors


def test_a_route_may_only_start_a_policy() -> None:
    config = parse_notify(
        HEAD
        + "escalations:\n  - {name: p, ack_timeout: 30m, levels: [{after: 5m, receivers: [duty], repeat: 1m}]}\n"
        "routes:\n  - {type: fire.*, severity: '>= high', escalation: p}\n"
    )
    assert config.escalations == {
        "p": EscalationPolicy("p", (EscalationLevel(300.0, ("duty",), 60.0),), 1800.0)
    }
    [route] = config.routes
    assert (route.receivers, route.escalation) == ((), "p")


# (case id, audit action, details, the console's one-line summary in the shift handover)
SUMMARIES = [
    (
        "level",
        "alarm-escalation-notified",
        {"level": 2, "receivers": ["safety"]},
        "escalation level 2: notified safety",
    ),
    (
        "ack-timeout",
        "alarm-ack-timeout",
        {"level": 1, "receivers": ["duty", "ops"]},
        "acknowledged too long: notified duty, ops",
    ),
]


@pytest.mark.parametrize(
    ("action", "details", "line"), [c[1:] for c in SUMMARIES], ids=[c[0] for c in SUMMARIES]
)
def test_the_handover_names_escalation_steps(action: str, details: dict[str, Any], line: str) -> None:
    assert handover.summarise(action, details) == line


LATE = """
receivers:
  - {name: duty, webhook: {url: "http://127.0.0.1:9/duty"}}
escalations:
  - {name: p, levels: [{after: 5m, receivers: [duty]}]}
routes:
  - {type: fire.*, severity: critical, escalation: p}
"""


async def test_an_alarm_whose_severity_rises_into_a_policy_escalates_from_first_seen(
    rig_factory: Callable[..., Awaitable[Rig]], clock: FakeClock
) -> None:
    rig = await rig_factory(LATE)
    published: list[AlarmChange] = []
    service = EscalationService(rig.dispatcher.config, rig.store, rig.pipeline, clock, published.extend)
    await service.start()
    await rig.hot()  # alarm 1, high: no route covers it
    before = rig.store.get_alarm(1)
    assert before is not None
    service.on_changes([AlarmChange("raised", before, "rule:hot", T0)])
    clock.set(T0 + 60)
    critical = replace(before, severity=Severity.CRITICAL, version=2, updated=T0 + 60)
    await rig.pipeline.call(lambda txn, _now: txn.update_alarm(critical, before.version))
    service.on_changes([AlarmChange("escalated", critical, "rule:hot", T0 + 60)])
    assert await service.run_due(T0 + 299) == 0
    assert await service.run_due(T0 + 300) == 1  # five minutes after it was first seen, not after it rose
    assert [(j.receiver, j.kind, j.status) for j in rig.jobs(1)] == [("duty", "escalation", "pending")]
    assert [(c.kind, c.details["level"]) for c in published] == [("escalation", 1)]
