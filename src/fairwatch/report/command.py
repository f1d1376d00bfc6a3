"""What `fairwatch report` does, so that cli.py only parses arguments: read the store, write the file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fairwatch import config
from fairwatch.errors import ConfigError, InvalidInput
from fairwatch.replay import open_store
from fairwatch.report.facts import gather
from fairwatch.report.figures import build
from fairwatch.report.period import parse_period
from fairwatch.report.render import render_html, render_pdf
from fairwatch.settings import Settings


def report_command(
    settings: Settings, *, start: str, end: str, site: str | None, out: Path, pdf: bool
) -> str:
    """Write the report of [start, end) to `out` (HTML, or PDF with `pdf`); the line to print. Bad options,
    files or a missing PDF library raise ConfigError with messages naming them."""
    try:
        period = parse_period(start, end, site)
    except InvalidInput as exc:
        raise ConfigError([_option(str(p)) for p in exc.problems]) from None
    # The taxonomy gives the hazard classes; rules, phases, notification routes and cards are not read here.
    taxonomy = config.load(replace(settings, rules=None, phases=None, notify=None, cards=None)).taxonomy
    store = open_store(settings.data, settings.database_url)
    try:
        report = build(gather(store, period), taxonomy)
    finally:
        store.close()
    html = render_html(report)
    body = render_pdf(html) if pdf else html.encode()
    try:
        out.write_bytes(body)
    except OSError as exc:
        raise ConfigError([f"--out: cannot write {out}: {exc.strerror or exc}"]) from None
    what = "PDF" if pdf else "HTML"
    return (
        f"wrote {out} ({what}, {len(body):,} bytes): {report.load.alarms} alarm activations, "
        f"{len(report.incidents)} incidents"
    )


def _option(problem: str) -> str:
    """`from: ...` as the command line names it: `--from: ...`."""
    return "--" + problem
