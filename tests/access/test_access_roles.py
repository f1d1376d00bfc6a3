"""Posting events is the device permission, not a rank: people's tokens get 403 on ingest, operators keep their
actions. Table-driven over the pure `permits`, then the same matrix over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from fairwatch.access import Permission, permits, refusal
from fairwatch.model import Role
from tests.harness import Server

RULES = """
rules:
  - id: hot
    alarm: fire.suspected
    severity: high
    when: {type: temp.reading, value: {gt: 50}}
    group_by: [zone]
"""
EVENT = {"source": "t1", "type": "temp.reading", "zone": "z", "value": 80}
ALERT = {
    "version": "4",
    "status": "firing",
    "receiver": "fairwatch",
    "groupKey": "{}:{}",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "DiskFull", "instance": "srv-1"},
            "annotations": {},
            "startsAt": "2026-07-02T12:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "fingerprint": "abc",
        }
    ],
}


@pytest.mark.parametrize(
    ("role", "need", "allowed"),
    [
        (Role.DEVICE, Permission.INGEST, True),
        (Role.VIEWER, Permission.INGEST, False),  # the one-line ladder used to let a viewer post events
        (Role.OPERATOR, Permission.INGEST, False),
        (Role.SUPERVISOR, Permission.INGEST, False),
        (Role.ADMIN, Permission.INGEST, False),
        (Role.ADMIN, Role.DEVICE, False),  # "device or higher" means ingest too
        (Role.DEVICE, Role.VIEWER, False),  # a device reads nothing
        (Role.VIEWER, Role.VIEWER, True),
        (Role.OPERATOR, Role.OPERATOR, True),
        (Role.VIEWER, Role.OPERATOR, False),
        (Role.ADMIN, Role.SUPERVISOR, True),
    ],
    ids=lambda v: str(v),
)
def test_permits(role: Role, need: Role | Permission, allowed: bool) -> None:
    assert permits(role, need) is allowed
    assert (refusal(role, need) is None) is allowed


def test_refusal_names_who_may() -> None:
    assert (
        refusal(Role.ADMIN, Permission.INGEST) == "role 'admin' may not post events; only device tokens may"
    )
    assert refusal(Role.VIEWER, Role.OPERATOR) == "role 'viewer' may not do this; needs 'operator' or higher"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("roles") / "data", RULES) as s:
        yield s


def bearer(srv: Server, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {srv.token(role, f'{role.value}-1')}"}


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.DEVICE, 202),
        (Role.VIEWER, 403),
        (Role.OPERATOR, 403),
        (Role.SUPERVISOR, 403),
        (Role.ADMIN, 403),
    ],
    ids=lambda v: str(v),
)
@pytest.mark.parametrize(
    ("path", "body"),
    [("/api/v1/events", EVENT), ("/api/v1/adapters/alertmanager", ALERT)],
    ids=["events", "alertmanager"],
)
def test_only_device_tokens_post_events(
    srv: Server, role: Role, status: int, path: str, body: dict[str, object]
) -> None:
    r = httpx.post(srv.url + path, json=body, headers=bearer(srv, role), timeout=20)
    assert r.status_code == status, r.text
    if status == 403:
        assert r.json()["message"] == f"role '{role.value}' may not post events; only device tokens may"


def test_operators_keep_their_own_actions(srv: Server) -> None:
    dev = bearer(srv, Role.DEVICE)
    assert httpx.post(srv.url + "/api/v1/events", json=EVENT, headers=dev, timeout=20).status_code == 202
    op = httpx.Client(base_url=srv.url, headers=bearer(srv, Role.OPERATOR), timeout=20)
    with op:
        [alarm] = op.get("/api/v1/alarms").json()["alarms"]
        assert op.post(f"/api/v1/alarms/{alarm['id']}/ack").json()["state"] == "acknowledged"
        assert op.post(f"/api/v1/alarms/{alarm['id']}/comment", json={"text": "on it"}).status_code == 200
