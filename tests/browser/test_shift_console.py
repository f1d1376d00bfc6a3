"""The console for a ten-hour shift, in real headless Chromium against a real server: a sound per severity that
repeats until the alarm is acknowledged (a pressed panic button always sounds), the "click to enable sound" prompt,
muting for a few minutes, desktop notifications while the tab is hidden, unacknowledged before acknowledged,
escalation levels, operators acknowledging several alarms at once, `i` opening an incident, the rule's
description and action card on the alarm page, time zones on every time, and a handover that prints legibly.

The page's timers run on Playwright's fake clock (`page.clock`): a repeat is a fast-forward, not a wait. The
sound script counts what it played on `window.fwSound`; the browser's audio itself is not observable headless."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from fairwatch.clock import FakeClock
from fairwatch.model import Role
from tests.browser.conftest import IMG, SITE, VIEWPORT, add_user, sign_in
from tests.harness import Server

pytestmark = pytest.mark.browser

RULES = """
rules:
  - id: crush
    alarm: crowd_safety.crush_risk
    severity: critical
    description: Density above 4 persons/m² in front of a stage; hold inflow before it becomes a crush.
    when: {type: crowd.density, value: {gt: 4.0}}
    group_by: [source]
  - id: fire
    alarm: fire.suspected
    severity: critical
    description: A smoke detector went off.
    when: {type: smoke.detected}
    group_by: [source]
  - id: panic
    alarm: violence.panic_alarm
    severity: high
    description: A staff panic button was pressed.
    when: {type: panic.pressed}
    group_by: [source]
  - id: heat
    alarm: weather.heat
    severity: medium
    when: {type: temperature, value: {gte: 35}}
    group_by: [source]
"""

NOTIFY = """
receivers:
  - {name: duty, webhook: {url: "http://127.0.0.1:9/duty"}}
escalations:
  - name: fire-duty
    levels:
      - {after: 5m, receivers: [duty]}
      - {after: 15m, receivers: [duty]}
routes:
  - {type: fire.*, escalation: fire-duty}
"""

CARDS = SITE.parent / "riverside.cards.yaml"
T0 = 1_783_000_000.0  # 2026-07-02, British Summer Time at the Riverside site
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory, clock: FakeClock) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("shift")
    notify = tmp / "notify.yaml"
    notify.write_text(NOTIFY)
    with Server(tmp / "data", RULES, clock, site=SITE, cards=CARDS, notify=notify, notify_interval=0) as s:
        add_user(s, "olga", Role.OPERATOR)
        add_user(s, "sam", Role.SUPERVISOR)
        yield s


@pytest.fixture
def quiet(admin: httpx.Client) -> None:
    """No active alarm from another test: what sounds is this test's alone."""
    for a in admin.get("/api/v1/alarms", params={"state": "open,acknowledged", "limit": 500}).json()[
        "alarms"
    ]:
        r = admin.post(f"/api/v1/alarms/{a['id']}/resolve", json={"disposition": "test"})
        assert r.status_code == 200, r.text


@pytest.fixture
def page(browser: Browser, srv: Server, clock: FakeClock) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, base_url=srv.url, reduced_motion="reduce")
    context.set_default_timeout(5000)
    p = context.new_page()
    # The page's timers on a clock the test moves (time still flows by itself), starting at the server's time.
    p.clock.install(time=datetime.fromtimestamp(clock.now(), UTC))
    yield p
    context.close()


def send(device: httpx.Client, source: str, type_: str, zone: str, value: float | None = None) -> None:
    """Post one event (accepted and committed when this returns)."""
    event: dict[str, Any] = {"id": f"s{next(_ids)}", "source": source, "type": type_, "zone": zone}
    if value is not None:
        event["value"] = value
    r = device.post("/api/v1/events", json=event)
    assert r.status_code == 202, r.text


def alarm_of(admin: httpx.Client, source: str) -> dict[str, Any]:
    for a in admin.get("/api/v1/alarms", params={"state": "open,acknowledged", "limit": 500}).json()[
        "alarms"
    ]:
        if source in a["sources"]:
            return dict(a)
    raise AssertionError(f"no active alarm from {source}")


def plays(page: Page, severity: str | None = None) -> int:
    if severity is None:
        return int(page.evaluate("window.fwSound.counter.plays"))
    return int(page.evaluate(f"window.fwSound.counter.bySeverity[{severity!r}] || 0"))


