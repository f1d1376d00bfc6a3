"""The period a report covers, read from the request or the command line; every problem names its parameter."""

from __future__ import annotations

from dataclasses import dataclass

from fairwatch.errors import InvalidInput, Problem
from fairwatch.events.validate import parse_time
from fairwatch.policy import check_name

MAX_DAYS = 31  # a report over more than a month of alarms is a different tool (replay --json, the audit log)


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in Unix seconds, and the site it is limited to (None: every site)."""

    start: float
    end: float
    site: str | None = None


def parse_period(start: str | None, end: str | None, site: str | None = None) -> Period:
    """The period `from`..`to` (RFC 3339 with a zone), `from` before `to`, at most MAX_DAYS long; InvalidInput
    naming `from`, `to` or `site` and the bad value otherwise."""
    problems: list[Problem] = []
    begin = _time("from", start, problems)
    until = _time("to", end, problems)
    if begin is not None and until is not None:
        if until <= begin:
            problems.append(Problem("from", start, f"must be before to ({end})"))
        elif until - begin > MAX_DAYS * 86_400:
            problems.append(Problem("to", end, f"must be at most {MAX_DAYS} days after from ({start})"))
    if site is not None:
        refused = check_name(site) if len(site) <= 128 else None
        if not site or len(site) > 128 or refused is not None:
            why = refused.reason if refused is not None else "must be a site id of 1 to 128 characters"
            problems.append(Problem("site", site, why))
    if problems:
        raise InvalidInput(problems, "invalid report period")
    assert begin is not None and until is not None
    return Period(begin, until, site)


def _time(name: str, text: str | None, problems: list[Problem]) -> float | None:
    if text is None or text == "":
        problems.append(
            Problem(name, text, "required: an RFC 3339 time with a zone, e.g. 2026-07-04T18:00:00Z")
        )
        return None
    when = parse_time(text)
    if when is None:
        problems.append(
            Problem(name, text, "must be an RFC 3339 time with a zone, e.g. 2026-07-04T18:00:00Z")
        )
    return when
