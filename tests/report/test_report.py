"""The post-event report of a scripted shift: figures against values computed from the script, the plots, the
document's self-containment and determinism, CLI and API alike, and refusals naming the bad parameter."""

from __future__ import annotations

import math
import os
import re
import statistics
import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from fairwatch.audit import verify_chain
from fairwatch.events.validate import parse_time, rfc3339
from fairwatch.model import Role
from tests.report.conftest import END, START, Shift
from tests.report.reading import ReportReader

PERIOD = {"from": rfc3339(START), "to": rfc3339(END)}
SVG = "{http://www.w3.org/2000/svg}svg"
runner = CliRunner(env={"FAIRWATCH_RULES": None, "FAIRWATCH_TAXONOMY": None, "FAIRWATCH_SITE": None})


def report(client: httpx.Client, **params: str) -> str:
    r = client.get("/api/v1/reports/event", params={**PERIOD, **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def in_period(t: float) -> bool:
    return START <= t < END


def stamp(hour: int) -> str:
    return rfc3339(hour * 3600.0).replace(".000Z", "Z").replace("T", " ")


def test_alarms_per_hour_by_hazard_class_are_those_the_script_raised(shift: Shift, sup: httpx.Client) -> None:
    expected: dict[str, Counter[str]] = {
        stamp(h): Counter() for h in range(int(START) // 3600, int(END) // 3600)
    }
    for t, cls, _zone in shift.activations:
        if in_period(t):
            expected[stamp(math.floor(t / 3600))][cls] += 1
    read = ReportReader(report(sup))
    assert sorted(read.hours) == sorted(expected)
    for hour, counts in expected.items():
        cells = read.hours[hour]
        assert cells.pop("total") == sum(counts.values()), hour
        assert {c: n for c, n in cells.items() if n} == dict(counts), hour
    # The script made the crowd alarm go active twice in the first hour (raised, cleared, active again).
    assert read.hours[stamp(int(START) // 3600)]["crowd_safety"] == 2


def test_time_to_acknowledge_and_to_first_dispatch_are_the_scripts(shift: Shift, sup: httpx.Client) -> None:
    raised = {i: t for i, t in shift.raised.items() if in_period(t)}
    ack_delays = [shift.acked[i] - t for i, t in raised.items() if i in shift.acked]
    dispatch = [
        parse_time(i["first_dispatch_at"]) - parse_time(i["reported_at"])  # type: ignore[operator]
        for i in shift.incidents
        if in_period(parse_time(i["reported_at"]) or 0) and i["first_dispatch_at"]
    ]
    read = ReportReader(report(sup))
    assert float(read.seconds["ack_median"]) == statistics.median(ack_delays)
    assert float(read.seconds["ack_max"]) == max(ack_delays)
    assert int(read.figures["ack_count"]) == len(ack_delays)
    assert int(read.figures["ack_alarms"]) == len(raised)  # one alarm was never acknowledged
    assert len(raised) > len(ack_delays)
    assert float(read.seconds["dispatch_median"]) == statistics.median(dispatch)
    assert int(read.figures["dispatch_count"]) == len(dispatch) == 3


def test_alarm_load_and_top_zones_count_activations_in_the_period(shift: Shift, sup: httpx.Client) -> None:
    acts = [(t, z) for t, _c, z in shift.activations if in_period(t)]
    read = ReportReader(report(sup))
    assert int(read.figures["alarms"]) == len(acts)
    assert float(read.figures["per_hour"]) == round(len(acts) / 3, 1)
    busiest = Counter(math.floor(t / 3600) for t, _ in acts).most_common(1)[0][1]
    assert read.figures["busiest_hour"].startswith(f"{busiest} (")
    zones = Counter(z for _, z in acts)
    top_zone, n = min(zones.items(), key=lambda kv: (-kv[1], kv[0]))
    assert f'<tr><td>{top_zone}</td><td class="n">{n}</td></tr>' in read.html


def test_standing_alarms_are_the_activations_not_ended_in_the_period(shift: Shift, sup: httpx.Client) -> None:
    standing = 0
    for t, cls, zone in shift.activations:
        if not in_period(t):
            continue
        nxt = min((u for u, c, z in shift.activations if (c, z) == (cls, zone) and u > t), default=END)
        ended = any(t < u < min(nxt, END) for u, c, z in shift.ends if (c, z) == (cls, zone))
        standing += not ended
    read = ReportReader(report(sup))
    assert int(read.figures["standing"]) == standing
    assert 0 < standing < len([a for a in shift.activations if in_period(a[0])])


def test_every_incident_of_the_period_with_its_key_times_and_decision_log(
    shift: Shift, sup: httpx.Client
) -> None:
    expected = [i for i in shift.incidents if in_period(parse_time(i["reported_at"]) or 0)]
    html = report(sup)
    read = ReportReader(html)
    assert read.incidents == [i["number"] for i in expected]
    assert len(expected) == 3 and len(shift.incidents) == 5  # one before, one after the period
    for number, text, reason in shift.decisions:
        section = html[html.index(f'id="incident-{number}"') :]
        section = section[: section.index("</article>")]
        assert text in section and reason in section
    assert "correction of entry" in html and "Evacuate the bar tent and the kitchen" in html
    closed = next(i for i in expected if i["closed_at"])
    assert closed["closed_at"].replace("T", " ").replace(".000Z", "Z") in html


def test_plots_are_inline_svg_that_parse_and_the_document_fetches_nothing(sup: httpx.Client) -> None:
    html = report(sup)
    read = ReportReader(html)
    assert len(read.svgs) == 5  # per hour, two distributions, top types, top zones
    assert all(s.tag == SVG for s in read.svgs)
    assert all(s.find(".//{http://www.w3.org/2000/svg}path") is not None for s in read.svgs)
    lowered = html.lower()
    for forbidden in ("<script", "<link", " src=", "@import"):
        assert forbidden not in lowered, forbidden
    assert lowered.count("url(") == lowered.count("url(#")  # references inside the document only
    ids = [i for s in read.svgs for i in _ids(s) if "url(#" + i + ")" in html]
    assert len(ids) == len(set(ids)) > 0  # what the plots refer to is unique across them
    outside = {u for u in _urls(html) if not u.startswith("http://www.w3.org/")}
    assert outside == set()


def _ids(svg: Any) -> list[str]:
    return [e.get("id") for e in svg.iter() if e.get("id")]


def _urls(html: str) -> set[str]:
    found = set()
    for scheme in ("http://", "https://"):
        at = html.find(scheme)
        while at != -1:
            end = min(i for i in (html.find(c, at) for c in "\"' <>") if i != -1)
            found.add(html[at:end])
            at = html.find(scheme, end)
    return found


def test_two_renders_are_the_same_and_the_command_line_writes_the_same_report(
    shift: Shift, sup: httpx.Client, tmp_path: Path
) -> None:
    first, second = report(sup), report(sup)
    assert first == second
    out = tmp_path / "report.html"
    args = ["report", "--from", PERIOD["from"], "--to", PERIOD["to"], "--out", str(out)]
    result = runner.invoke(_cli(), [*args, "--data", str(shift.srv.data)])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output
    assert out.read_text() == first


def test_another_process_with_another_hash_seed_writes_the_same_bytes(
    shift: Shift, sup: httpx.Client, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    args = ["report", "--from", PERIOD["from"], "--to", PERIOD["to"], "--out", str(out)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRWATCH_")} | {
        "PYTHONHASHSEED": "12345"
    }
    run = [sys.executable, "-m", "fairwatch", *args, "--data", str(shift.srv.data)]
    done = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert out.read_text() == report(sup)


def test_pdf_needs_weasyprint_and_says_how_to_install_it(
    shift: Shift, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # the library is not installed: `import` fails
    out = tmp_path / "report.pdf"
    args = ["report", "--from", PERIOD["from"], "--to", PERIOD["to"], "--out", str(out), "--pdf"]
    result = runner.invoke(_cli(), [*args, "--data", str(shift.srv.data)])
    assert result.exit_code == 2
    assert "--pdf needs WeasyPrint" in result.output and "fairwatch[pdf]" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_a_report_writes_nothing_and_the_audit_log_verifies(
    shift: Shift, sup: httpx.Client, tmp_path: Path
) -> None:
    assert shift.srv.app is not None
    store = shift.srv.app.store
    before = store.audit_head()
    report(sup)
    out = tmp_path / "r.html"
    args = ["report", "--from", PERIOD["from"], "--to", PERIOD["to"], "--out", str(out)]
    assert runner.invoke(_cli(), [*args, "--data", str(shift.srv.data)]).exit_code == 0
    assert store.audit_head() == before
    result = verify_chain(store.iter_audit())
    assert result.ok and before is not None and result.checked == before.seq


def test_the_site_filter_keeps_that_sites_alarms_only(shift: Shift, sup: httpx.Client) -> None:
    everything = ReportReader(report(sup))
    riverside = ReportReader(report(sup, site="riverside"))
    elsewhere = ReportReader(report(sup, site="elsewhere"))
    assert riverside.figures["alarms"] == everything.figures["alarms"] != "0"
    assert elsewhere.figures["alarms"] == "0" and elsewhere.incidents == []
    # Incidents belong to the deployment's site ("site" without a site file), the events named riverside.
    assert riverside.incidents == [] and len(ReportReader(report(sup, site="site")).incidents) == 3


@pytest.mark.parametrize(
    ("params", "field", "value"),
    [
        ({"from": None}, "from", None),
        ({"to": "yesterday"}, "to", "yesterday"),
        ({"from": "2026-07-02T14:00:00"}, "from", "2026-07-02T14:00:00"),  # no zone
        ({"from": "2026-07-02T18:00:00Z", "to": "2026-07-02T14:00:00Z"}, "from", "2026-07-02T18:00:00Z"),
        ({"to": "2026-09-02T14:00:00Z"}, "to", "2026-09-02T14:00:00Z"),  # more than 31 days
        ({"site": "bad\u202esite"}, "site", "bad\u202esite"),
    ],
    ids=["missing-from", "bad-to", "no-zone", "from-after-to", "too-long", "deceptive-site"],
)
def test_bad_parameters_are_refused_naming_them(
    sup: httpx.Client, params: dict[str, Any], field: str, value: str | None
) -> None:
    query = {k: v for k, v in {**PERIOD, **params}.items() if v is not None}
    r = sup.get("/api/v1/reports/event", params=query)
    assert r.status_code == 422
    body = r.json()
    assert (body["error"], body["message"]) == ("invalid", "invalid report period")
    assert [(p["field"], p["value"]) for p in body["problems"]] == [(field, value)]
    assert "Traceback" not in r.text


def test_the_command_line_names_the_bad_option_and_exits_2(shift: Shift, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    args = ["report", "--from", PERIOD["to"], "--to", PERIOD["from"], "--out", str(out)]
    result = runner.invoke(_cli(), [*args, "--data", str(shift.srv.data)])
    assert result.exit_code == 2
    assert "--from: must be before to" in result.output
    assert not out.exists()
    missing = runner.invoke(_cli(), [*args[:1], "--from", PERIOD["from"], "--to", PERIOD["to"], "--out", str(out),
                                     "--data", str(tmp_path / "nowhere")])  # fmt: skip
    assert missing.exit_code == 2 and "no Fairwatch store here" in missing.output


def test_only_supervisors_and_admins_read_the_report(shift: Shift) -> None:
    for role, status in ((Role.VIEWER, 403), (Role.OPERATOR, 403), (Role.SUPERVISOR, 200), (Role.ADMIN, 200)):
        with shift.srv.client(role) as c:
            assert c.get("/api/v1/reports/event", params=PERIOD).status_code == status, role
    with shift.srv.client(None) as anonymous:
        assert anonymous.get("/api/v1/reports/event", params=PERIOD).status_code == 401


def test_pdf_from_the_command_line(shift: Shift, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    args = ["report", "--from", PERIOD["from"], "--to", PERIOD["to"], "--out", str(out), "--pdf"]
    result = runner.invoke(_cli(), [*args, "--data", str(shift.srv.data)])
    assert result.exit_code == 0, result.output
    body = out.read_bytes()
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    objects = body + b"".join(_inflate(m) for m in re.findall(rb"stream\r?\n(.*?)endstream", body, re.DOTALL))
    assert len(re.findall(rb"/Type\s*/Page\b", objects)) >= 3  # the report runs over several A4 pages


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error:  # not a deflated stream (fonts, images)
        return b""


def _cli() -> Any:
    from fairwatch.cli import cli

    return cli
