"""The demo's field teams: four units on duty at the Riverside Festival, moving through their statuses and sending
a couple of field reports, through the same writer functions the API calls (so every change is audited, goes onto
the incident's log and out on the event stream)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from fairwatch.clock import Clock
from fairwatch.field import FieldDesk, checklists, report_event, unit_json
from fairwatch.field.checklists import Checklists
from fairwatch.schemas import Catalogue
from fairwatch.store import Txn, Unit
from fairwatch.stream import Hub
from fairwatch.taxonomy import Taxonomy
from fairwatch.writer import Pipeline

ACTOR = "demo-controller"
# name, kind, members, position on the site plan (metres)
UNITS = (
    ("Medic 2", "medic", 2, {"x": 330.0, "y": 345.0}),
    ("Security 1", "security", 3, {"x": 600.0, "y": 300.0}),
    ("Steward North", "steward", 4, {"x": 400.0, "y": 440.0}),
    ("Fire Watch", "fire", 2, {"x": 345.0, "y": 240.0}),
)
# seconds after start, unit, what: a status, or a field report (event type, zone, text)
SCRIPT: tuple[tuple[float, str, str, Any], ...] = (
    (10.0, "Steward North", "check", ("north-gate", "exits-clear", "ok")),
    (15.0, "Steward North", "check", ("north-gate", "barriers", "ok")),
    (20.0, "Medic 2", "status", "on_scene"),
    (40.0, "Steward North", "report", ("report.crowd", "north-gate", "Queue pushing at the turnstiles")),
    (60.0, "Fire Watch", "status", "available"),
    (70.0, "Fire Watch", "check", ("food-court", "extinguishers", "failed")),
    (90.0, "Security 1", "status", "on_scene"),
    (120.0, "Medic 2", "status", "clear"),
    (140.0, "Security 1", "report", ("report.medical", "main-stage", "Casualty at the front barrier")),
    (150.0, "Medic 2", "status", "available"),
)
Sleep = Callable[[float], Awaitable[object]]


def seed_units(txn: Txn, desk: FieldDesk, incident_id: int | None, now: float) -> int:
    """Put the demo's units on duty once (none when units exist): Medic 2 and Security 1 dispatched to
    `incident_id` and on their way, Steward North available, Fire Watch off duty. How many were created."""
    if txn.list_units():
        return 0
    made = {name: desk.add_unit(txn, ACTOR, name, kind, members, now) for name, kind, members, _ in UNITS}
    for name, _kind, _members, where in UNITS:
        desk.check_in(txn, ACTOR, made[name].id, {"location": where}, now)
    if incident_id is not None:
        for name in ("Medic 2", "Security 1"):
            desk.dispatch(txn, ACTOR, made[name].id, {"incident": incident_id}, now)
            desk.accept(txn, ACTOR, made[name].id, now)
            desk.set_status(txn, ACTOR, made[name].id, {"status": "en_route"}, now)
    desk.set_status(txn, ACTOR, made["Fire Watch"].id, {"status": "off_duty"}, now)
    return len(made)


async def run_units(
    pipeline: Pipeline,
    desk: FieldDesk,
    hub: Hub,
    clock: Clock,
    sleep: Sleep,
    *,
    taxonomy: Taxonomy,
    schemas: Catalogue,
    lists: Checklists | None = None,
) -> int:
    """Play `SCRIPT` from now; returns the steps done (a step the units' state or the checklists in use refuse
    is skipped)."""
    lists = lists if lists is not None else Checklists()
    start = clock.now()
    done = 0
    for at, name, what, arg in SCRIPT:
        wait = start + at - clock.now()
        if wait > 0:
            await sleep(wait)
        try:
            if what == "status":
                unit = await pipeline.call(_status(pipeline, desk, name, str(arg)))
                hub.publish("unit", orjson.dumps(unit_json(unit)))
            elif what == "check":
                checklist, item, state = arg
                actor = f"unit:{_id_of(pipeline, name)}"
                value = await pipeline.call(_tick(lists, str(checklist), str(item), str(state), actor))
                hub.publish("readiness", orjson.dumps({"checklist": checklist, "item": item, **value}))
            else:
                event_type, zone, text = arg
                doc = {"id": f"demo-report-{done}", "type": event_type, "zone": zone, "text": text}
                source = f"unit-{_id_of(pipeline, name)}"
                event = report_event(doc, source, clock.now(), taxonomy=taxonomy, schemas=schemas, zones=None,
                                     max_age=3600.0)  # fmt: skip
                await pipeline.submit([event])
        except asyncio.CancelledError:
            raise
        except Exception:  # a demo step the state no longer allows (e.g. the operator moved the unit)
            continue
        done += 1
    return done


def _status(pipeline: Pipeline, desk: FieldDesk, name: str, status: str) -> Callable[[Txn, float], Unit]:
    def write(txn: Txn, now: float) -> Unit:
        unit = txn.unit_by_name(name)
        if unit is None:
            raise LookupError(name)
        changed, decisions = desk.set_status(txn, ACTOR, unit.id, {"status": status}, now)
        pipeline.alarms.apply_decisions(txn, [(d, None) for d in decisions], now)
        return changed

    return write


def _tick(
    lists: Checklists, checklist: str, item: str, state: str, actor: str
) -> Callable[[Txn, float], Any]:
    def write(txn: Txn, now: float) -> Any:
        return checklists.tick(txn, lists, checklist, item, state, actor, now)

    return write


def _id_of(pipeline: Pipeline, name: str) -> int:
    found = [u.id for u in pipeline.store.list_units() if u.name == name]
    return found[0] if found else 0
