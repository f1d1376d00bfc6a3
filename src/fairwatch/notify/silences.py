"""Silences (maintenance windows, as in Alertmanager): while one is in force, notifications about the alarms its
matchers select are logged with status `silenced` instead of sent. Alarms are still raised, audited and streamed.
When a silence ends, or is deleted, each open alarm it held back is re-notified once (docs/escalation.md).

A silence's end is handled once: `expired_at` is set in the same transaction as its audit record and the
re-notifications, so a restart finishes an end that fell while the server was down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any

from fairwatch import policy
from fairwatch.clock import Clock
from fairwatch.errors import Conflict, InvalidInput, NotFound, Problem
from fairwatch.events.validate import parse_time, rfc3339
from fairwatch.model import Alarm, AuditEntry, Severity
from fairwatch.notify import jobs
from fairwatch.notify.model import NotifyConfig
from fairwatch.notify.pipeline import Writer
from fairwatch.periodic import Periodic
from fairwatch.store import Notification, Silence, SilenceReads, SilenceTxn

log = logging.getLogger(__name__)

MATCHER_KEYS = ("type", "zone", "source", "severity")
BODY_KEYS = ("matchers", "starts_at", "ends_at", "reason")
STATUSES = ("active", "pending", "expired")
MAX_DAYS = 30
MAX_REASON = 1000
MAX_PATTERN = 128
UNSILENCED = "unsilenced"  # the change kind of the one re-notification after a silence ends
ACTOR = "system:silences"
SUMMARY = "invalid silence"
_SEVERITIES = ", ".join(s.value for s in Severity)
_MATCHERS = ", ".join(MATCHER_KEYS)


# -- matching ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Matchers:
    """What a silence selects; an absent matcher selects anything. Globs use `*` and `?`."""

    type: str | None = None
    zone: str | None = None
    source: str | None = None  # matches if any of the alarm's sources matches
    severities: frozenset[Severity] | None = None

    def matches(self, alarm: Alarm) -> bool:
        """True if every matcher given selects `alarm`."""
        if self.severities is not None and alarm.severity not in self.severities:
            return False
        if self.type is not None and not fnmatchcase(alarm.type, self.type):
            return False
        if self.zone is not None and (alarm.zone is None or not fnmatchcase(alarm.zone, self.zone)):
            return False
        return self.source is None or any(fnmatchcase(s, self.source) for s in alarm.sources)


def compile_matchers(raw: dict[str, Any]) -> Matchers:
    """Matchers from their stored (already validated) JSON form."""
    severity = raw.get("severity")
    return Matchers(raw.get("type"), raw.get("zone"), raw.get("source"), _severities(severity))


def _severities(value: Any) -> frozenset[Severity] | None:
    """`high`, `>= high` or a list of names as a set of severities; None if not one of those forms."""
    names = {s.value for s in Severity}
    if isinstance(value, list) and value and all(isinstance(v, str) and v in names for v in value):
        return frozenset(Severity(v) for v in value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text in names:
        return frozenset({Severity(text)})
    least = text.removeprefix(">=").strip()
    if text.startswith(">=") and least in names:
        return frozenset(s for s in Severity if s.rank <= Severity(least).rank)
    return None


def status(silence: Silence, now: float) -> str:
    """`pending` before it starts, `active` while in force, `expired` after it ended or was deleted."""
    if silence.expired_at is not None or now >= silence.ends_at:
        return "expired"
    return "pending" if now < silence.starts_at else "active"


def silence_json(silence: Silence, now: float) -> dict[str, Any]:
    """A silence as the API shows it."""
    return {
        "id": silence.id,
        "matchers": silence.matchers,
        "starts_at": rfc3339(silence.starts_at),
        "ends_at": rfc3339(silence.ends_at),
        "reason": silence.reason,
        "created_by": silence.created_by,
        "created_at": rfc3339(silence.created_at),
        "status": status(silence, now),
        "expired_by": silence.expired_by,
    }


# -- validation ----------------------------------------------------------------------------------------------
def parse_silence(body: Any, creator: str, now: float) -> Silence:
    """A new silence from a request body; InvalidInput lists every problem with its field and value."""
    if not isinstance(body, dict):
        raise InvalidInput([Problem("body", body, "must be a JSON object")], SUMMARY)
    problems: list[Problem] = [
        Problem(k, v, f"unknown field (expected one of {', '.join(BODY_KEYS)})")
        for k, v in body.items()
        if k not in BODY_KEYS
    ]
    matchers = _check_matchers(body.get("matchers"), problems)
    starts = now if body.get("starts_at") is None else _time(body, "starts_at", problems)
    ends = _time(body, "ends_at", problems)
    reason = _reason(body.get("reason"), problems)
    if starts is not None and ends is not None:
        _check_window(starts, ends, body["ends_at"], now, problems)
    if problems or matchers is None or starts is None or ends is None or reason is None:
        raise InvalidInput(problems, SUMMARY)
    return Silence(matchers, starts, ends, reason, creator, now)


def _check_matchers(value: Any, problems: list[Problem]) -> dict[str, Any] | None:
    if value is None:
        problems.append(Problem("matchers", None, "required field is missing"))
        return None
    if not isinstance(value, dict):
        problems.append(Problem("matchers", value, f"must be an object with at least one of {_MATCHERS}"))
        return None
    if not value:
        problems.append(Problem("matchers", value, f"must name at least one of {_MATCHERS}"))
        return None
    before = len(problems)
    for key, item in value.items():
        field = f"matchers.{key}"
        if key not in MATCHER_KEYS:
            problems.append(Problem(field, item, f"unknown matcher key (expected one of {_MATCHERS})"))
        elif key == "severity" and _severities(item) is None:
            message = f"must be one of {_SEVERITIES}, '>= <severity>' or a list of severities"
            problems.append(Problem(field, item, message))
        elif key != "severity":
            _check_pattern(field, item, problems)
    return dict(value) if len(problems) == before else None


def _check_pattern(field: str, value: Any, problems: list[Problem]) -> None:
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(field, value, "must be a non-empty string (a glob such as fire.*)"))
    elif len(value) > MAX_PATTERN:
        problems.append(Problem(field, value, f"must be at most {MAX_PATTERN} characters"))
    elif (found := policy.check_name(value)) is not None:
        problems.append(Problem(field, value, _refusal(found)))


def _refusal(found: policy.NameProblem | policy.Violation) -> str:
    if isinstance(found, policy.Violation):
        return f"refused by the rights guard: {found.ground.value}: '{found.term}' ({found.reason})"
    return f"refused by the rights guard: {found.reason}"


def _time(body: dict[str, Any], field: str, problems: list[Problem]) -> float | None:
    value = body.get(field)
    if value is None:
        problems.append(Problem(field, None, "required field is missing"))
        return None
    when = parse_time(value)
    if when is None:
        problems.append(Problem(field, value, "must be an RFC 3339 timestamp with a time zone"))
    return when


def _reason(value: Any, problems: list[Problem]) -> str | None:
    if value is None:
        problems.append(Problem("reason", None, "required field is missing"))
    elif not isinstance(value, str):
        problems.append(Problem("reason", value, "must be a string"))
    elif not value.strip():
        problems.append(Problem("reason", value, "must not be empty"))
    elif len(value) > MAX_REASON:
        problems.append(Problem("reason", value[:50] + "…", f"must be at most {MAX_REASON} characters"))
    elif (found := policy.check_text(value)) is not None:  # shown to operators and in the audit log (RS-2)
        problems.append(Problem("reason", value, _refusal(found)))
    else:
        return value.strip()
    return None


def _check_window(starts: float, ends: float, raw: Any, now: float, problems: list[Problem]) -> None:
    if ends <= starts:
        problems.append(Problem("ends_at", raw, f"must be after starts_at ({rfc3339(starts)})"))
    elif ends <= now:
        problems.append(Problem("ends_at", raw, f"must be in the future (now is {rfc3339(now)})"))
    elif ends - starts > MAX_DAYS * 86400:
        problems.append(Problem("ends_at", raw, f"must be at most {MAX_DAYS} days after starts_at"))


def parse_statuses(values: Iterable[str]) -> frozenset[str]:
    """The `status` filter of the list; InvalidInput for an unknown one."""
    chosen = frozenset(values)
    bad = sorted(chosen - set(STATUSES))
    if bad:
        raise InvalidInput(
            [Problem("status", bad[0], f"must be one of {', '.join(STATUSES)}")], "invalid query"
        )
    return chosen


# -- the service ---------------------------------------------------------------------------------------------
class SilenceService:
    """Creates, lists and ends silences; answers "is this alarm silenced now?" for the dispatcher (a Muter)."""

    def __init__(
        self,
        config: NotifyConfig,
        store: SilenceReads,
        writer: Writer,
        clock: Clock,
        *,
        interval: float = 0.0,
    ) -> None:
        self.config = config
        self.store = store
        self.writer = writer
        self.clock = clock
        self.interval = interval  # > 0: run our own timer (when there is no dispatcher to run it)
        self.on_logged: Callable[[], None] | None = None  # wakes the dispatcher after re-notifications
        self.before_end: Callable[[], Awaitable[None]] | None = (
            None  # the dispatcher's drain: jobs in the log
        )
        self._live: dict[int, tuple[Silence, Matchers]] = {}  # silences whose end is not handled yet
        self._lock = asyncio.Lock()
        self._timer = Periodic("silence ends", interval, self.run_due)

    async def start(self) -> None:
        """Load the silences whose end is not handled yet (including ends missed while stopped)."""
        self._live = {s.id: (s, compile_matchers(s.matchers)) for s in self.store.live_silences()}
        self._timer.start()

    def reload(self) -> None:
        """Read the live silences again (a cluster worker does when another process may have changed them)."""
        self._live = {s.id: (s, compile_matchers(s.matchers)) for s in self.store.live_silences()}

    async def stop(self) -> None:
        """Stop our own timer, if we run one."""
        await self._timer.stop()

    def silence_for(self, alarm: Alarm, now: float, exclude: int | None = None) -> int | None:
        """The id of a silence in force for `alarm` at `now` (other than `exclude`), or None."""
        for silence, matchers in self._live.values():
            if (
                silence.id != exclude
                and silence.starts_at <= now < silence.ends_at
                and matchers.matches(alarm)
            ):
                return silence.id
        return None

    def query(self, now: float, statuses: frozenset[str] = frozenset()) -> list[Silence]:
        """Silences, newest first, optionally only those in `statuses`."""
        found = self.store.silences()
        return [s for s in found if not statuses or status(s, now) in statuses]

    async def create(self, body: Any, creator: str) -> Silence:
        """Validate and store a silence; audited as silence-created."""
        now = self.clock.now()
        silence = parse_silence(body, creator, now)

        def write(txn: SilenceTxn, _now: float) -> Silence:
            made = replace(silence, id=txn.insert_silence(silence))
            details = {
                "matchers": made.matchers,
                "starts_at": rfc3339(made.starts_at),
                "ends_at": rfc3339(made.ends_at),
                "reason": made.reason,
            }
            txn.append_audit(AuditEntry(now, creator, "silence-created", f"silence:{made.id}", details))
            return made

        async with self._lock:
            made = await self.writer.call(write)
            self._live[made.id] = (made, compile_matchers(made.matchers))
        return made

    async def delete(self, silence_id: int, actor: str) -> Silence:
        """Expire a silence now; Conflict if it has expired already. Audited as silence-expired."""
        async with self._lock:
            found = self._live.get(silence_id)
            if found is None and self.store.get_silence(silence_id) is None:
                raise NotFound(f"silence {silence_id} not found")
            now = self.clock.now()
            if found is not None and found[0].ends_at <= now:  # it ended before the timer noticed
                await self._end(found[0], found[0].ends_at, now, ACTOR, "ended")
            if found is None or found[0].ends_at <= now:
                raise Conflict(f"silence {silence_id} has already expired", "expired", [])
            return await self._end(found[0], now, now, actor, "deleted")

    async def run_due(self, now: float | None = None) -> int:
        """Handle the end of every silence that has ended by `now`; returns how many."""
        now = self.clock.now() if now is None else now
        ended = 0
        async with self._lock:
            for silence, _ in sorted(self._live.values(), key=lambda item: item[0].ends_at):
                if silence.ends_at <= now:
                    await self._end(silence, silence.ends_at, now, ACTOR, "ended")
                    ended += 1
        return ended

    async def _end(self, silence: Silence, ends_at: float, now: float, actor: str, why: str) -> Silence:
        self._live.pop(silence.id, None)  # from here on it holds nothing back
        try:
            if self.before_end is not None:
                await self.before_end()  # what it held back is in the log before we look
            rows = self._renotifications(silence, now)
            await self._write_end(silence, rows, ends_at, now, actor, why)
        except Exception:
            self._live[silence.id] = (silence, compile_matchers(silence.matchers))  # try again later
            raise
        if rows and self.on_logged is not None:
            self.on_logged()
        return replace(silence, ends_at=ends_at, expired_at=now, expired_by=actor)

    async def _write_end(
        self, silence: Silence, rows: list[Notification], ends_at: float, now: float, actor: str, why: str
    ) -> None:
        def write(txn: SilenceTxn, _now: float) -> bool:
            if not txn.expire_silence(silence.id, ends_at, now, actor):
                return False  # handled already (another server on the same store)
            txn.insert_notifications(rows)
            details = {"why": why, "renotified": sorted({r.alarm_id for r in rows})}
            txn.append_audit(AuditEntry(now, actor, "silence-expired", f"silence:{silence.id}", details))
            return True

        await self.writer.call(write)

    def _renotifications(self, silence: Silence, now: float) -> list[Notification]:
        """One job per (open alarm, receiver) whose latest notification this silence held back, unless another
        silence still holds the alarm."""
        matchers = compile_matchers(silence.matchers)
        rows: list[Notification] = []
        for alarm in self.store.open_alarms():
            if matchers.matches(alarm) and self.silence_for(alarm, now, exclude=silence.id) is None:
                rows.extend(self._renotify(alarm, silence.id, now))
        return rows

    def _renotify(self, alarm: Alarm, silence_id: int, now: float) -> list[Notification]:
        out: list[Notification] = []
        for name, missed in held_back(self.store.notifications_for(alarm.id)).items():
            receiver = self.config.receivers.get(name)
            if receiver is None:  # removed from the file since; nobody to tell
                continue
            details = {"silence": silence_id, "missed": [n.kind for n in missed]}
            body = jobs.change_body(UNSILENCED, alarm, ACTOR, now, details)
            # The key names the last held-back job, so the same backlog is re-notified once.
            out.append(jobs.job(receiver, UNSILENCED, alarm, body, now, f"{UNSILENCED}-{missed[-1].id}"))
        return out


def held_back(rows: Sequence[Notification]) -> dict[str, list[Notification]]:
    """receiver -> the silenced jobs since its last job that was not silenced (only receivers with some)."""
    trailing: dict[str, list[Notification]] = {}
    for row in sorted(rows, key=lambda r: r.id):
        if row.status == jobs.SILENCED:
            trailing.setdefault(row.receiver, []).append(row)
        else:
            trailing.pop(row.receiver, None)
    return trailing


__all__ = [
    "MATCHER_KEYS",
    "UNSILENCED",
    "Matchers",
    "SilenceService",
    "compile_matchers",
    "held_back",
    "parse_silence",
    "parse_statuses",
    "silence_json",
    "status",
]
