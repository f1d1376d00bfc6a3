"""CAP 1.2: the thread of messages for a real alarm (Alert, Update, Cancel) through the real server, every message
valid against the official OASIS schema; the public Atom feed; and the pure mapping underneath."""

from __future__ import annotations

import math
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
import xmlschema

from fairwatch.clock import FakeClock
from fairwatch.model import Alarm, AlarmState, Disposition, Role, Severity
from fairwatch.notify import cap
from fairwatch.notify.cap_issuer import area_for
from fairwatch.site import Site, parse_site
from fairwatch.store.base import CapMessage
from tests.harness import Server
from tests.notify.conftest import T0

XSD = Path(__file__).resolve().parents[2] / "standards" / "CAP-v1.2.xsd"
NS = {"cap": cap.CAP_NS, "atom": "http://www.w3.org/2005/Atom"}
SENDER = "fairwatch@riverside.example"

SITE = """
site:
  id: riverside
  name: Riverside Festival
  timezone: Europe/London
  plan: {width: 800, height: 500}
  georef: {lat: 51.5010, lon: -0.1200}
zones:
  - id: food-court
    name: Food Court
    polygon: [[290, 200], [400, 200], [400, 300], [290, 300]]
    capacity: 5000
  - id: main-stage
    name: Main Stage Arena
    polygon: [[430, 190], [640, 150], [720, 200], [740, 300], [660, 380], [450, 360]]
    capacity: 50000
"""

RULES = """
rules:
  - id: hot
    alarm: fire.high_temperature
    severity: {severity}
    when: {{type: temperature, value: {{gt: 55}}}}
    group_by: [zone]
  - id: dense
    alarm: crowd_safety.high_density
    severity: medium
    when: {{type: crowd.density, value: {{gt: 3.5}}}}
    group_by: [zone]
"""


@cache
def schema() -> Any:
    return xmlschema.XMLSchema(str(XSD))


def valid(xml: str | bytes) -> ET.Element:
    """Validate against the official CAP 1.2 schema; return the root for further checks."""
    text = xml.decode() if isinstance(xml, bytes) else xml
    schema().validate(text)
    return ET.fromstring(text.encode())


def text(root: ET.Element, path: str) -> str:
    found = root.findtext(path, namespaces=NS)
    assert found is not None, path
    return found


class Venue:
    """A real server over one data directory; `restart(severity)` brings it back with the rule changed."""

    def __init__(self, tmp: Path, clock: FakeClock) -> None:
        self.tmp, self.clock = tmp, clock
        self.site = tmp / "site.yaml"
        self.site.write_text(SITE)
        self.srv = self._server("high")

    def _server(self, severity: str) -> Server:
        srv = Server(
            self.tmp / "data",
            RULES.format(severity=severity),
            self.clock,
            site=self.site,
            cap_sender=SENDER,
            notify_interval=0.0,
        )
        srv.start()
        return srv

    def restart(self, severity: str) -> None:
        self.srv.stop()
        self.srv = self._server(severity)

    def post(self, *events: dict[str, Any]) -> None:
        with self.srv.client() as c:
            assert c.post("/api/v1/events", json=list(events)).status_code == 202
        self.settle()

    def settle(self) -> None:
        """Wait until CAP messages of every change so far are recorded."""
        assert self.srv.app is not None
        self.srv.call(self.srv.app.notify.issuer.drain())

    def stored(self, alarm_id: int) -> list[tuple[str, str, str]]:
        with sqlite3.connect(self.tmp / "data" / "fairwatch.db") as conn:
            q = "SELECT identifier, msg_type, xml FROM cap_messages WHERE alarm_id = ? ORDER BY sent, version"
            return list(conn.execute(q, (alarm_id,)))


@pytest.fixture
def venue(tmp_path: Path) -> Iterator[Venue]:
    v = Venue(tmp_path, FakeClock(T0))
    yield v
    v.srv.stop()


def hot(i: int) -> dict[str, Any]:
    return {
        "id": f"t{i}",
        "source": "temp-1",
        "type": "temperature",
        "site": "riverside",
        "zone": "food-court",
        "value": 60,
    }