def enable_sound(page: Page) -> None:
    """Load the page afresh, as an operator's screen after a restart (the sign-in click no longer counts), and
    click the prompt."""
    page.reload()
    prompt = page.locator("#sound-prompt")
    expect(prompt).to_be_visible()
    assert page.evaluate("window.fwSound.state") == "suspended"
    page.get_by_role("button", name="Click to enable sound").click()
    expect(prompt).to_be_hidden()
    assert page.evaluate("window.fwSound.state") == "running"


def row(page: Page, alarm_id: int) -> Any:
    return page.locator(f'#queue-body tr[data-alarm-id="{alarm_id}"]')


# -- sound ------------------------------------------------------------------------------------------------------
@pytest.mark.usefixtures("quiet")
def test_a_panic_press_sounds_and_repeats_until_acknowledged(
    page: Page, device: httpx.Client, admin: httpx.Client
) -> None:
    sign_in(page, "olga")
    enable_sound(page)
    send(device, "food-court-panic", "panic.pressed", "food-court")
    panic = alarm_of(admin, "food-court-panic")
    assert panic["severity"] == "high"  # the demo's panic alarm is high, and high sounds by default
    expect(row(page, panic["id"])).to_have_attribute("data-state", "open")
    page.wait_for_function("() => (window.fwSound.counter.bySeverity.high || 0) >= 1")
    first = plays(page, "high")
    for n in (1, 2):  # it comes back every 10 seconds while nobody acknowledges it
        page.clock.fast_forward(10_500)
        page.wait_for_function(f"() => window.fwSound.counter.bySeverity.high >= {first + n}")
    row(page, panic["id"]).get_by_role("button", name=f"Acknowledge alarm {panic['id']}").click()
    expect(row(page, panic["id"])).to_have_attribute("data-state", "acknowledged")
    after = plays(page)
    for _ in range(3):
        page.clock.fast_forward(10_500)
    page.wait_for_timeout(300)
    assert plays(page) == after  # acknowledged: silent
    assert page.evaluate("window.fwSound.sounding") is None


@pytest.mark.usefixtures("quiet")
def test_each_severity_has_its_own_sound_and_medium_is_silent_by_default(
    page: Page, device: httpx.Client, admin: httpx.Client
) -> None:
    sign_in(page, "olga")
    signatures = page.evaluate(
        "Object.values(window.fwSound.patterns).map((p) => JSON.stringify([p.wave, p.notes]))"
    )
    assert len(set(signatures)) == 5  # critical, high, medium, low, info: all different
    enable_sound(page)
    send(device, "heat-probe-1", "temperature", "camping", 38.0)
    heat = alarm_of(admin, "heat-probe-1")
    expect(row(page, heat["id"])).to_have_attribute("data-severity", "medium")
    page.clock.fast_forward(21_000)
    page.wait_for_timeout(300)
    assert plays(page) == 0  # the site sounds critical and high (and panic), not medium
    send(device, "smoke-7", "smoke.detected", "food-court", 3.0)
    page.wait_for_function("() => (window.fwSound.counter.bySeverity.critical || 0) >= 1")
    last = page.evaluate("window.fwSound.counter.last")
    assert last["severity"] == "critical"
    assert last["wave"] != page.evaluate("window.fwSound.patterns.high.wave")


