"""The incident pages in real headless Chromium against a real server: the live incident stack, an incident made
from two alarms, the quick log that keeps the keyboard, decisions that need a reason, M/ETHANE, corrections, tasks
of the action card, state actions, the print view and the site-wide log. Screenshots go to build/screenshots/."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.browser.conftest import SITE, add_user, new_page, sign_in
from tests.browser.test_console import shot
from tests.harness import Server

pytestmark = pytest.mark.browser

RULES = """
rules:
  - id: crush
    alarm: crowd_safety.crush_risk
    severity: critical
    when: {type: crowd.density, value: {gt: 4.0}}
    group_by: [zone]
"""
CARDS = Path(__file__).parents[2] / "src" / "fairwatch" / "sim" / "demo" / "riverside.cards.yaml"
T0 = 1_783_000_000.0  # 2026-07-02T13:46:40Z, 14:46:40 at the Riverside site (Europe/London)
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, clock: FakeClock) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("incidents") / "data"
    with Server(data, RULES, clock, site=SITE, cards=CARDS) as s:
        add_user(s, "olga", Role.OPERATOR)
        add_user(s, "sam", Role.SUPERVISOR)
        add_user(s, "vic", Role.VIEWER)
        yield s


@pytest.fixture(scope="module")
def op(srv: Server) -> Iterator[httpx.Client]:
    with srv.client(Role.OPERATOR) as c:
        yield c


@pytest.fixture(autouse=True)
def minutes_pass(clock: FakeClock) -> None:
    """Some minutes of (fake) time between tests, so incidents have different ages as on a real shift."""
    clock.advance(4 * 60)


def raise_alarm(op: httpx.Client, zone: str) -> int:
    """A crush-risk alarm in `zone` raised through ingest; its id."""
    event = {
        "id": f"inc-e{next(_ids)}",
        "source": f"{zone}-counter",
        "type": "crowd.density",
        "zone": zone,
        "value": 4.8,
    }
    assert op.post("/api/v1/events", json=event).status_code == 202
    for a in op.get("/api/v1/alarms", params={"zone": zone}).json()["alarms"]:
        if a["state"] != "resolved":
            return int(a["id"])
    raise AssertionError(f"no alarm in {zone}")


def open_incident(op: httpx.Client, **body: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": "Crush risk at the main stage barrier",
        "type": "crowd_safety.crush_risk",
    }
    r = op.post("/api/v1/incidents", json={**base, **body})
    assert r.status_code == 201, r.text
    out: dict[str, Any] = r.json()
    return out


def stored_log(op: httpx.Client, incident_id: int) -> list[dict[str, Any]]:
    """The incident's own entries (not the alarms' history), as the API returns them."""
    log = op.get(f"/api/v1/incidents/{incident_id}").json()["log"]
    return [e for e in log if e["source"] == "log"]


@pytest.fixture(scope="module")
def incident(op: httpx.Client) -> dict[str, Any]:
    """An incident made from two alarms, as the queue's `i` key makes one (through the API)."""
    alarms = [raise_alarm(op, "main-stage"), raise_alarm(op, "second-stage")]
    made = open_incident(op, alarms=alarms, zone="main-stage", severity="critical")
    assert op.patch(f"/api/v1/incidents/{made['id']}", json={"owner": "olga"}).status_code == 200
    return made


def test_an_incident_made_from_two_alarms_shows_them_its_tasks_and_its_timeline(
    page: Page, incident: dict[str, Any]
) -> None:
    sign_in(page, "olga", path=f"/incidents/{incident['id']}")
    expect(page.get_by_role("heading", name=re.compile(incident["number"]))).to_be_visible()
    alarms = page.locator("#alarms tr")
    expect(alarms).to_have_count(2)
    for alarm_id in [a["id"] for a in incident["alarms"]]:
        expect(page.locator(f'#alarms a[href="/alarms/{alarm_id}"]')).to_have_count(1)
        expect(page.locator("#timeline")).to_contain_text(f"alarm {alarm_id} merged")
    expect(page.locator("#tasks li")).to_have_count(4)  # the Riverside card of crowd_safety.crush_risk
    expect(page.locator("#tasks li").first).to_contain_text("Hold inflow at the gates")
    expect(page.locator("#card-name")).to_have_text("Action card: Crowd safety · crush risk")
    expect(page.locator("#facts")).to_contain_text("Main Stage")
    expect(page.locator("#i-state")).to_have_text("Open")