def test_alert_update_cancel_for_a_real_alarm(venue: Venue) -> None:
    venue.post(
        hot(1), {"id": "d1", "source": "cam-1", "type": "crowd.density", "zone": "main-stage", "value": 4.0}
    )
    [(alert_id, msg_type, alert_xml)] = venue.stored(1)  # issued on commit, before anyone asked
    assert (alert_id.endswith("-alarm-1-v1"), msg_type) == (True, "Alert")
    with venue.srv.client(Role.VIEWER) as viewer:
        r = viewer.get("/api/v1/alarms/1/cap")
        assert (r.status_code, r.headers["content-type"]) == (200, "application/cap+xml")
        assert r.text == alert_xml and viewer.get("/api/v1/alarms/1/cap").content == r.content  # stable
    alert = valid(r.content)
    assert {
        name: text(alert, f"cap:{name}")
        for name in ("identifier", "sender", "sent", "status", "msgType", "scope")
    } == {
        "identifier": alert_id,
        "sender": SENDER,
        "sent": "2026-07-02T13:46:40+00:00",
        "status": "Actual",
        "msgType": "Alert",
        "scope": "Public",
    }
    assert alert.find("cap:references", NS) is None
    info = {
        name: text(alert, f"cap:info/cap:{name}")
        for name in ("category", "event", "urgency", "severity", "certainty")
    }
    assert info == {
        "category": "Fire",
        "event": "High temperature",
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Observed",
    }
    assert text(alert, "cap:info/cap:area/cap:areaDesc") == "Food Court"
    points = [tuple(map(float, p.split(","))) for p in text(alert, "cap:info/cap:area/cap:polygon").split()]
    assert len(points) == 5 and points[0] == points[-1]  # closed
    assert all(51.50 < lat < 51.51 and -0.12 < lon < -0.11 for lat, lon in points)

    venue.clock.advance(60)
    venue.restart("critical")  # the rule's severity was raised: the open alarm escalates on its next event
    venue.post(hot(2))
    with venue.srv.client(Role.VIEWER) as viewer:
        update = valid(viewer.get("/api/v1/alarms/1/cap").content)
    update_id = text(update, "cap:identifier")
    assert (text(update, "cap:msgType"), update_id) == (
        "Update",
        alert_id.replace("-v1", "-v2"),
    )  # same prefix
    assert text(update, "cap:references") == f"{SENDER},{alert_id},2026-07-02T13:46:40+00:00"
    assert text(update, "cap:note") == "severity changed from high to critical"
    assert text(update, "cap:info/cap:severity") == "Extreme"

    venue.clock.advance(60)
    with venue.srv.client(Role.OPERATOR) as op:
        assert op.post("/api/v1/alarms/1/resolve", json={"disposition": "handled"}).status_code == 200
        venue.settle()
        cancel = valid(op.get("/api/v1/alarms/1/cap").content)
    assert text(cancel, "cap:msgType") == "Cancel"
    assert text(cancel, "cap:references").split() == [
        f"{SENDER},{alert_id},2026-07-02T13:46:40+00:00",
        f"{SENDER},{update_id},2026-07-02T13:47:40+00:00",
    ]
    assert (text(cancel, "cap:note"), text(cancel, "cap:info/cap:urgency")) == (
        "alarm resolved (handled)",
        "Past",
    )
    assert text(cancel, "cap:info/cap:responseType") == "AllClear"

    thread = venue.stored(1)
    assert [m for _, m, _ in thread] == ["Alert", "Update", "Cancel"]
    for _, _, xml in thread + venue.stored(2):
        valid(xml)
    [(_, _, restricted)] = venue.stored(2)
    assert (text(valid(restricted), "cap:scope"), text(valid(restricted), "cap:info/cap:urgency")) == (
        "Restricted",
        "Expected",
    )


def test_the_atom_feed_lists_public_alarms_only_and_links_to_public_messages(venue: Venue) -> None:
    venue.post(
        hot(1), {"id": "d1", "source": "cam-1", "type": "crowd.density", "zone": "main-stage", "value": 4.0}
    )
    [(public_id, _, public_xml)], [(restricted_id, _, _)] = venue.stored(1), venue.stored(2)
    with httpx.Client(base_url=venue.srv.url, timeout=20) as anyone:  # no credentials
        r = anyone.get("/feeds/cap.atom")
        assert (r.status_code, r.headers["content-type"]) == (200, "application/atom+xml")
        feed = ET.fromstring(r.content)
        entries = feed.findall("atom:entry", NS)
        assert [text(e, "atom:id") for e in entries] == [f"urn:fairwatch:cap:{public_id}"]
        [entry] = entries
        assert text(entry, "atom:title") == "Alert: High temperature in Food Court"
        link = entry.find("atom:link", NS)
        assert link is not None and link.get("type") == "application/cap+xml"
        assert link.get("href") == f"{venue.srv.url}/feeds/cap/{public_id}.xml"
        self_link = feed.find("atom:link[@rel='self']", NS)
        assert self_link is not None and self_link.get("href") == f"{venue.srv.url}/feeds/cap.atom"
        message = anyone.get(link.get("href", ""))
        assert (message.status_code, message.text) == (200, public_xml)
        hidden = anyone.get(f"/feeds/cap/{restricted_id}.xml")
        assert (hidden.status_code, hidden.json()["message"]) == (
            404,
            f"no public CAP message {restricted_id!r}",
        )
        assert anyone.get("/api/v1/alarms/1/cap").status_code == 401