@pytest.mark.usefixtures("quiet")
def test_muting_silences_for_the_sites_minutes_then_sound_returns(
    page: Page, device: httpx.Client, admin: httpx.Client
) -> None:
    sign_in(page, "olga")
    enable_sound(page)
    send(device, "camping-panic", "panic.pressed", "camping")
    page.wait_for_function("() => (window.fwSound.counter.bySeverity.high || 0) >= 1")
    page.keyboard.press("m")
    expect(page.locator("#sound-mute")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#sound-mute")).to_contain_text(re.compile(r"Muted until \d\d:\d\d BST"))
    muted = plays(page)
    for _ in range(3):
        page.clock.fast_forward(10_500)
    page.wait_for_timeout(300)
    assert plays(page) == muted
    page.clock.fast_forward(5 * 60_000)  # mute_minutes: 5 by default
    page.wait_for_function(f"() => window.fwSound.counter.plays > {muted}")
    expect(page.locator("#sound-mute")).to_have_text("Mute 5 min")


@pytest.mark.usefixtures("quiet")
def test_a_fresh_page_asks_for_a_click_before_it_can_sound(page: Page, device: httpx.Client) -> None:
    sign_in(page, "olga", path="/handover")
    enable_sound(page)
    page.reload()  # every fresh load holds audio back again
    prompt = page.locator("#sound-prompt")
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text("Click to enable sound")
    expect(prompt).not_to_have_class(re.compile(r"\burgent\b"))
    send(device, "second-stage-panic", "panic.pressed", "second-stage")
    expect(prompt).to_have_class(re.compile(r"\burgent\b"))  # something should be sounding and cannot
    expect(prompt).to_contain_text("An unacknowledged alarm cannot sound")
    assert plays(page) == 0


@pytest.mark.usefixtures("quiet")
def test_a_desktop_notification_while_the_tab_is_hidden(
    browser: Browser, srv: Server, device: httpx.Client
) -> None:
    context = browser.new_context(
        viewport=VIEWPORT, base_url=srv.url, reduced_motion="reduce", permissions=["notifications"]
    )
    # The outside world, faked: a tab the operator switched away from, and the desktop's notification centre.
    context.add_init_script("""
        window.__hidden = false;
        Object.defineProperty(document, "visibilityState", { get: () => (window.__hidden ? "hidden" : "visible") });
        window.__notes = [];
        const Real = window.Notification;
        window.Notification = class extends Real {
          constructor(title, options) { super(title, options); window.__notes.push({ title, ...options }); }
        };
    """)
    try:
        page = context.new_page()
        sign_in(page, "olga")
        toggle = page.locator("#notify-toggle")
        expect(toggle).to_have_text("Desktop alerts off")
        toggle.click()
        expect(toggle).to_have_text("Desktop alerts on")
        send(device, "main-stage-panic", "panic.pressed", "main-stage")  # visible tab: sound, no notification
        expect(page.locator("#queue-body tr", has_text="Main Stage Arena")).to_have_count(1)
        assert page.evaluate("window.__notes.length") == 0
        page.evaluate("window.__hidden = true")
        send(device, "second-stage-panic", "panic.pressed", "second-stage")
        page.wait_for_function("() => window.__notes.length === 1")
        note = page.evaluate("window.__notes[0]")
        assert note["title"] == "High alarm: Violence · panic alarm"
        assert note["body"].startswith("Second Stage · #")
    finally:
        context.close()


# -- the queue ------------------------------------------------------------------------------------------------
@pytest.mark.usefixtures("quiet")
def test_unacknowledged_sorts_before_acknowledged_within_a_severity(
    page: Page, device: httpx.Client, admin: httpx.Client, clock: FakeClock
) -> None:
    send(device, "counter-old", "crowd.density", "main-stage", 4.5)
    old = alarm_of(admin, "counter-old")
    assert admin.post(f"/api/v1/alarms/{old['id']}/ack").status_code == 200
    send(device, "heat-probe-2", "temperature", "camping", 36.0)
    clock.advance(360)  # six minutes later a new critical comes in
    send(device, "counter-new", "crowd.density", "second-stage", 4.8)
    new = alarm_of(admin, "counter-new")
    heat = alarm_of(admin, "heat-probe-2")
    sign_in(page, "olga")
    expect(page.locator("#queue-body tr[data-alarm-id]")).to_have_count(3)
    ids = page.locator("#queue-body tr[data-alarm-id]").evaluate_all(
        "(rows) => rows.map((r) => Number(r.dataset.alarmId))"
    )
    assert ids == [new["id"], old["id"], heat["id"]]
    assert row(page, old["id"]).get_attribute("data-state") == "acknowledged"


@pytest.mark.usefixtures("quiet")
def test_an_operator_acknowledges_several_alarms_at_once(
    page: Page, device: httpx.Client, admin: httpx.Client
) -> None:
    for n in (1, 2, 3):
        send(device, f"bulk-smoke-{n}", "smoke.detected", "car-park", 2.0)
    ids = [alarm_of(admin, f"bulk-smoke-{n}")["id"] for n in (1, 2, 3)]
    sign_in(page, "olga")  # an operator, not a supervisor
    for alarm_id in ids[:2]:
        page.get_by_label(f"Select alarm {alarm_id}").check()
    expect(page.locator("#bulk-count")).to_have_text("2 selected")
    expect(page.get_by_role("button", name="Resolve selected…")).to_have_count(0)  # supervisors only
    page.get_by_role("button", name="Acknowledge selected").click()
    for alarm_id in ids[:2]:
        expect(row(page, alarm_id)).to_have_attribute("data-state", "acknowledged")
    expect(row(page, ids[2])).to_have_attribute("data-state", "open")
    states = {a["id"]: a["state"] for a in (alarm_of(admin, f"bulk-smoke-{n}") for n in (1, 2, 3))}
    assert states == {ids[0]: "acknowledged", ids[1]: "acknowledged", ids[2]: "open"}


@pytest.mark.usefixtures("quiet")
def test_i_opens_an_incident_from_the_selected_alarms(
    page: Page, device: httpx.Client, admin: httpx.Client
) -> None:
    send(device, "inc-counter", "crowd.density", "north-gate", 4.4)
    send(device, "inc-smoke", "smoke.detected", "north-gate", 2.0)
    crush, smoke = alarm_of(admin, "inc-counter"), alarm_of(admin, "inc-smoke")
    sign_in(page, "olga")
    expect(page.locator("#queue-body tr[data-alarm-id]")).to_have_count(2)
    row(page, crush["id"]).click()
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("#bulk-count")).to_have_text("2 selected")
    page.keyboard.press("i")
    page.wait_for_url(re.compile(r"/incidents/\d+$"))
    incident_id = int(page.url.rsplit("/", 1)[1])
    incident = admin.get(f"/api/v1/incidents/{incident_id}").json()
    first = crush if crush["id"] < smoke["id"] else smoke  # both critical: the older one leads the queue
    assert incident["type"] == first["type"]
    assert incident["severity"] == "critical"
    assert incident["zone"] == "north-gate"
    assert incident["title"].endswith(" in North Gate (ingress)")
    assert sorted(a["id"] for a in incident["alarms"]) == sorted([crush["id"], smoke["id"]])