def test_radio_traffic_is_logged_with_enter_and_the_cursor_stays_in_the_box(
    page: Page, op: httpx.Client, incident: dict[str, Any]
) -> None:
    sign_in(page, "olga", path=f"/incidents/{incident['id']}")
    expect(page.locator("#live")).to_have_text("Live")
    page.keyboard.press("l")
    box = page.get_by_label("What was heard or done")
    expect(box).to_be_focused()
    messages = ["Steward 4 to control: crowd pushing at barrier 2", "Control to steward 4: hold the gate"]
    for text in messages:
        page.keyboard.type(text)
        page.keyboard.press("Enter")
        expect(box).to_be_focused()
        expect(box).to_have_value("")
        expect(page.locator("#timeline")).to_contain_text(text)
    radio = [e for e in stored_log(op, incident["id"]) if e["kind"] == "radio"]
    assert [(e["text"], e["author"]) for e in radio][-2:] == [(m, "olga") for m in messages]
    page.locator('input[name="kind"][value="phone"]').check()
    box.fill("Medical tent: two casualties walking wounded")
    box.press("Enter")
    expect(page.locator("#timeline li.kind-phone")).to_contain_text("two casualties")


def test_a_late_entry_needs_its_reason_shown_by_the_field(
    page: Page, op: httpx.Client, incident: dict[str, Any], clock: FakeClock
) -> None:
    sign_in(page, "olga", path=f"/incidents/{incident['id']}")
    earlier = datetime.fromtimestamp(clock.now(), UTC) - timedelta(minutes=12)
    local = earlier.astimezone(ZoneInfo("Europe/London")).strftime("%H:%M:%S")
    page.get_by_label("Happened at").fill(local)
    box = page.get_by_label("What was heard or done")
    box.fill("Gate 3 radio was down: crowd built up at 14:35")
    box.press("Enter")
    refusal = page.locator('#quick-log .field-error[data-for="late_reason"]')
    expect(refusal).to_contain_text("late_reason: is required: occurred_at is 12 minutes before the entry")
    expect(box).to_have_value("Gate 3 radio was down: crowd built up at 14:35")  # nothing typed is lost
    page.get_by_label("Why logged late").fill("radio outage at gate 3")
    box.press("Enter")
    expect(refusal).to_be_hidden()
    entry = [e for e in stored_log(op, incident["id"]) if e.get("late_reason")][-1]
    assert datetime.fromisoformat(entry["occurred_at"]) == earlier.replace(microsecond=0)
    assert entry["late_reason"] == "radio outage at gate 3"


def test_a_decision_without_a_reason_is_refused_and_the_refusal_shown(
    page: Page, op: httpx.Client, incident: dict[str, Any]
) -> None:
    sign_in(page, "olga", path=f"/incidents/{incident['id']}")
    page.keyboard.press("d")
    expect(page.get_by_label("What was decided")).to_be_focused()
    page.keyboard.type("Hold inflow at all gates for 10 minutes")
    page.get_by_role("button", name="Log decision").click()
    expect(page.locator('#decision .field-error[data-for="reason"]')).to_have_text(
        "reason: a decision must give its reason"
    )
    expect(page.locator("#decision [data-role=message]")).to_have_text("invalid log entry")
    assert not [e for e in stored_log(op, incident["id"]) if e["kind"] == "decision"]
    page.get_by_label("Reason (rationale)").fill("Density above 4 persons/m² at the barrier")
    page.get_by_role("button", name="Log decision").click()
    decision = page.locator("#timeline li.kind-decision")
    expect(decision).to_contain_text("Hold inflow at all gates")
    expect(decision).to_contain_text("Reason: Density above 4 persons/m² at the barrier")
    expect(page.locator('#decision .field-error[data-for="reason"]')).to_be_hidden()


def test_methane_report_and_a_correction_that_keeps_both_entries(
    page: Page, op: httpx.Client, incident: dict[str, Any]
) -> None:
    sign_in(page, "olga", path=f"/incidents/{incident['id']}")
    values = {
        "Major incident declared?": "No",
        "Exact location": "Main stage, barrier 2",
        "Type of incident": "Crowd crush risk",
        "Hazards": "Barrier under load",
        "Access": "Service road from the north gate",
        "Number of casualties": "2",
        "Emergency services present and required": "Ambulance on site; police requested",
    }
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Log M/ETHANE").click()
    methane = page.locator("#timeline li.kind-methane")
    expect(methane).to_contain_text("Barrier under load")
    stored = [e for e in stored_log(op, incident["id"]) if e["kind"] == "methane"][-1]
    assert stored["methane"]["exact_location"] == "Main stage, barrier 2"

    wrong = op.post(
        f"/api/v1/incidents/{incident['id']}/log", json={"kind": "note", "text": "Barrier 5 bent"}
    )
    assert wrong.status_code == 201
    wrong_id = wrong.json()["id"]
    page.get_by_role("button", name=f"Correct entry {wrong_id}").click()  # it arrived live
    expect(page.get_by_label("What is right")).to_be_focused()
    expect(page.get_by_label("Entry to correct")).to_have_value(str(wrong_id))
    page.keyboard.type("It was barrier 2, not 5")
    page.get_by_role("button", name="Log correction").click()
    correction = page.locator("#timeline li.kind-correction")
    expect(correction).to_contain_text("It was barrier 2, not 5")
    expect(correction).to_contain_text(f"Corrects #{wrong_id}")
    original = page.locator(f"#entry-{wrong_id}")
    expect(original).to_contain_text("Barrier 5 bent")  # both stay visible
    expect(original).to_contain_text("Corrected by #")


