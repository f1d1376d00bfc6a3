"""Flood control: the pure decision (table), then end to end through HTTP, the store and the audit log."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text

from fairwatch.alarms import Action, AlarmService
from fairwatch.alarms.flood import FloodMember, flood_parent
from fairwatch.audit import verify_chain
from fairwatch.clock import FakeClock
from fairwatch.model import Decision, DecisionKind, Reason, Role, Severity
from fairwatch.store import AlarmLinks, AlarmQuery, SqlStore, sqlite_url
from tests.harness import Server

NOW = 1_783_000_000.0
WINDOW = 600.0


def member(i: int, age: float = 60.0, **kw: Any) -> FloodMember:
    """Open alarm `i` of type fire.smoke in zone z1, raised `age` seconds before NOW."""
    fields: dict[str, Any] = {"type": "fire.smoke", "site": None, "zone": "z1", "raised": NOW - age}
    fields.update(kw)
    return FloodMember(i, **fields)


NEW = member(100, age=0)
NEW_NO_ZONE = member(100, age=0, zone=None)

# (id, open alarms, the new alarm, threshold, expected parent)
CASES: list[tuple[str, list[FloodMember], FloodMember, int, int | None]] = [
    ("none-open", [], NEW, 3, None),
    ("below-threshold", [member(1), member(2)], NEW, 3, None),
    ("at-threshold-oldest-wins", [member(2, 30), member(1, 90), member(3, 10)], NEW, 3, 1),
    ("threshold-one", [member(7)], NEW, 1, 7),
    ("window-edge-inclusive", [member(1, WINDOW), member(2), member(3)], NEW, 3, 1),
    ("just-outside-window", [member(1, WINDOW + 0.001), member(2), member(3)], NEW, 3, None),
    ("raised-after-now-counts", [member(1, -5), member(2), member(3)], NEW, 3, 2),
    ("other-type-not-counted", [member(1, type="fire.confirmed"), member(2), member(3)], NEW, 3, None),
    ("other-zone-not-counted", [member(1, zone="z2"), member(2), member(3)], NEW, 3, None),
    ("other-site-not-counted", [member(1, site="north"), member(2), member(3)], NEW, 3, None),
    ("no-zone-is-one-place", [member(i, zone=None) for i in (1, 2, 3)], NEW_NO_ZONE, 3, 1),
    ("no-zone-is-not-a-zone", [member(i, zone=None) for i in (1, 2, 3)], NEW, 3, None),
    ("new-alarm-itself-ignored", [member(1), member(2), member(100, 0)], NEW, 3, None),
    ("tie-lowest-id", [member(5, 60), member(4, 60), member(6, 10)], NEW, 3, 4),
    (
        "flood-outlives-window-stays-under-parent",
        [member(1, 900), member(2, 60, parent_id=1), member(3, 50, parent_id=1), member(4, 40, parent_id=1)],
        NEW,
        3,
        1,
    ),
    (
        "children-of-resolved-parent-start-afresh",
        [member(2, 60, parent_id=1), member(3, 50, parent_id=1), member(4, 40, parent_id=1)],
        NEW,
        3,
        None,
    ),
    (
        "child-stands-for-its-older-parent",
        [member(1, 900), member(8, 500), member(2, 60, parent_id=1), member(9, 50)],
        NEW,
        3,
        1,
    ),
    ("threshold-zero-is-off", [member(1), member(2), member(3)], NEW, 0, None),
]


@pytest.mark.parametrize(
    ("open_alarms", "new", "threshold", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_flood_parent(
    open_alarms: list[FloodMember], new: FloodMember, threshold: int, expected: int | None
) -> None:
    assert flood_parent(open_alarms, new, NOW, threshold, WINDOW) == expected


# -- the service over each SQL back end ---------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    if request.param == "sqlite":
        opened = SqlStore(sqlite_url(tmp_path))
    else:  # one server per session: start from empty tables, as the store contract suite does
        opened = SqlStore(request.getfixturevalue("postgres_url"))
        with opened.engine.begin() as conn:
            for table in ("alarms", "occurrences", "audit"):
                conn.execute(text(f"TRUNCATE {table} RESTART IDENTITY"))
    yield opened
    opened.close()


def raise_decision(i: int, zone: str = "food-court") -> Decision:
    return Decision(
        DecisionKind.RAISE,
        Reason.THRESHOLD,
        "smoke",
        "fire.smoke",
        Severity.HIGH,
        f"smoke|det-{i}",
        {},
        NOW,
        zone=zone,
    )


def test_groups_are_stored_listed_and_cascaded_on_each_back_end(store: SqlStore) -> None:
    alarms = AlarmService(store, flood_threshold=3, flood_window=WINDOW)
    with store.transaction() as txn:
        alarms.apply_decisions(txn, [(raise_decision(i), f"det-{i}") for i in range(1, 7)], NOW)
        alarms.apply_decisions(txn, [(raise_decision(9, zone="bar"), "det-9")], NOW)
    alarms.commit_staged()
    top = store.list_alarms(AlarmQuery(children=False))
    assert sorted(a.id for a in top) == [1, 2, 3, 7]
    assert store.alarm_links([1, 2, 4, 7]) == {1: AlarmLinks(None, 3), 4: AlarmLinks(1, 0)}
    assert [a.id for a in store.children_of(1)] == [4, 5, 6]
    with store.transaction() as txn:
        assert (txn.parent_of(5), txn.parent_of(2)) == (1, None)
        alarms.act(txn, 1, Action.RESOLVE, "op", {"disposition": "handled", "cascade": True}, NOW + 1)
    changes = alarms.commit_staged()
    assert [(c.alarm.id, c.kind, c.parent_id) for c in changes] == [
        (1, "resolved", None),
        (4, "resolved", 1),
        (5, "resolved", 1),
        (6, "resolved", 1),
    ]
    assert sorted(a.id for a in store.list_alarms(AlarmQuery(children=False))) == [1, 2, 3, 7]
    assert sorted(a.id for a in store.list_alarms(AlarmQuery())) == list(range(1, 8))
    assert AlarmService(store).parents == {}  # nothing open is a child any more


# -- end to end ----------------------------------------------------------------------------------------------
RULES = """
rules:
  - id: smoke
    alarm: fire.smoke
    severity: high
    when: {type: smoke, value: {gt: 0.5}}
    group_by: [source]