@pytest.mark.usefixtures("quiet")
def test_the_escalation_level_shows_in_the_queue_and_the_detail(
    page: Page, device: httpx.Client, admin: httpx.Client, srv: Server, clock: FakeClock
) -> None:
    send(device, "esc-smoke", "smoke.detected", "medical-tent", 2.5)
    fire = alarm_of(admin, "esc-smoke")
    assert fire["escalation_level"] == 0
    sign_in(page, "olga")
    expect(row(page, fire["id"])).to_have_attribute("data-escalation", "0")
    clock.advance(6 * 60)  # five minutes unacknowledged: level 1 of fire-duty
    assert srv.app is not None and srv.app.notify.escalations is not None
    escalations = srv.app.notify.escalations
    srv.call(escalations.run_due())
    expect(row(page, fire["id"])).to_have_attribute("data-escalation", "1")  # live, from the stream
    expect(row(page, fire["id"]).locator(".esc")).to_have_text("L1")
    assert alarm_of(admin, "esc-smoke")["escalation_level"] == 1
    page.goto(f"/alarms/{fire['id']}")
    expect(page.locator("#a-esc")).to_have_text("Escalation level 1")
    expect(page.locator("#facts")).to_contain_text("level 1")
    clock.advance(10 * 60)
    srv.call(escalations.run_due())
    expect(page.locator("#a-esc")).to_have_text("Escalation level 2")
    assert admin.get(f"/api/v1/alarms/{fire['id']}").json()["escalation_level"] == 2


# -- the alarm page and times ---------------------------------------------------------------------------------
@pytest.mark.usefixtures("quiet")
def test_the_alarm_page_shows_the_rules_description_and_the_action_card(
    page: Page, device: httpx.Client, admin: httpx.Client
) -> None:
    send(device, "main-stage-counter", "crowd.density", "main-stage", 4.9)
    crush = alarm_of(admin, "main-stage-counter")
    sign_in(page, "olga", path=f"/alarms/{crush['id']}")
    guide = page.locator("#guide")
    expect(guide.locator("#g-rule")).to_have_text(
        "Density above 4 persons/m² in front of a stage; hold inflow before it becomes a crush."
    )
    steps = guide.locator("#g-steps li")
    expect(steps).to_have_count(4)
    expect(steps.first).to_have_text("Hold inflow at the gates")
    expect(guide.locator("#g-no-card")).to_be_hidden()
    IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMG / "alarm-card.png"))