def test_tasks_complete_and_skipping_needs_a_reason(
    page: Page, op: httpx.Client, incident: dict[str, Any]
) -> None:
    sign_in(page, "olga", path=f"/incidents/{incident['id']}")
    first, second = "Hold inflow at the gates", "Open relief exits"
    page.get_by_role("button", name=f"Done: {first}").click()
    expect(page.locator("#tasks li", has_text=first).locator(".tstate")).to_have_text("Done")
    page.get_by_role("button", name=f"Skip: {second}").click()
    item = page.locator("#tasks li", has_text=second)
    expect(item.locator(".field-error")).to_have_text("reason: skipping a task needs a reason")
    expect(item.locator(".tstate")).to_have_text("To do")
    page.get_by_label(f"Reason to skip: {second}").fill("Exits already open")
    page.get_by_role("button", name=f"Skip: {second}").click()
    expect(page.locator("#tasks li", has_text=second).locator(".tstate")).to_have_text("Skipped")
    tasks = {t["title"]: t for t in op.get(f"/api/v1/incidents/{incident['id']}").json()["tasks"]}
    assert (tasks[first]["state"], tasks[second]["state"], tasks[second]["reason"]) == (
        "done",
        "skipped",
        "Exits already open",
    )
    page.get_by_label("New task").fill("Brief the stage manager")
    page.get_by_role("button", name="Add task").click()
    expect(page.locator("#tasks li", has_text="Brief the stage manager")).to_have_count(1)
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "incident.png")


def test_the_timeline_reads_by_occurred_or_by_entered_time(
    page: Page, op: httpx.Client, clock: FakeClock
) -> None:
    made = open_incident(op, title="Person collapsed at the food court", type="medical.emergency")
    log = f"/api/v1/incidents/{made['id']}/log"
    assert op.post(log, json={"kind": "radio", "text": "Medic 2 on scene"}).status_code == 201
    earlier = (datetime.fromtimestamp(clock.now(), UTC) - timedelta(minutes=20)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    late = {"kind": "phone", "text": "Stall holder called about a person collapsed", "occurred_at": earlier,
            "late_reason": "phone message passed on late"}  # fmt: skip
    assert op.post(log, json=late).status_code == 201
    sign_in(page, "olga", path=f"/incidents/{made['id']}")
    texts = page.locator("#timeline li .txt")
    expect(texts.first).to_have_text("Stall holder called about a person collapsed")  # happened first
    page.get_by_role("button", name="By time written").click()
    expect(texts.last).to_have_text("Stall holder called about a person collapsed")  # written last
    expect(page.get_by_role("button", name="By time written")).to_have_attribute("aria-pressed", "true")
    assert "order=entered" in page.url
    page.keyboard.press("t")
    expect(texts.first).to_have_text("Stall holder called about a person collapsed")
    assert "order=entered" not in page.url


def test_state_actions_close_with_a_note_and_a_supervisor_reopens(
    page: Page, browser: Browser, srv: Server, op: httpx.Client
) -> None:
    made = open_incident(op, title="Smoke near the food court", type="fire.smoke", zone="food-court")
    sign_in(page, "olga", path=f"/incidents/{made['id']}")
    page.get_by_role("button", name="Hold").click()
    expect(page.locator("#i-state")).to_have_text("On hold")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#i-state")).to_have_text("Open")
    page.get_by_role("button", name="Close incident").click()
    expect(page.locator('#state-panel .field-error[data-for="note"]')).to_have_text("note: is required")
    page.locator("#state-panel").get_by_label("Disposition").select_option("false_alarm")
    page.get_by_label("Closing note").fill("Barbecue smoke, no fire")
    page.get_by_role("button", name="Close incident").click()
    expect(page.locator("#i-state")).to_have_text("Closed")
    expect(page.locator("#facts")).to_contain_text("Barbecue smoke, no fire")
    expect(page.get_by_role("button", name="Reopen")).to_have_count(0)  # operators cannot reopen
    sup = new_page(browser, srv)
    try:
        sign_in(sup, "sam", path=f"/incidents/{made['id']}")
        sup.get_by_label("Reason to reopen").fill("Smoke seen again")
        sup.get_by_role("button", name="Reopen").click()
        expect(sup.locator("#i-state")).to_have_text("Open")
    finally:
        sup.context.close()
    assert op.get(f"/api/v1/incidents/{made['id']}").json()["state"] == "open"


def test_owner_zone_and_lead_agency_are_changed_and_cleared(page: Page, op: httpx.Client) -> None:
    made = open_incident(op, title="Heat casualties at the north gate", type="medical.emergency")
    url = f"/api/v1/incidents/{made['id']}"
    sign_in(page, "olga", path=f"/incidents/{made['id']}")
    page.get_by_text("Change owner, zone, lead agency").click()
    page.get_by_label("Owner").select_option("sam")
    page.get_by_label("Incident zone").select_option("north-gate")
    page.get_by_label("Lead agency").fill("ambulance")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#facts")).to_contain_text("North Gate")
    stored = op.get(url).json()
    assert (stored["owner"], stored["zone"], stored["lead_agency"]) == ("sam", "north-gate", "ambulance")
    page.get_by_label("Owner").select_option("")
    page.get_by_label("Incident zone").select_option("")
    page.get_by_label("Lead agency").fill("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#facts dd").nth(5)).to_have_text("—")  # the zone
    stored = op.get(url).json()
    assert (stored["owner"], stored["zone"], stored["lead_agency"]) == (None, None, None)
    page.get_by_label("Lead agency").fill("Muslim prayer area patrol")  # refused by the rights guard
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator('#edit-facts .field-error[data-for="lead_agency"]')).to_contain_text(
        "refused by the rights guard"
    )
    assert op.get(url).json()["lead_agency"] is None


