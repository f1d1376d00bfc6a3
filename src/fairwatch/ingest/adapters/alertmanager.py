"""Prometheus Alertmanager webhook payloads (version 4) -> raw Fairwatch events, one per alert.

type    technical.<alertname in snake case>      (KubePodCrashLooping -> technical.kube_pod_crash_looping)
source  labels.instance, else labels.job, else "alertmanager"
zone    labels.zone (a zone of the site, else the alert is refused)          site  labels.site
id      am:<fingerprint>:<startsAt in ms>:<status>   (a repeated notification is stored once)
time    startsAt when firing, endsAt when resolved
value   1 firing, 0 resolved
data    status ("firing" or "resolved", so a rule can clear on it), fingerprint, severity (a closed set); nothing
        else: other labels, annotations (summary, description) and the receiver never reach the store (RS-13)

Each alert is judged alone (RS-14): a malformed alert, or one whose name or labels target a protected ground
(RS-2, RS-4), is refused and reported by its index, without its content, and the alerts beside it are stored.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from fairwatch.errors import InvalidInput, Problem
from fairwatch.events import MAX_BATCH, validate_events
from fairwatch.events.validate import EventsRefused, parse_time, rfc3339
from fairwatch.model import Event
from fairwatch.policy import GROUND_REASONS, Violation, check_text
from fairwatch.policy.person import key_ground, type_ground

SUMMARY = "invalid Alertmanager payload"
REFUSED_ALL = "every alert was refused"
STATUSES = ("firing", "resolved")
# The only label copied into `data`: a closed set of values, so it cannot carry free text.
SEVERITIES = frozenset({"critical", "high", "error", "warning", "medium", "low", "info", "none"})
DATA_FIELDS = ("status", "fingerprint", "severity")
_WORD_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_GUARD = "refused: protected ground (RS-2)"
_PERSON = "refused: person-data ban (RS-4)"


@dataclass(slots=True)
class Notification:
    """The alerts of one notification: raw events (with the alert's index) and the alerts refused, each problem
    naming the alert's index and field but never its content."""

    events: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)
    refused_by_policy: int = 0

    @property
    def refused_alerts(self) -> int:
        """How many alerts were refused."""
        return len({p.index for p in self.refused})


def alert_type(alertname: str) -> str:
    """`technical.` + the alert name split into words at case changes and other characters, in snake case."""
    return "technical." + "_".join(w.lower() for w in _WORD_RE.findall(alertname))


def from_webhook(doc: Any) -> Notification:
    """Raw events for the alerts that pass, and the problems of those that do not (index = alert position);
    InvalidInput naming each problem when the notification itself is malformed."""
    if not isinstance(doc, dict):
        raise InvalidInput(
            [Problem("body", _short(doc), "must be a JSON object (an Alertmanager webhook)")], SUMMARY
        )
    problems = _check_envelope(doc)
    if problems:
        raise InvalidInput(problems, SUMMARY)
    batch = Notification()
    for index, alert in enumerate(doc["alerts"]):
        mine: list[Problem] = []
        event = _alert(alert, index, mine)
        if event is not None:
            mine = guard(event["type"], alert["labels"], index)
            batch.refused_by_policy += bool(mine)
        if mine:
            batch.refused += [_without_value(p) for p in mine]
        elif event is not None:
            batch.events.append((index, event))
    return batch


def judge(batch: Notification, now: float, zones: frozenset[str] | None = None) -> list[Event]:
    """Validate each alert's event alone (RS-14); the refused ones join `batch.refused`, the rest are returned.

    With `zones` (the site's), a `zone` label must name one of them (RS-12): an unknown zone is refused, not
    invented, and the alerts beside it are stored."""
    events: list[Event] = []
    for index, raw in batch.events:
        try:
            # No lower bound on time: Alertmanager repeats a firing alert with its first startsAt (the id makes the
            # repeat a duplicate), and refusing it would refuse the new alerts of its group with it.
            events += validate_events([raw], now, max_age=math.inf, zones=zones)
        except EventsRefused as exc:
            batch.refused_by_policy += bool(exc.refused_by_policy)
            batch.refused += [_without_value(Problem(p.field, None, p.message, index)) for p in exc.problems]
    batch.refused.sort(key=lambda p: p.index or 0)
    return events


def guard(event_type: str, labels: dict[str, str], index: int) -> list[Problem]:
    """Problems for an alert whose name, label names or label values target a protected ground or carry a
    person attribute; the messages name the ground, never the text."""
    problems: list[Problem] = []
    ground = type_ground(event_type)
    if ground is not None:
        problems.append(
            Problem("labels.alertname", None, f"{_PERSON}: {ground}: {GROUND_REASONS[ground]}", index)
        )
    for key, value in labels.items():
        if key == "alertname" and ground is not None:
            continue  # refused already, once is enough
        where = "labels.alertname" if key == "alertname" else "labels"
        person = key_ground(key)
        if person is not None:
            message = f"{_PERSON}: {person}: a label name {GROUND_REASONS[person]}"
            problems.append(Problem(where, None, message, index))
            continue
        for what, text in (("name", key), ("value", value)):
            found = _check_words(text)
            if found is not None:
                message = f"{_GUARD}: {found.ground}: a label {what} {found.reason}"
                problems.append(Problem(where, None, message, index))
                break
    return problems


