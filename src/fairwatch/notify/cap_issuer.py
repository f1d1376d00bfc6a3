"""Issues CAP messages for alarm changes and keeps them: gathers what a message says (taxonomy category, zone
area on the globe, the rule's reason) outside the writer, then decides and records inside it, so two paths
(the change listener and a GET) can never issue two messages for one state."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fairwatch.alarms import AlarmChange
from fairwatch.errors import NotFound
from fairwatch.model import Alarm, Location, Severity
from fairwatch.notify import cap
from fairwatch.notify.pipeline import Writer
from fairwatch.rules.explain import public_id
from fairwatch.site import Site
from fairwatch.store import CapMessage, CapReads, CapTxn
from fairwatch.taxonomy import Taxonomy
from fairwatch.welfare import ESCALATION_TYPE

log = logging.getLogger(__name__)

# Changes that can call for a new message; the rest (repeats, comments, acks) leave the last one standing.
SIGNIFICANT = frozenset({"raised", "escalated", "reactivated", "resolved", "reopened"})
INSTANCE_KEY = "cap.instance"
# Types never published without login, whatever their severity: a welfare case's escalation is for the police
# liaison (docs/welfare.md); its messages are issued with scope Restricted.
RESTRICTED_TYPES = frozenset({ESCALATION_TYPE})


class CapIssuer:
    """The CAP side of notify: a change listener plus the reads behind the CAP routes."""

    def __init__(
        self,
        store: CapReads,
        writer: Writer,
        *,
        sender: str,
        public: frozenset[Severity],
        site: Callable[[], Site | None] = lambda: None,
        taxonomy: Taxonomy | None = None,
    ) -> None:
        self.store = store
        self.writer = writer
        self.sender = sender
        self.public = public
        self.site = site
        self.taxonomy = taxonomy
        self.instance = store.get_kv(INSTANCE_KEY) or ""
        self._pending: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        """Give this deployment its identifier prefix, once (identifiers must not repeat after a reinstall)."""
        if not self.instance:
            made = secrets.token_hex(4)
            await self.writer.call(lambda txn, _now: txn.set_kv(INSTANCE_KEY, made))
            self.instance = made

    # -- issuing ---------------------------------------------------------------------------------------------
    def on_changes(self, changes: list[AlarmChange]) -> None:
        """Change listener: issue messages for changes that may need one."""
        chosen = [c for c in changes if c.kind in SIGNIFICANT]
        if chosen:
            self._spawn(self._issue(chosen))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait until messages for every change seen so far are recorded."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def _issue(self, changes: Sequence[AlarmChange]) -> None:
        items = [(c.alarm, self.facts(c.alarm, c.details.get("reason")), c.time) for c in changes]
        try:
            await self.writer.call(lambda txn, _now: self._record(txn, items))
        except Exception:
            log.exception("could not record CAP messages for %d alarm changes", len(items))

    def _record(self, txn: CapTxn, items: Sequence[tuple[Alarm, cap.Facts, float]]) -> list[CapMessage]:
        issued: list[CapMessage] = []
        for alarm, facts, sent in items:
            previous = txn.cap_messages_for(alarm.id)
            msg_type = cap.next_message(previous, alarm)
            if msg_type is None:
                continue
            message = self._message(alarm, facts, msg_type, previous, sent)
            if txn.insert_cap_message(message):
                issued.append(message)
        return issued

    def _message(
        self, alarm: Alarm, facts: cap.Facts, msg_type: str, previous: Sequence[CapMessage], sent: float
    ) -> CapMessage:
        env = cap.Envelope(
            identifier=cap.identifier(self.instance, alarm.id, alarm.version),
            sender=self.sender,
            sent=sent,
            msg_type=msg_type,
            references=tuple(previous),
            public=alarm.severity in self.public and alarm.type not in RESTRICTED_TYPES,
            note=_note(alarm, msg_type, previous),
        )
        xml = cap.build(facts, env)
        return CapMessage(
            env.identifier, alarm.id, alarm.version, msg_type, sent, alarm.severity.value, alarm.site, alarm.zone,
            env.public, xml,
        )  # fmt: skip

    # -- what a message says -------------------------------------------------------------------------------
    def facts(self, alarm: Alarm, reason: object = None) -> cap.Facts:
        """Category, event name, certainty reason and area for `alarm` (reads the store; not in the writer)."""
        entry = self.taxonomy.get(alarm.type) if self.taxonomy is not None else None
        category = entry.cap_category if entry is not None else cap.category_for(alarm.type)
        event = entry.name("en") if entry is not None else cap.event_name(alarm.type)
        occurrences = self.store.occurrences(alarm.id, limit=20)
        raises = [o for o in occurrences if o.kind == "raise"]
        if not isinstance(reason, str):
            reason = raises[-1].reason if raises else None
        site = self.site()
        ids = [i for o in reversed(raises) for i in o.event_ids][:20]
        point = _latest_point(self.store, ids, site)
        name = f"Fairwatch - {site.name}" if site is not None else "Fairwatch"
        incident = self.store.incident_number_for_alarm(alarm.id)
        return cap.Facts(alarm, category, event, reason, area_for(alarm, site, point), name, incident)

    # -- reading -----------------------------------------------------------------------------------------------
    async def current(self, alarm_id: int) -> CapMessage:
        """The message for the alarm's current state, issuing it first if a change is not yet recorded."""
        alarm = self.store.get_alarm(alarm_id)
        if alarm is None:
            raise NotFound(f"alarm {alarm_id} not found")
        previous = self.store.cap_messages(alarm_id)
        if cap.next_message(previous, alarm) is not None:
            item = (alarm, self.facts(alarm), alarm.updated)
            await self.writer.call(lambda txn, _now: self._record(txn, [item]))
            previous = self.store.cap_messages(alarm_id)
        if not previous:
            raise NotFound(f"alarm {alarm_id} has no CAP message: it was resolved before one was issued")
        return previous[-1]

    def public_message(self, identifier: str) -> CapMessage | None:
        """A message anyone may read, or None."""
        message = self.store.cap_message(identifier)
        return message if message is not None and message.public else None

    def public_feed(self, limit: int = 50) -> list[CapMessage]:
        """The latest message of each public alarm, newest first."""
        latest: dict[int, CapMessage] = {}
        for message in self.store.recent_cap_messages(limit * 4):
            latest.setdefault(message.alarm_id, message)
        return [m for m in latest.values() if m.public][:limit]