@pytest.mark.usefixtures("quiet")
def test_every_shown_time_carries_the_time_zone(
    page: Page, device: httpx.Client, admin: httpx.Client
) -> None:
    send(device, "tz-smoke", "smoke.detected", "camping", 2.0)
    fire = alarm_of(admin, "tz-smoke")
    sign_in(page, "olga")
    expect(row(page, fire["id"]).locator("time.since")).to_have_text(re.compile(r"^\d\d:\d\d BST$"))
    page.goto(f"/alarms/{fire['id']}")
    expect(page.locator("#a-sub")).to_contain_text(re.compile(r"first seen \d\d:\d\d:\d\d BST"))
    expect(page.locator("#history time").first).to_have_text(re.compile(r"\d\d:\d\d:\d\d BST$"))
    expect(page.locator("#events td").first).to_have_text(re.compile(r"\d\d:\d\d:\d\d BST$"))
    page.goto("/handover")
    changes = page.locator("section[aria-labelledby=changes-title] td.num")
    expect(changes.first).to_have_text(re.compile(r"^\d\d:\d\d BST$"))


def test_the_printed_handover_is_legible(page: Page) -> None:
    sign_in(page, "olga", path="/handover")
    page.get_by_label("Handover note").fill("Gate 3 barrier bent; stewards told. Check at 06:00.")
    page.get_by_role("button", name="Add note").click()
    note = page.locator(".timeline .txt", has_text="Gate 3 barrier bent").first
    expect(note).to_be_visible()
    page.emulate_media(media="print")
    colours = note.evaluate("""(n) => {
        const li = n.closest("li");
        return [...li.querySelectorAll("*")].filter((e) => e.childNodes.length && [...e.childNodes].some(
            (c) => c.nodeType === 3 && c.textContent.trim())).map((e) => getComputedStyle(e).color);
    }""")
    assert colours
    for colour in colours:
        r, g, b = (int(v) for v in re.findall(r"\d+", colour)[:3])
        assert max(r, g, b) <= 0x33, f"{colour} is too pale to read on paper"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") in ("rgb(255, 255, 255)",)


@pytest.mark.usefixtures("quiet")
def test_the_handover_page_sounds_too(page: Page, device: httpx.Client) -> None:
    sign_in(page, "olga", path="/handover")
    enable_sound(page)
    send(device, "car-park-panic", "panic.pressed", "car-park")
    page.wait_for_function("() => (window.fwSound.counter.bySeverity.high || 0) >= 1")


SITE_RULES = """
rules:
  - id: dense
    alarm: crowd_safety.high_density
    severity: high
    when: {type: crowd.density, value: {gt: 3.5}}
    group_by: [source]
  - id: panic
    alarm: violence.panic_alarm
    severity: high
    when: {type: panic.pressed}
    group_by: [source]
"""


def test_a_site_that_sounds_only_criticals_still_sounds_a_panic(browser: Browser, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "riverside-plan.svg").write_bytes((SITE.parent / "riverside-plan.svg").read_bytes())
    (site / "riverside-basemap.png").write_bytes((SITE.parent / "riverside-basemap.png").read_bytes())
    custom = site / "riverside.site.yaml"
    custom.write_text(SITE.read_text() + "\nsound: {severities: [critical], mute_minutes: 10}\n")
    with Server(tmp_path / "data", SITE_RULES, site=custom) as s, s.client(Role.DEVICE) as device:
        add_user(s, "olga", Role.OPERATOR)
        context = browser.new_context(viewport=VIEWPORT, base_url=s.url, reduced_motion="reduce")
        try:
            page = context.new_page()
            page.clock.install()
            sign_in(page, "olga")
            enable_sound(page)
            expect(page.locator("#sound-mute")).to_have_text("Mute 10 min")
            send(device, "north-gate-counter", "crowd.density", "north-gate", 3.9)
            expect(page.locator('#queue-body tr[data-severity="high"]')).to_have_count(1)
            page.clock.fast_forward(10_500)
            page.wait_for_timeout(300)
            assert plays(page) == 0  # a high density alarm is silent at this site
            send(device, "food-court-panic", "panic.pressed", "food-court")
            page.wait_for_function("() => (window.fwSound.counter.bySeverity.high || 0) >= 1")
        finally:
            context.close()