def test_an_alarm_is_detached_from_the_incident_page(page: Page, op: httpx.Client) -> None:
    alarm = raise_alarm(op, "camping")
    made = open_incident(op, title="Crush risk at camping", alarms=[alarm])
    sign_in(page, "olga", path=f"/incidents/{made['id']}")
    page.get_by_role("button", name=f"Detach alarm {alarm}").click()
    expect(page.locator("#alarms")).to_contain_text("No alarms merged.")
    expect(page.locator("#timeline")).to_contain_text(f"alarm {alarm} detached")
    assert op.get(f"/api/v1/incidents/{made['id']}").json()["alarms"] == []


def test_the_incident_prints_as_a_clean_record(page: Page, incident: dict[str, Any]) -> None:
    sign_in(page, "olga", path=f"/incidents/{incident['id']}")
    expect(page.locator("#timeline li").first).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.locator("#quick-log")).to_be_hidden()
    expect(page.get_by_role("button", name="Log decision")).to_be_hidden()
    expect(page.locator("#timeline")).to_be_visible()
    expect(page.locator("#facts")).to_be_visible()


def test_the_incident_stack_updates_live_and_opens_with_the_keyboard(
    page: Page, op: httpx.Client, incident: dict[str, Any]
) -> None:
    sign_in(page, "olga", path="/incidents")
    expect(page.locator("#live")).to_have_text("Live")
    rows = page.locator("#inc-body tr")
    expect(rows.first).to_be_visible()
    before = rows.count()
    page.evaluate("window.__sameDocument = true")
    made = open_incident(op, title="Medical call at the camping", type="medical.emergency", zone="camping")
    row = page.locator("#inc-body tr", has_text=made["number"])
    expect(row).to_be_visible()
    expect(rows).to_have_count(before + 1)
    expect(row).to_contain_text("Campsite")
    expect(row).to_contain_text("Medical · emergency")
    op.post(f"/api/v1/incidents/{made['id']}/log", json={"kind": "radio", "text": "Medics on scene"})
    expect(row.locator(".last-log")).to_contain_text("Medics on scene")
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    page.get_by_label("State").select_option("closed")
    expect(page.locator("#inc-body tr", has_text=made["number"])).to_have_count(0)
    page.get_by_label("State").select_option("open,on_hold")
    expect(rows).to_have_count(before + 1)
    page.keyboard.press("Escape")  # out of the filter: the keys move through the stack again
    page.keyboard.press("j")
    expect(rows.first).to_be_focused()
    target = rows.first.get_attribute("data-id")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/incidents/{target}$"))


