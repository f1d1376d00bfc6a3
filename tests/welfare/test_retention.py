"""The short retention classes: closed welfare cases (24 h after closing by default, the shortest class) and
scene photos (72 h after upload), purged by the server's hourly job and by `fairwatch purge`, audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fairwatch.audit import verify_chain
from fairwatch.cli import cli
from fairwatch.clock import FakeClock
from fairwatch.model import Role
from fairwatch.welfare.retention import purge_due
from tests.harness import Server
from tests.welfare.conftest import HOUR, T0, open_case
from tests.welfare.test_photos import incident, jpeg_with_gps, upload

runner = CliRunner()


def purge(srv: Server) -> dict[str, object]:
    assert srv.app is not None and srv.app.welfare is not None
    report = srv.call(srv.app.welfare.purge(srv.app.pipeline, "system"))
    return report.details()


def test_closed_cases_go_after_a_day_open_ones_stay(srv: Server, clock: FakeClock) -> None:
    with srv.client(Role.WELFARE) as welfare:
        found = open_case(welfare)
        still_missing = open_case(welfare)
        welfare.post(f"/api/v1/welfare/cases/{found['id']}/found", json={"note": "reunited"})
        clock.advance(24 * HOUR - 1)
        assert purge(srv)["welfare_cases"] == 0
        clock.advance(2)
        details = purge(srv)
        assert (details["welfare_cases"], details["cases_before"]) == (1, T0 + 1)
        assert welfare.get(f"/api/v1/welfare/cases/{found['id']}").status_code == 404
        assert welfare.get(f"/api/v1/welfare/cases/{still_missing['id']}").status_code == 200
    assert srv.app is not None
    records = list(srv.app.store.iter_audit())
    assert records[-1].action == "short-retention-purged" and verify_chain(records).ok
    # the case's own records outlive it: the chain keeps the fact, never the description
    assert [r.action for r in srv.app.store.history(f"welfare:{found['id']}")][:2] == [
        "welfare-case-opened",
        "welfare-case-found",
    ]


def test_photos_go_after_72_hours_rows_and_files(srv: Server, clock: FakeClock) -> None:
    with srv.client(Role.OPERATOR) as op:
        inc = incident(op)
        old = upload(op, inc, jpeg_with_gps()).json()
        clock.advance(HOUR)
        young = upload(op, inc, jpeg_with_gps()).json()
        clock.advance(71 * HOUR + 1)
        assert purge(srv)["photos"] == 1
        assert [p["id"] for p in op.get(f"/api/v1/incidents/{inc}/photos").json()["photos"]] == [young["id"]]
        assert op.get(old["url"]).status_code == 404
        assert sorted(p.name for p in (srv.data / "photos").iterdir()) == [f"{young['id']}.jpg"]


@pytest.mark.parametrize(
    ("last", "now", "due"),
    [(None, T0, True), (T0, T0 + HOUR - 1, False), (T0, T0 + HOUR, True), (T0, T0 - 5, True)],
    ids=["never", "within-the-hour", "an-hour-on", "clock-went-back"],
)
def test_the_server_purges_hourly(last: float | None, now: float, due: bool) -> None:
    assert purge_due(last, now) is due


def test_the_server_job_purges_when_due(srv: Server, clock: FakeClock) -> None:
    assert srv.app is not None and srv.app.welfare is not None
    welfare_ext, pipeline = srv.app.welfare, srv.app.pipeline
    assert srv.call(welfare_ext.maybe_purge(pipeline)) is not None  # never purged: due
    assert srv.call(welfare_ext.maybe_purge(pipeline)) is None
    clock.advance(HOUR)
    assert srv.call(welfare_ext.maybe_purge(pipeline)) is not None


def test_fairwatch_purge_deletes_cases_and_photo_files(tmp_path: Path) -> None:
    past = 1_600_000_000.0  # 2020: older than any retention by the wall clock the CLI reads
    data = tmp_path / "data"
    with (
        Server(data, None, FakeClock(past)) as srv,
        srv.client(Role.WELFARE) as welfare,
        srv.client(Role.OPERATOR) as op,
    ):
        case = open_case(welfare, last_seen_at="2020-09-13T12:20:00Z")
        welfare.post(f"/api/v1/welfare/cases/{case['id']}/found", json={"note": "reunited"})
        open_case(welfare, last_seen_at="2020-09-13T12:20:00Z")
        photo = upload(op, incident(op), jpeg_with_gps()).json()
    assert (data / "photos" / f"{photo['id']}.jpg").exists()
    dry = runner.invoke(cli, ["purge", "--data", str(data), "--dry-run"])
    assert dry.exit_code == 0
    assert dry.stdout.splitlines()[1] == (
        "would purge 1 closed welfare cases older than 24 hours and 1 photos older than 72 hours"
    )
    assert (data / "photos" / f"{photo['id']}.jpg").exists()
    done = runner.invoke(cli, ["purge", "--data", str(data)])
    assert done.stdout.splitlines()[1] == (
        "purged 1 closed welfare cases older than 24 hours and 1 photos older than 72 hours"
    )
    assert not (data / "photos" / f"{photo['id']}.jpg").exists()
    again = runner.invoke(cli, ["purge", "--data", str(data)])
    assert again.stdout.splitlines()[1].startswith("purged 0 closed welfare cases")


def test_retention_hours_are_bounded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FAIRWATCH_WELFARE_RETENTION_HOURS", "100")
    result = runner.invoke(cli, ["purge", "--data", str(tmp_path)])
    assert (result.exit_code, result.stderr) == (
        2,
        "welfare_retention_hours: must be between 1 and 72 hours (got 100)\n",
    )