def test_cap_of_an_unknown_alarm_is_404(venue: Venue) -> None:
    with venue.srv.client(Role.VIEWER) as viewer:
        r = viewer.get("/api/v1/alarms/99/cap")
    assert (r.status_code, r.json()["message"]) == (404, "alarm 99 not found")


# -- the pure mapping ---------------------------------------------------------------------------------------------
def alarm(
    severity: Severity = Severity.HIGH,
    state: AlarmState = AlarmState.OPEN,
    zone: str | None = "food-court",
    active: bool = True,
    type_: str = "fire.smoke",
) -> Alarm:
    return Alarm(
        3, "k", "hot", type_, severity, state, active, "riverside", zone, {}, 2, T0, T0 + 5, updated=T0 + 5
    )


def message(msg_type: str, severity: str = "high", zone: str | None = "food-court") -> CapMessage:
    return CapMessage(f"id-{msg_type}", 3, 1, msg_type, T0, severity, "riverside", zone, True, "<alert/>")


# (case id, messages so far, alarm now, message to issue)
NEXT = [
    ("new-alarm", [], alarm(), "Alert"),
    ("resolved-before-any-message", [], alarm(state=AlarmState.RESOLVED), None),
    ("nothing-changed", [message("Alert")], alarm(), None),
    ("acknowledged-is-no-news", [message("Alert")], alarm(state=AlarmState.ACKNOWLEDGED), None),
    ("cleared-is-no-news", [message("Alert")], alarm(active=False), None),
    ("severity-changed", [message("Alert")], alarm(Severity.CRITICAL), "Update"),
    ("zone-changed", [message("Alert")], alarm(zone="main-stage"), "Update"),
    (
        "resolved",
        [message("Alert"), message("Update", "critical")],
        alarm(state=AlarmState.RESOLVED),
        "Cancel",
    ),
    ("still-resolved", [message("Alert"), message("Cancel")], alarm(state=AlarmState.RESOLVED), None),
    ("reopened", [message("Alert"), message("Cancel")], alarm(), "Alert"),
]


@pytest.mark.parametrize(("previous", "now", "expected"), [c[1:] for c in NEXT], ids=[c[0] for c in NEXT])
def test_which_message_a_state_calls_for(
    previous: list[CapMessage], now: Alarm, expected: str | None
) -> None:
    assert cap.next_message(previous, now) == expected


@cache
def site(georef: bool = True) -> Site:
    return parse_site(
        SITE if georef else SITE.replace("  georef: {lat: 51.5010, lon: -0.1200}\n", ""), "site.yaml"
    )


# Food Court's corners by the site's projection; a plain sphere agrees within 2 m (checked below).
FOOD_COURT = ((51.502798, -0.115824), (51.502798, -0.114239), (51.503696, -0.114239), (51.503696, -0.115824))

# (case id, alarm zone, site, reported point, area description, polygon corners (before closing), circle)
AREAS: list[tuple[str, str | None, Site | None, Any, str | None, Any, Any]] = [
    ("zone-polygon", "food-court", site(), None, "Food Court", FOOD_COURT, None),
    ("zone-wins-over-point", "food-court", site(), (51.0, 0.0), "Food Court", FOOD_COURT, None),
    ("unknown-zone-point", "car-park", site(), (51.5, -0.12), "car-park", (), (51.5, -0.12, 0.1)),
    ("no-georef-point", "food-court", site(False), (51.5, -0.12), "Food Court", (), (51.5, -0.12, 0.1)),
    ("no-georef-no-point", "food-court", site(False), None, "Food Court", (), None),
    ("no-site-no-zone-no-point", None, None, None, None, (), None),
    ("no-site-point", None, None, (51.5, -0.12), "reported location", (), (51.5, -0.12, 0.1)),
]


@pytest.mark.parametrize(
    ("zone", "venue_site", "point", "desc", "corners", "circle"),
    [c[1:] for c in AREAS],
    ids=[c[0] for c in AREAS],
)
def test_area_from_zone_polygon_or_point(
    zone: str | None, venue_site: Site | None, point: Any, desc: str | None, corners: Any, circle: Any
) -> None:
    area = area_for(alarm(zone=zone), venue_site, point)
    if desc is None:
        assert area is None
        return
    assert area is not None and (area.desc, area.circle) == (desc, circle)
    assert [(round(a, 6), round(b, 6)) for a, b in area.polygon] == (
        [*corners, corners[0]] if corners else []
    )


