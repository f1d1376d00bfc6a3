"""The unit status machine, invite states and timers: pure decisions, table-driven."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fairwatch.config import load_site
from fairwatch.field import Fire, InviteState, Refusal, Timers, UnitStatus, invite_state, status_refusal
from fairwatch.field.position import geo_to_plan, zone_at
from fairwatch.field.timers import due, next_deadline
from fairwatch.sim import demo_site_path
from fairwatch.site.model import plan_to_geo
from fairwatch.store import Invite, Unit

S = UnitStatus
T0 = 1_780_000_000.0


@pytest.mark.parametrize(
    ("current", "wanted", "assigned", "expected"),
    [
        (S.OFF_DUTY, S.AVAILABLE, False, None),  # coming on duty
        (S.AVAILABLE, S.OFF_DUTY, False, None),
        (S.DISPATCHED, S.EN_ROUTE, True, None),
        (S.EN_ROUTE, S.ON_SCENE, True, None),
        (S.DISPATCHED, S.ON_SCENE, True, None),  # already there
        (S.ON_SCENE, S.CLEAR, True, None),
        (S.CLEAR, S.AVAILABLE, False, None),
        (S.EN_ROUTE, S.AVAILABLE, True, None),  # stood down
        (S.AVAILABLE, S.ON_SCENE, False, Refusal.NO_ASSIGNMENT),  # on scene of nothing
        (S.AVAILABLE, S.DISPATCHED, False, Refusal.NEEDS_DISPATCH),  # only a dispatch dispatches
        (S.ON_SCENE, S.AVAILABLE, True, Refusal.NOT_FROM),  # clear first
        (S.OFF_DUTY, S.CLEAR, False, Refusal.NOT_FROM),
        (S.ON_SCENE, S.OFF_DUTY, True, Refusal.NOT_FROM),
        (S.AVAILABLE, S.AVAILABLE, False, Refusal.SAME),
    ],
    ids=lambda v: str(v),
)
def test_status_changes(current: S, wanted: S, assigned: bool, expected: Refusal | None) -> None:
    assert status_refusal(current, wanted, assigned) is expected


def invite(**kw: object) -> Invite:
    return replace(Invite("h", 1, T0, T0 + 3600, "sup"), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("found", "at", "expected"),
    [
        (invite(), T0 + 10, InviteState.VALID),
        (None, T0, InviteState.UNKNOWN),
        (invite(used_at=T0 + 5), T0 + 10, InviteState.USED),
        (invite(), T0 + 3600, InviteState.EXPIRED),  # expiry is exclusive
        (invite(revoked_at=T0 + 1), T0 + 10, InviteState.REVOKED),
        (invite(revoked_at=T0 + 1, used_at=T0), T0 + 10, InviteState.REVOKED),  # revocation wins
    ],
    ids=["valid", "unknown", "used", "expired", "revoked", "revoked-after-use"],
)
def test_invite_states(found: Invite | None, at: float, expected: InviteState) -> None:
    assert invite_state(found, at) is expected


def unit(**kw: object) -> Unit:
    return replace(Unit("Medic 2", "medic", 2, "available", T0, T0, T0, T0, id=1), **kw)  # type: ignore[arg-type]


TIMERS = Timers(check_in=900.0, status_limits={S.DISPATCHED: 240.0})


@pytest.mark.parametrize(
    ("u", "at", "expected"),
    [
        (unit(), T0 + 899, []),
        (unit(), T0 + 900, [Fire.MISSED_CHECK_IN]),
        (unit(check_in_alarmed=T0), T0 + 2000, []),  # fired once for this check-in
        (unit(status="off_duty"), T0 + 5000, []),  # off duty: nobody expects a check-in
        (unit(status="dispatched", status_since=T0 + 700, last_check_in=T0 + 700), T0 + 939, []),
        (
            unit(status="dispatched", status_since=T0 + 700, last_check_in=T0 + 700),
            T0 + 940,
            [Fire.STATUS_OVERDUE],
        ),
        (unit(status="dispatched", status_alarmed=T0), T0 + 900, [Fire.MISSED_CHECK_IN]),
        (
            unit(status="en_route", status_since=T0, last_check_in=T0 + 100),
            T0 + 600,
            [],
        ),  # no limit for en route
    ],
    ids=[
        "before",
        "check-in-due",
        "fired-once",
        "off-duty",
        "dispatched-before",
        "dispatched-overdue",
        "status-fired-once",
        "no-limit",
    ],
)
def test_timers(u: Unit, at: float, expected: list[Fire]) -> None:
    assert due(u, TIMERS, at) == expected


def test_next_deadline_is_the_earliest_unfired_timer() -> None:
    assert next_deadline(unit(), TIMERS) == T0 + 900
    assert next_deadline(unit(status="dispatched", status_since=T0 + 100), TIMERS) == T0 + 340
    assert next_deadline(unit(status="off_duty"), TIMERS) == float("inf")
    assert next_deadline(unit(), Timers(0.0, {})) == float("inf")  # both turned off


def test_a_shared_position_is_placed_in_the_smallest_zone_that_holds_it() -> None:
    site = load_site(demo_site_path())
    assert site.georef is not None
    lat, lon = plan_to_geo(site.georef, 325.0, 350.0)  # the medical tent
    x, y = geo_to_plan(site.georef, lat, lon)
    assert (round(x, 1), round(y, 1)) == (325.0, 350.0)  # the inverse of the site's projection
    assert zone_at(site, {"lat": lat, "lon": lon}) == "medical-tent"
    assert zone_at(site, {"x": 325.0, "y": 350.0}) == "medical-tent"
    assert zone_at(site, {"x": -5000.0, "y": -5000.0}) is None  # off the plan
    assert zone_at(None, {"x": 325.0, "y": 350.0}) is None  # no site loaded