@lru_cache(maxsize=4096)  # label names and values repeat across notifications; the guard costs ~0.1 ms a text
def _check_words(text: str) -> Violation | None:
    """The guard on a label as written and split into its words (`ProtestDetected` is "Protest Detected")."""
    return check_text(text) or check_text(" ".join(_WORD_RE.findall(text)))


def _without_value(problem: Problem) -> Problem:
    """An alert's problem without the offending value: a refusal never echoes what it refused."""
    return Problem(problem.field, None, problem.message, problem.index)


def _check_envelope(doc: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    version = doc.get("version")
    if version != "4":
        message = (
            "required field is missing" if version is None else 'must be "4" (the webhook format version)'
        )
        problems.append(Problem("version", _short(version), message))
    status = doc.get("status")
    if status not in STATUSES:
        problems.append(Problem("status", _short(status), "must be one of firing, resolved"))
    alerts = doc.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        problems.append(Problem("alerts", _short(alerts), "must be a non-empty array of alerts"))
    elif len(alerts) > MAX_BATCH:
        problems.append(Problem("alerts", len(alerts), f"must hold at most {MAX_BATCH} alerts"))
    return problems


def _alert(alert: Any, index: int, problems: list[Problem]) -> dict[str, Any] | None:
    if not isinstance(alert, dict):
        problems.append(Problem("", _short(alert), "each alert must be a JSON object", index))
        return None
    before = len(problems)
    status = alert.get("status")
    if status not in STATUSES:
        problems.append(Problem("status", _short(status), "must be one of firing, resolved", index))
    labels = _labels(alert.get("labels"), index, problems)
    annotations = alert.get("annotations")
    if annotations is not None and not isinstance(annotations, dict):
        problems.append(Problem("annotations", _short(annotations), "must be a JSON object", index))
    fingerprint = alert.get("fingerprint")
    if not isinstance(fingerprint, str) or not re.fullmatch(r"[0-9A-Za-z]{1,64}", fingerprint):
        problems.append(Problem("fingerprint", _short(fingerprint), "must be 1-64 letters and digits", index))
    starts = _time(alert, "startsAt", index, problems)
    ends = _time(alert, "endsAt", index, problems) if status == "resolved" else None
    if len(problems) > before:
        return None
    assert (
        isinstance(status, str) and isinstance(fingerprint, str) and labels is not None and starts is not None
    )
    return _event(status, fingerprint, labels, starts, ends)


def _labels(labels: Any, index: int, problems: list[Problem]) -> dict[str, str] | None:
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        problems.append(Problem("labels", _short(labels), "must be a JSON object of strings", index))
        return None
    name = labels.get("alertname")
    if not name:
        problems.append(Problem("labels.alertname", name, "required label is missing", index))
        return None
    if not _WORD_RE.search(name):
        problems.append(Problem("labels.alertname", name, "must contain a letter or digit", index))
        return None
    return labels


def _time(alert: dict[str, Any], key: str, index: int, problems: list[Problem]) -> float | None:
    value = alert.get(key)
    when = parse_time(value)
    if when is None:
        message = (
            "required field is missing" if value is None else "must be an RFC 3339 timestamp with a time zone"
        )
        problems.append(Problem(key, _short(value), message, index))
    return when


def _event(
    status: str, fingerprint: str, labels: dict[str, str], starts: float, ends: float | None
) -> dict[str, Any]:
    """The declared fields only (DATA_FIELDS): labels, annotations and the receiver stay with Alertmanager."""
    firing = status == "firing"
    data: dict[str, Any] = {"status": status, "fingerprint": fingerprint}
    severity = labels.get("severity", "").strip().lower()
    if severity in SEVERITIES:
        data["severity"] = severity
    event: dict[str, Any] = {
        "id": f"am:{fingerprint}:{round(starts * 1000)}:{status}",
        "source": labels.get("instance") or labels.get("job") or "alertmanager",
        "type": alert_type(labels["alertname"]),
        "time": rfc3339(starts if firing or ends is None else ends),
        "value": 1.0 if firing else 0.0,
        "data": data,
    }
    for name in ("zone", "site"):
        if labels.get(name):
            event[name] = labels[name]
    return event


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "…"
    if isinstance(value, dict | list):
        return "(object)" if isinstance(value, dict) else "(array)"
    return value