"""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def srv(tmp_path: Path, clock: FakeClock) -> Iterator[Server]:
    with Server(tmp_path / "data", RULES, clock, flood_threshold=3, flood_window=WINDOW) as s:
        yield s


@pytest.fixture
def op(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.OPERATOR) as c:
        yield c


def smoke(i: int, zone: str = "food-court") -> dict[str, Any]:
    return {"id": f"s{i}", "source": f"det-{i}", "type": "smoke", "zone": zone, "value": 0.9}


def rows(srv: Server, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(srv.data / "fairwatch.db") as conn:
        return list(conn.execute(sql))


def raise_fifteen(op: httpx.Client, batched: bool) -> None:
    if batched:
        assert op.post("/api/v1/events", json=[smoke(i) for i in range(1, 16)]).json()["accepted"] == 15
    else:
        for i in range(1, 16):
            assert op.post("/api/v1/events", json=smoke(i)).status_code == 202


def ids(alarms: list[dict[str, Any]]) -> list[int]:
    return sorted(a["id"] for a in alarms)


@pytest.mark.parametrize("batched", [True, False], ids=["one-batch", "one-by-one"])
def test_fifteen_alarms_make_one_parent_with_children(srv: Server, op: httpx.Client, batched: bool) -> None:
    raise_fifteen(op, batched)
    # the first three stay top-level; every later one joins the oldest
    assert rows(srv, "SELECT id, parent_id FROM alarms ORDER BY id") == [(1, None), (2, None), (3, None)] + [
        (i, 1) for i in range(4, 16)
    ]
    listed = op.get("/api/v1/alarms").json()["alarms"]
    assert [(a["id"], a["parent_id"], a["children"]) for a in sorted(listed, key=lambda a: a["id"])] == [
        (1, None, 12),
        (2, None, 0),
        (3, None, 0),
    ]
    everything = op.get("/api/v1/alarms", params={"children": "include"}).json()["alarms"]
    assert ids(everything) == list(range(1, 16))
    assert {a["parent_id"] for a in everything if a["id"] >= 4} == {1}
    parent = op.get("/api/v1/alarms/1").json()
    assert (parent["children"], ids(parent["child_alarms"])) == (12, list(range(4, 16)))
    child = op.get("/api/v1/alarms/4").json()
    assert (child["parent_id"], child["children"], child["child_alarms"]) == (1, 0, [])
    [raised] = [h for h in child["history"] if h["action"] == "alarm-raised"]
    assert raised["details"]["parent_id"] == 1


def test_stream_names_the_parent(srv: Server, op: httpx.Client) -> None:
    raise_fifteen(op, batched=True)
    assert srv.app is not None
    hub = srv.app.hub

    async def replay() -> list[dict[str, Any]]:
        sub, missed, _reset = hub.subscribe(f"{hub.epoch}-0")
        hub.unsubscribe(sub)
        return [orjson.loads(m.data) for m in missed]

    raised = {c["alarm"]["id"]: c["alarm"] for c in srv.call(replay()) if c["change"] == "raised"}
    assert {i: a["parent_id"] for i, a in raised.items()} == {
        i: (1 if i >= 4 else None) for i in range(1, 16)
    }
    assert "children" not in raised[1]  # the stream does not know the count; the API does


def test_children_stay_real_alarms(srv: Server, op: httpx.Client) -> None:
    raise_fifteen(op, batched=True)
    again = {**smoke(4), "id": "again"}
    assert op.post("/api/v1/events", json=again).status_code == 202
    child = op.get("/api/v1/alarms/4").json()
    assert (child["count"], child["state"]) == (2, "open")  # its own count and history
    assert op.post("/api/v1/alarms/4/ack").json()["state"] == "acknowledged"
    assert op.get("/api/v1/alarms/1").json()["state"] == "open"  # the parent is untouched


@pytest.mark.parametrize(
    ("action", "body", "state"),
    [
        ("resolve", {"disposition": "false_alarm", "note": "dust", "cascade": True}, "resolved"),
        ("ack", {"cascade": True}, "acknowledged"),
    ],
    ids=["resolve", "ack"],
)
def test_cascade_applies_to_open_children_audited_each(
    srv: Server, op: httpx.Client, action: str, body: dict[str, Any], state: str
) -> None:
    raise_fifteen(op, batched=True)
    assert op.post("/api/v1/alarms/7/ack").status_code == 200  # already acknowledged: no cascade ack for it
    r = op.post(f"/api/v1/alarms/1/{action}", json=body)
    assert (r.status_code, r.json()["state"], r.json()["children"]) == (200, state, 12)
    states = dict(rows(srv, "SELECT id, state FROM alarms"))
    assert {i for i, s in states.items() if s == state} >= {1, *range(4, 16)}
    assert (states[2], states[3]) == ("open", "open")  # siblings that are not children are untouched
    done = "alarm-resolved" if action == "resolve" else "alarm-acknowledged"
    records = [r for r in srv_audit(srv) if r.action == done]
    cascaded = sorted(int(r.object.split(":")[1]) for r in records if r.details.get("cascade_from") == 1)
    expected = [i for i in range(4, 16) if action == "resolve" or i != 7]
    assert cascaded == expected
    [own] = [r for r in records if r.object == "alarm:1"]
    assert own.details["cascade"] == expected
    if action == "resolve":
        assert {r.details["disposition"] for r in records} == {"false_alarm"}
    assert verify_chain(srv_audit(srv)).ok


def test_list_hides_children_only_while_their_parent_is_unresolved(srv: Server, op: httpx.Client) -> None:
    raise_fifteen(op, batched=True)
    r = op.post("/api/v1/alarms/1/resolve", json={"disposition": "handled"})  # no cascade
    assert r.status_code == 200
    # the children are open and their parent is gone from the queue: they must show again
    active = op.get("/api/v1/alarms", params={"state": "open,acknowledged"}).json()["alarms"]
    assert ids(active) == [2, 3, *range(4, 16)]
    op.post("/api/v1/alarms/4/resolve", json={"disposition": "handled"})
    assert 4 not in ids(op.get("/api/v1/alarms").json()["alarms"])  # a resolved child stays in its group


def test_cascade_resolve_leaves_a_tidy_list(srv: Server, op: httpx.Client) -> None:
    raise_fifteen(op, batched=True)
    op.post("/api/v1/alarms/1/resolve", json={"disposition": "handled", "cascade": True})
    assert ids(op.get("/api/v1/alarms").json()["alarms"]) == [1, 2, 3]


def test_grouping_survives_a_restart(srv: Server, op: httpx.Client) -> None:
    raise_fifteen(op, batched=True)
    srv.stop()
    srv.start()
    with srv.client(Role.OPERATOR) as again:
        assert again.post("/api/v1/events", json=smoke(16)).status_code == 202
        assert again.get("/api/v1/alarms/16").json()["parent_id"] == 1
        assert again.get("/api/v1/alarms/1").json()["children"] == 13


def test_a_new_flood_window_starts_a_new_group(srv: Server, op: httpx.Client, clock: FakeClock) -> None:
    for i in range(1, 4):
        op.post("/api/v1/events", json=smoke(i))
    clock.advance(WINDOW + 1)  # the three are no longer "within the window"
    op.post("/api/v1/events", json=smoke(4))
    assert op.get("/api/v1/alarms/4").json()["parent_id"] is None


@pytest.mark.parametrize(
    ("path", "body", "problem"),
    [
        ("ack", {"cascade": "yes"}, {"field": "cascade", "value": "yes", "message": "must be true or false"}),
        (
            "comment",
            {"text": "x", "cascade": True},
            {"field": "cascade", "value": True, "message": "unknown field for comment"},
        ),
    ],
    ids=["not-a-bool", "not-for-comment"],
)
def test_bad_cascade_is_refused(
    srv: Server, op: httpx.Client, path: str, body: dict[str, Any], problem: dict[str, Any]
) -> None:
    op.post("/api/v1/events", json=smoke(1))
    r = op.post(f"/api/v1/alarms/1/{path}", json=body)
    assert r.status_code == 422
    assert r.json()["problems"] == [{"index": None, **problem}]


def test_children_parameter_is_checked(op: httpx.Client) -> None:
    r = op.get("/api/v1/alarms", params={"children": "all"})
    assert r.status_code == 422
    assert r.json()["problems"] == [
        {"index": None, "field": "children", "value": "all", "message": "must be one of hide, include"}
    ]


def srv_audit(srv: Server) -> list[Any]:
    store = SqlStore(sqlite_url(srv.data))
    try:
        return list(store.iter_audit())
    finally:
        store.close()