def test_food_court_corners_agree_with_a_plain_sphere() -> None:
    radius, lat0 = 6_371_008.8, math.radians(51.501)
    for (lat, lon), (x, y) in zip(FOOD_COURT, [(290, 200), (400, 200), (400, 300), (290, 300)], strict=True):
        assert abs(lat - (51.501 + math.degrees(y / radius))) * 111_200 < 2.0
        assert (
            abs(lon - (-0.12 + math.degrees(x / (radius * math.cos(lat0))))) * 111_200 * math.cos(lat0) < 2.0
        )


# (case id, alarm, msgType, area) — every variant must be schema-valid
BUILDS = [
    ("alert-polygon", alarm(), "Alert", cap.Area("Food Court", polygon=(*FOOD_COURT, FOOD_COURT[0]))),
    ("update-circle", alarm(Severity.CRITICAL), "Update", cap.Area("car-park", circle=(51.5, -0.12, 0.1))),
    ("cancel-no-area", alarm(state=AlarmState.RESOLVED), "Cancel", None),
    ("info-severity-desc-only", alarm(Severity.INFO, zone=None), "Alert", cap.Area("Riverside Festival")),
    ("unknown-hazard", alarm(type_="other_safety.mystery"), "Alert", None),
]


@pytest.mark.parametrize(("subject", "msg_type", "area"), [c[1:] for c in BUILDS], ids=[c[0] for c in BUILDS])
def test_built_messages_are_schema_valid(subject: Alarm, msg_type: str, area: cap.Area | None) -> None:
    subject = replace(
        subject, disposition=Disposition.HANDLED if subject.state is AlarmState.RESOLVED else None
    )
    facts = cap.Facts(
        subject, cap.category_for(subject.type), cap.event_name(subject.type), "correlated", area
    )
    refs = (message("Alert"),) if msg_type != "Alert" else ()
    env = cap.Envelope(
        "fairwatch-ab12cd34-alarm-3-v2", SENDER, T0 + 0.9, msg_type, refs, public=False, note="n"
    )
    root = valid(cap.build(facts, env))
    assert (text(root, "cap:sent"), text(root, "cap:info/cap:certainty")) == (
        "2026-07-02T13:46:40+00:00",
        "Likely",
    )
    assert text(root, "cap:restriction") == "control room staff of this Fairwatch deployment"


# (case id, alarm type, CAP category when the taxonomy does not know the type, event name)
NAMES = [
    ("fire", "fire.high_temperature", "Fire", "Fire: high temperature"),
    ("crowd", "crowd_safety.crush_risk", "Safety", "Crowd safety: crush risk"),
    ("hazmat", "hazardous_material.gas_leak", "CBRNE", "Hazardous material: gas leak"),
    ("missing-person", "missing_person.lost_child", "Rescue", "Missing person: lost child"),
    ("unknown-class", "mystery.thing", "Other", "Mystery: thing"),
]


@pytest.mark.parametrize(("type_", "category", "event"), [c[1:] for c in NAMES], ids=[c[0] for c in NAMES])
def test_fallback_category_and_event_name(type_: str, category: str, event: str) -> None:
    assert (cap.category_for(type_), cap.event_name(type_)) == (category, event)


def test_cap_time_has_seconds_and_an_explicit_offset() -> None:
    assert cap.cap_time(T0 + 0.999) == "2026-07-02T13:46:40+00:00"


DOC = Path(__file__).resolve().parents[2] / "docs" / "cap.md"


def doc_table(heading: str) -> dict[str, str]:
    """First two columns of the first table under `heading` in docs/cap.md."""
    text = DOC.read_text()
    lines = text[text.index(heading) :].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return {row[0]: row[-1] for row in rows}


def test_the_documented_mapping_tables_are_the_code() -> None:
    assert doc_table("### Severity") == {s.value: v for s, v in cap.CAP_SEVERITY.items()}
    assert doc_table("### Urgency") == {s.value: v for s, v in cap.CAP_URGENCY.items()}
    certainty = doc_table("### Certainty")
    assert certainty.pop("none recorded") == "Unknown"
    assert certainty == cap.CAP_CERTAINTY
    categories = doc_table("### Category by hazard class")
    assert categories.pop("anything else") == "Other"
    assert categories == cap.CATEGORY_BY_HAZARD
