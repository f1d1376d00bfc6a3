"""Welfare cases over real HTTP: who may see them (everyone else gets the 404 of an unknown path), bad input
named field by field, the reunification, and what the audit log keeps (ids, never the description)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from fairwatch.audit import verify_chain
from fairwatch.model import Role
from tests.harness import Server
from tests.welfare.conftest import CASE, CLOTHING, CONTACT, open_case


def test_welfare_staff_open_a_case_and_supervisors_and_admins_see_it(
    srv: Server, welfare: httpx.Client
) -> None:
    case = open_case(welfare)
    assert {k: case[k] for k in CASE if k != "last_seen_at"} == {
        k: v for k, v in CASE.items() if k != "last_seen_at"
    }
    assert (case["state"], case["last_seen_at"], case["escalated_at"]) == (
        "open",
        "2026-07-02T13:40:00.000Z",
        None,
    )
    assert case["escalate_at"] == "2026-07-02T14:06:40.000Z"  # reported at T0 + 20 minutes
    for role in (Role.WELFARE, Role.SUPERVISOR, Role.ADMIN):
        with srv.client(role) as c:
            assert c.get(f"/api/v1/welfare/cases/{case['id']}").json()["clothing"] == CLOTHING
            assert [x["id"] for x in c.get("/api/v1/welfare/cases").json()["cases"]] == [case["id"]]
    assert srv.app is not None
    stored = srv.app.store.get_welfare_case(case["id"])
    assert stored is not None and stored.contact == CONTACT and stored.reported_by.startswith("token:")


ROUTES = [
    ("GET", "/api/v1/welfare/cases", None),
    ("GET", "/api/v1/welfare/cases/{id}", None),
    ("POST", "/api/v1/welfare/cases", CASE),
    ("POST", "/api/v1/welfare/cases/{id}/found", {"note": "reunited"}),
]


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.VIEWER, Role.DEVICE], ids=lambda r: r.value)
@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=["list", "get", "create", "found"])
def test_to_anyone_else_a_case_does_not_exist(
    srv: Server, welfare: httpx.Client, role: Role, method: str, path: str, body: Any
) -> None:
    case = open_case(welfare)
    with srv.client(role) as other:
        r = other.request(method, path.format(id=case["id"]), json=body)
        unknown = other.get("/api/v1/no-such-thing")
    assert (
        (r.status_code, r.json()) == (404, unknown.json()) == (404, {"error": "http", "message": "Not Found"})
    )
    assert CLOTHING not in r.text
    assert srv.app is not None
    assert [c.id for c in srv.app.store.list_welfare_cases()] == [
        case["id"]
    ]  # nothing created, nothing closed
    assert srv.app.store.list_welfare_cases(("closed",)) == []


def test_without_credentials_it_is_401_as_everywhere(srv: Server) -> None:
    with srv.client(None) as anonymous:
        assert anonymous.get("/api/v1/welfare/cases").status_code == 401


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [
        ({"kind": "lost_bag"}, "kind", "lost_bag"),  # closed list
        ({"age_band": "about 7"}, "age_band", "about 7"),
        ({"height_band": 120}, "height_band", 120),
        ({"last_seen_zone": None}, "last_seen_zone", None),  # required
        ({"last_seen_at": "yesterday"}, "last_seen_at", "yesterday"),
        ({"last_seen_at": "2026-07-02T15:00:00Z"}, "last_seen_at", "2026-07-02T15:00:00Z"),  # future
        ({"vulnerable": "yes"}, "vulnerable", "yes"),
        ({"clothing": "x" * 1001}, "clothing", "x" * 40 + "..."),
        ({"name": "Mia Example"}, "name", None),  # no name field: a first name belongs in the narrative
        ({"photo": "data:image/png;base64,AAAA"}, "photo", None),  # never a photo
        ({"last_seen_zone": "gate\u202eB"}, "last_seen_zone", "gate\u202eB"),  # bidi control in a name
        ({"last_seen_zone": "protest march"}, "last_seen_zone", "protest march"),  # a protected ground
    ],
    ids=[
        "kind",
        "age-band",
        "height-band",
        "zone-required",
        "time-format",
        "time-future",
        "vulnerable",
        "clothing-length",
        "no-name-field",
        "no-photo-field",
        "zone-bidi",
        "zone-ground",
    ],
)
def test_a_bad_case_is_refused_naming_field_and_value(
    srv: Server, welfare: httpx.Client, change: dict[str, Any], field: str, value: Any
) -> None:
    body = {k: v for k, v in {**CASE, **change}.items() if v is not None}
    r = welfare.post("/api/v1/welfare/cases", json=body)
    assert r.status_code == 422, r.text
    problems = r.json()["problems"]
    assert [(p["field"], p["value"]) for p in problems] == [(field, value)]
    assert "Traceback" not in r.text
    assert srv.app is not None and srv.app.store.list_welfare_cases() == []


@pytest.mark.parametrize(
    ("key", "ground"),
    [("ethnicity", "ethnicity"), ("religion", "religion"), ("face_embedding", "biometric_identification")],
)
def test_person_attribute_keys_are_refused_by_the_person_data_ban(
    welfare: httpx.Client, key: str, ground: str
) -> None:
    r = welfare.post("/api/v1/welfare/cases", json={**CASE, key: "x"})
    assert r.status_code == 422
    [problem] = r.json()["problems"]
    assert problem["field"] == key and ground in problem["message"]


def test_found_closes_the_case_with_its_reunification_note_once(srv: Server, welfare: httpx.Client) -> None:
    case = open_case(welfare)
    path = f"/api/v1/welfare/cases/{case['id']}/found"
    missing = welfare.post(path, json={})
    assert missing.status_code == 422 and [p["field"] for p in missing.json()["problems"]] == ["note"]
    done = welfare.post(path, json={"note": "reunited with her father at the info point"})
    assert done.status_code == 200
    assert (done.json()["state"], done.json()["note"]) == (
        "closed",
        "reunited with her father at the info point",
    )
    assert done.json()["closed_at"] == "2026-07-02T13:46:40.000Z"
    again = welfare.post(path, json={"note": "again"})
    assert again.status_code == 409 and again.json()["state"] == "closed"
    assert [
        c["id"] for c in welfare.get("/api/v1/welfare/cases", params={"state": "closed"}).json()["cases"]
    ] == [case["id"]]
    assert welfare.get("/api/v1/welfare/cases", params={"state": "open"}).json()["cases"] == []
    assert welfare.get("/api/v1/welfare/cases/999").status_code == 404


def test_audit_records_carry_ids_and_actions_never_the_description(
    srv: Server, welfare: httpx.Client
) -> None:
    case = open_case(welfare)
    welfare.post(f"/api/v1/welfare/cases/{case['id']}/found", json={"note": "reunited, red raincoat"})
    assert srv.app is not None
    records = srv.app.store.history(f"welfare:{case['id']}")
    assert [(r.action, r.details) for r in records] == [
        ("welfare-case-opened", {"case": case["id"], "kind": "missing_person"}),
        ("welfare-case-found", {"case": case["id"]}),
    ]
    everything = list(srv.app.store.iter_audit())
    assert verify_chain(everything).ok
    text = " ".join(str(r.details) for r in everything)
    for secret in (CLOTHING, CONTACT, "raincoat", "reunited"):
        assert secret not in text


def test_the_api_description_lists_the_welfare_routes(srv: Server, welfare: httpx.Client) -> None:
    paths = welfare.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/welfare/cases", "/api/v1/welfare/cases/{case_id}/found"} <= set(paths)