def test_a_new_incident_from_the_form(page: Page) -> None:
    sign_in(page, "olga", path="/incidents")
    page.keyboard.press("n")
    expect(page.get_by_label("Title")).to_be_focused()
    page.keyboard.type("Lightning forecast within 10 km")
    page.get_by_role("button", name="Open incident").click()
    expect(page.locator('#new-incident .field-error[data-for="type"]')).to_contain_text("type: is required")
    page.get_by_label("Type").select_option("weather.lightning")
    page.get_by_label("Severity").select_option("high")
    expect(page.locator('#new-incident .field-error[data-for="type"]')).to_be_hidden()
    page.get_by_label("Zone").select_option("main-stage")
    shot(page, "incidents.png")
    page.get_by_role("button", name="Open incident").click()
    expect(page).to_have_url(re.compile(r"/incidents/\d+$"))
    expect(page.get_by_role("heading", name=re.compile("Lightning forecast"))).to_be_visible()
    expect(page.locator("#tasks li").first).to_contain_text("Warn the stage managers")
    expect(page.locator("#i-prio")).to_have_text("P2")


def test_the_site_log_takes_quick_entries(page: Page, op: httpx.Client) -> None:
    sign_in(page, "olga", path="/log")
    page.keyboard.press("l")
    box = page.get_by_label("What was heard or done")
    expect(box).to_be_focused()
    page.keyboard.type("Shift change: team B on the radio net")
    page.keyboard.press("Enter")
    expect(box).to_be_focused()
    expect(page.locator("#timeline")).to_contain_text("Shift change: team B on the radio net")
    stored = op.get("/api/v1/log").json()["log"]
    assert [(e["kind"], e["text"], e["incident_id"]) for e in stored][-1] == (
        "radio",
        "Shift change: team B on the radio net",
        None,
    )
    page.evaluate("window.__sameDocument = true")
    posted = op.post("/api/v1/log", json={"kind": "phone", "text": "Police liaison: road closure at 22:00"})
    assert posted.status_code == 201
    expect(page.locator("#timeline li.kind-phone")).to_contain_text("road closure at 22:00")  # live
    assert page.evaluate("window.__sameDocument") is True
    shot(page, "sitelog.png")


def test_a_viewer_reads_an_incident_but_gets_no_forms(page: Page, incident: dict[str, Any]) -> None:
    sign_in(page, "vic", path=f"/incidents/{incident['id']}")
    expect(page.locator("#timeline li").first).to_be_visible()
    for form in ("#quick-log", "#decision", "#methane", "#correction", "#add-task", "#merge-alarms"):
        expect(page.locator(form)).to_have_count(0)
    expect(page.locator("#tasks button")).to_have_count(0)


def test_an_unknown_incident_is_a_404_page(page: Page) -> None:
    sign_in(page, "olga", path="/incidents")
    response = page.goto("/incidents/999999")
    assert response is not None and response.status == 404
    expect(page.locator("main")).to_contain_text("incident 999999 not found")


@pytest.mark.parametrize(
    ("width", "height"),
    [(1366, 768), (1024, 768), (768, 1024)],
    ids=["control-room", "tablet-landscape", "tablet"],
)
def test_incident_pages_fit_the_screen_without_sideways_scrolling(
    page: Page, incident: dict[str, Any], width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    sign_in(page, "olga", path="/incidents")
    expect(page.locator("#inc-body tr").first).to_be_visible()
    fits = "() => document.documentElement.scrollWidth <= innerWidth"
    assert page.evaluate(fits)
    for path in (f"/incidents/{incident['id']}", "/log"):
        page.goto(path)
        expect(page.locator("#timeline li").first).to_be_visible()
        assert page.evaluate(fits), path


def test_titles_and_log_text_are_shown_as_text_never_as_html(page: Page, op: httpx.Client) -> None:
    markup = '<img src="x" onerror="window.__xss = 1">'
    made = open_incident(op, title=f"Smoke {markup}", type="fire.smoke")
    log = f"/api/v1/incidents/{made['id']}/log"
    assert op.post(log, json={"kind": "note", "text": f"Seen {markup}"}).status_code == 201
    sign_in(page, "olga", path=f"/incidents/{made['id']}")
    expect(page.locator("#timeline")).to_contain_text(f"Seen {markup}")
    expect(page.locator("#inc-title")).to_contain_text(markup)
    page.goto("/incidents")
    expect(page.locator("#inc-body tr", has_text=made["number"])).to_contain_text(markup)
    assert page.locator("main img").count() == 0
    assert page.evaluate("window.__xss") is None