def _note(alarm: Alarm, msg_type: str, previous: Sequence[CapMessage]) -> str | None:
    if msg_type == cap.CANCEL:
        how = alarm.disposition.value if alarm.disposition else "resolved"
        return f"alarm resolved ({how})"
    if msg_type == cap.ALERT and previous:
        return "alarm reopened"
    if msg_type == cap.UPDATE:
        last = previous[-1]
        if last.severity != alarm.severity.value:
            return f"severity changed from {last.severity} to {alarm.severity.value}"
        return "area changed"
    return None


def _latest_point(store: CapReads, event_ids: list[str], site: Site | None) -> tuple[float, float] | None:
    """(lat, lon) of the newest triggering event that carried a location."""
    for event in reversed(store.events_by_ids(event_ids) if event_ids else []):
        point = _geo(event.location, site)
        if point is not None:
            return point
    return None


def _geo(loc: Location | None, site: Site | None) -> tuple[float, float] | None:
    if loc is None:
        return None
    if loc.lat is not None and loc.lon is not None:
        return loc.lat, loc.lon
    if site is not None and loc.x is not None and loc.y is not None:
        return site.to_geo(loc.x, loc.y)
    return None


def area_for(alarm: Alarm, site: Site | None, point: tuple[float, float] | None) -> cap.Area | None:
    """The zone's polygon on the globe; else a circle around the reported point; else just a description."""
    zone = None
    if site is not None and alarm.zone in site.zone_ids and alarm.site in (None, site.id):
        zone = site.zone(alarm.zone or "")
    # An undeclared zone is text from an event: only an id-shaped one is named (RS-13).
    desc = zone.name if zone is not None else public_id(alarm.zone) or (site.name if site is not None else "")
    if zone is not None and site is not None and site.georef is not None:
        corners = [site.to_geo(x, y) for x, y in zone.polygon]
        polygon = cap.closed_polygon([c for c in corners if c is not None])
        if polygon:
            return cap.Area(desc, polygon=polygon)
    if point is not None:
        return cap.Area(desc or "reported location", circle=(point[0], point[1], cap.POINT_RADIUS_KM))
    return cap.Area(desc) if desc else None
