"""What a report is built from, read from the store in one pass over the audit log: alarm activations (raised and
reactivated, until cleared or resolved), first acknowledgements, the alarms' zones, and the incidents of the period
with their decision logs. Nothing is written."""

from __future__ import annotations

from dataclasses import dataclass, field

from fairwatch.incidents.model import LogKind
from fairwatch.model import Alarm, AuditRecord
from fairwatch.replay import Activation
from fairwatch.report.period import Period
from fairwatch.store import Incident, IncidentQuery, LogEntry, ReportReads

PAGE = 500  # incidents read at a time
_ENDS = ("alarm-cleared", "alarm-resolved")


@dataclass(frozen=True, slots=True)
class AlarmFacts:
    """One alarm raised in the period: its type, zone, and when it was raised and first acknowledged."""

    id: int
    type: str
    zone: str | None
    raised_at: float
    acknowledged_at: float | None


@dataclass(frozen=True, slots=True)
class IncidentFacts:
    """An incident of the period and its decisions (with the corrections of them), in order of occurrence."""

    incident: Incident
    decisions: tuple[LogEntry, ...]


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the report shows, for `period`."""

    period: Period
    activations: tuple[Activation, ...]  # went active in the period; cleared_at None: still active at its end
    alarms: tuple[AlarmFacts, ...]  # first raised in the period
    zones: dict[str, str | None]  # the zone of each activation's alarm, by its key (alarm:<id>)
    incidents: tuple[IncidentFacts, ...]


@dataclass
class _Scan:
    """The running state of the pass over the audit log."""

    period: Period
    store: ReportReads
    rows: dict[int, Alarm | None] = field(default_factory=dict)
    raised: dict[int, AuditRecord] = field(
        default_factory=dict
    )  # every alarm-raised record seen, by alarm id
    latest: dict[int, Activation] = field(default_factory=dict)  # the last activation of each alarm
    activations: list[Activation] = field(default_factory=list)
    first_raised: dict[int, float] = field(default_factory=dict)  # alarms first raised in the period
    acked: dict[int, float] = field(default_factory=dict)

    def alarm(self, alarm_id: int) -> Alarm | None:
        if alarm_id not in self.rows:
            self.rows[alarm_id] = self.store.get_alarm(alarm_id)
        return self.rows[alarm_id]

    def wanted(self, alarm_id: int) -> bool:
        """In the report's site (an alarm whose row was purged has no known site: left out of a site's report)."""
        if self.period.site is None:
            return True
        row = self.alarm(alarm_id)
        return row is not None and row.site == self.period.site

    def see(self, rec: AuditRecord) -> None:
        if not rec.object.startswith("alarm:") or rec.time >= self.period.end:
            return
        alarm_id = int(rec.object.removeprefix("alarm:"))
        if rec.action == "alarm-raised":
            self.raised[alarm_id] = rec
            self._activate(alarm_id, rec)
            if rec.time >= self.period.start and self.wanted(alarm_id):
                self.first_raised[alarm_id] = rec.time
        elif rec.action == "alarm-reactivated":
            self._activate(alarm_id, rec)
        elif rec.action in _ENDS:
            current = self.latest.get(alarm_id)
            if current is not None and current.cleared_at is None:
                current.cleared_at = rec.time
        elif rec.action == "alarm-acknowledged" and alarm_id in self.first_raised:
            self.acked.setdefault(alarm_id, rec.time)

    def _activate(self, alarm_id: int, rec: AuditRecord) -> None:
        first = self.raised.get(alarm_id)
        if (
            first is None
        ):  # raised before the audit log begins (cannot happen with a whole chain): unknown type
            return
        d = first.details
        act = Activation(rec.object, str(d.get("rule", "")), str(d.get("type", "")), dict(d.get("group", {})),
                         rec.time)  # fmt: skip
        self.latest[alarm_id] = act
        if rec.time >= self.period.start and self.wanted(alarm_id):
            self.activations.append(act)


def gather(store: ReportReads, period: Period) -> Facts:
    """The facts of `period` from the audit log, the alarm rows and the incident tables."""
    scan = _Scan(period, store)
    for rec in store.iter_audit():
        if rec.time >= period.end:
            # The log is in commit order and times come from one clock, so nothing later matters, except
            # acknowledgements, which may come after the period: keep reading those.
            _acks_after(scan, rec)
            continue
        scan.see(rec)
    alarms = tuple(
        AlarmFacts(i, str(scan.raised[i].details.get("type", "")), _zone(scan.alarm(i)), t, scan.acked.get(i))
        for i, t in scan.first_raised.items()
    )
    zones = {a.key: _zone(scan.alarm(int(a.key.removeprefix("alarm:")))) for a in scan.activations}
    return Facts(period, tuple(scan.activations), alarms, zones, tuple(incidents(store, period)))


def _acks_after(scan: _Scan, rec: AuditRecord) -> None:
    if rec.action == "alarm-acknowledged" and rec.object.startswith("alarm:"):
        alarm_id = int(rec.object.removeprefix("alarm:"))
        if alarm_id in scan.first_raised:
            scan.acked.setdefault(alarm_id, rec.time)


def _zone(alarm: Alarm | None) -> str | None:
    return None if alarm is None else alarm.zone


def incidents(store: ReportReads, period: Period) -> list[IncidentFacts]:
    """Incidents that occurred or were reported in the period (of its site), oldest first, with decisions."""
    found: list[Incident] = []
    cursor: int | None = None
    while True:
        page = store.list_incidents(IncidentQuery(limit=PAGE, before_id=cursor))
        found += [i for i in page if _in_period(i, period)]
        if len(page) < PAGE:
            break
        cursor = page[-1].id
    found.sort(key=lambda i: (i.occurred_at, i.id))
    return [IncidentFacts(i, decisions(store.incident_log(i.id, "occurred"))) for i in found]


def _in_period(i: Incident, period: Period) -> bool:
    if period.site is not None and i.site != period.site:
        return False
    return any(period.start <= t < period.end for t in (i.occurred_at, i.reported_at))


def decisions(log: list[LogEntry]) -> tuple[LogEntry, ...]:
    """The decision entries of a log and the corrections of them (both stay visible, as in the log)."""
    ids = {e.id for e in log if e.kind == LogKind.DECISION}
    return tuple(e for e in log if e.id in ids or (e.kind == LogKind.CORRECTION and e.corrects in ids))
