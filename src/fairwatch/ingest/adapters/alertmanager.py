"""Prometheus Alertmanager webhook payloads (version 4) -> raw Fairwatch events, one per alert.

type    technical.<alertname in snake case>      (KubePodCrashLooping -> technical.kube_pod_crash_looping)
source  labels.instance, else labels.job, else "alertmanager"
zone    labels.zone          site  labels.site
id      am:<fingerprint>:<startsAt in ms>:<status>   (a repeated notification is stored once)
time    startsAt when firing, endsAt when resolved
value   1 firing, 0 resolved; data.status is "firing" or "resolved" so a rule can clear on it
"""

from __future__ import annotations

import re
from typing import Any

from fairwatch.errors import InvalidInput, Problem
from fairwatch.events import MAX_BATCH
from fairwatch.events.validate import parse_time, rfc3339

SUMMARY = "invalid Alertmanager payload"
STATUSES = ("firing", "resolved")
_WORD_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_MAX_SUMMARY = 256


def alert_type(alertname: str) -> str:
    """`technical.` + the alert name split into words at case changes and other characters, in snake case."""
    return "technical." + "_".join(w.lower() for w in _WORD_RE.findall(alertname))


def from_webhook(doc: Any) -> list[dict[str, Any]]:
    """Raw events for every alert; InvalidInput naming each problem (index = alert position) otherwise."""
    if not isinstance(doc, dict):
        raise InvalidInput(
            [Problem("body", _short(doc), "must be a JSON object (an Alertmanager webhook)")], SUMMARY
        )
    problems = _check_envelope(doc)
    alerts = doc.get("alerts")
    events: list[dict[str, Any]] = []
    if isinstance(alerts, list) and 0 < len(alerts) <= MAX_BATCH:
        receiver = doc.get("receiver") if isinstance(doc.get("receiver"), str) else None
        for index, alert in enumerate(alerts):
            event = _alert(alert, index, receiver, problems)
            if event is not None:
                events.append(event)
    if problems:
        raise InvalidInput(problems, SUMMARY)
    return events


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


def _alert(alert: Any, index: int, receiver: str | None, problems: list[Problem]) -> dict[str, Any] | None:
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
    return _event(status, fingerprint, labels, annotations or {}, starts, ends, receiver)


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
    status: str,
    fingerprint: str,
    labels: dict[str, str],
    annotations: dict[str, Any],
    starts: float,
    ends: float | None,
    receiver: str | None,
) -> dict[str, Any]:
    firing = status == "firing"
    data: dict[str, Any] = {"status": status, "fingerprint": fingerprint, "labels": labels}
    if receiver:
        data["receiver"] = receiver
    summary = annotations.get("summary")
    if isinstance(summary, str) and summary:
        data["summary"] = summary[:_MAX_SUMMARY]
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
