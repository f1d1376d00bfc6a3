"""The running run of show: which phase is current, switching by schedule or by hand, and what survives a
restart (the current phase and since when, in the store's key-value table, written with the audit record)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import orjson

from fairwatch.clock import Clock
from fairwatch.errors import Conflict, InvalidInput, Problem
from fairwatch.events.validate import rfc3339
from fairwatch.model import AuditEntry
from fairwatch.periodic import Periodic
from fairwatch.phases.plan import Phase, RunOfShow, due_phase, initial_phase, next_phase
from fairwatch.phases.preview import diff_rules
from fairwatch.rules import Engine
from fairwatch.site import Site
from fairwatch.store import PhaseReads, StateTxn, Txn

log = logging.getLogger(__name__)
T = TypeVar("T")
KV_KEY = "phase"  # {"phase": id, "since": unix seconds}
AUDIT_OBJECT = "phase"
SYSTEM = "system"
MAX_REASON = 500


class Writer(Protocol):
    """The single writer (ingest.Pipeline) as phases use it."""

    def call(self, fn: Callable[[Txn, float], T]) -> Awaitable[T]: ...
    def replace_engine(self, engine: Engine, fn: Callable[[Txn, float], T]) -> Awaitable[T]: ...
    def set_engine(self, engine: Engine) -> None: ...


@dataclass(frozen=True, slots=True)
class _Switch:
    """A switch decided before the writer runs, recorded once it does."""

    source: str | None
    reason: str
    scheduled: bool


class PhaseService:
    """Owns the current phase (`App.phases`)."""

    def __init__(
        self, plan: RunOfShow, store: PhaseReads, writer: Writer, clock: Clock, site: Site | None, tick: float
    ) -> None:
        self.plan = plan
        self.store = store
        self.writer = writer
        self.clock = clock
        self.site = site
        self.tick_seconds = tick
        self.current = plan.phases[0]
        self.since = clock.now()
        self._pending: _Switch | None = None
        self._lock = asyncio.Lock()
        self._timer = Periodic("phase schedule", tick, self.tick)
        # Gates: each names why a switch to a phase is held (e.g. failed readiness checks before `opening`).
        self.gates: list[Callable[[str], list[str]]] = []

    # -- lifecycle -----------------------------------------------------------------------------------------
    def prepare(self) -> Phase:
        """Before the writer starts: take the stored phase (or the schedule's, or the first) and its engine."""
        now = self.clock.now()
        stored_id, stored_since = _stored(self.store.get_kv(KV_KEY))
        stored = self.plan.get(stored_id) if stored_id is not None else None
        if stored is not None:
            self.current, self.since = stored, stored_since
            due = due_phase(self.plan, stored_since, now)
            if due is not None and due.id != stored.id:
                self.current, self._pending = due, _Switch(stored.id, _scheduled_reason(due), True)
        else:
            self.current, scheduled = initial_phase(self.plan, now)
            self._pending = _Switch(stored_id, _initial_reason(self.current, stored_id, scheduled), scheduled)
        self.writer.set_engine(Engine(self.current.ruleset, self.site))
        return self.current

    async def start(self) -> None:
        """Record a switch decided by `prepare`, then check the schedule every tick."""
        pending, self._pending = self._pending, None
        if pending is not None:
            phase = self.current
            details = _details(pending.source, phase.id, SYSTEM, pending.reason, pending.scheduled)
            self.since = await self.writer.call(lambda txn, now: _record(txn, now, phase, SYSTEM, details))
        self._timer.start()

    async def stop(self) -> None:
        """Stop the schedule."""
        await self._timer.stop()

    # -- switching -----------------------------------------------------------------------------------------
    async def tick(self) -> Phase | None:
        """Make the scheduled switch that is due at the clock's now, if any; returns the phase switched to."""
        async with self._lock:
            due = due_phase(self.plan, self.since, self.clock.now())
            if due is None or due.id == self.current.id:
                return None
            if self.held(due.id):
                return None  # a gate holds it: the schedule tries again each tick
            await self._switch(due, SYSTEM, _scheduled_reason(due), scheduled=True)
            return due

    async def switch(self, to: str, actor: str, reason: str) -> Phase:
        """An operator's switch to phase `to`; InvalidInput for an unknown or the current phase."""
        async with self._lock:
            phase = self.phase(to)
            if phase.id == self.current.id:
                raise InvalidInput(
                    [Problem("phase", to, "is already the current phase")], "invalid phase switch"
                )
            held = self.held(phase.id)
            if held:
                message = f"phase {phase.id!r} is held until these are resolved: {'; '.join(held)}"
                raise Conflict(message, self.current.id, [])
            await self._switch(phase, actor, reason, scheduled=False)
            return phase

    async def follow(self) -> Phase | None:
        """Take the phase another process switched to (the stored row says so): swap its rules in between two
        writes, without recording the switch again (it was recorded where it was made). A cluster worker calls
        this for every owned partition, so a switch made through the `_global` owner reaches every partition.
        Returns the phase taken, or None when the stored one is the current one."""
        async with self._lock:
            stored_id, since = _stored(self.store.get_kv(KV_KEY))
            phase = self.plan.get(stored_id) if stored_id is not None else None
            if phase is None or phase.id == self.current.id:
                return None
            await self.writer.replace_engine(Engine(phase.ruleset, self.site), lambda _txn, _now: None)
            self.current, self.since = phase, since
            log.info("phase %s taken from the store", phase.id)
            return phase

    def held(self, to: str) -> list[str]:
        """Why the gates hold a switch to phase `to` (nothing: it may switch)."""
        return [why for gate in self.gates for why in gate(to)]

    async def _switch(self, phase: Phase, actor: str, reason: str, *, scheduled: bool) -> None:
        # Built here, warmed and swapped in by the writer, after the audit record has committed.
        engine = Engine(phase.ruleset, self.site)
        details = _details(self.current.id, phase.id, actor, reason, scheduled)
        since = await self.writer.replace_engine(
            engine, lambda txn, now: _record(txn, now, phase, actor, details)
        )
        self.current, self.since = phase, since
        log.info("phase switched to %s by %s", phase.id, actor)

    # -- reading -------------------------------------------------------------------------------------------
    def phase(self, phase_id: str) -> Phase:
        """The phase with this id; InvalidInput naming the known ones otherwise."""
        found = self.plan.get(phase_id)
        if found is None:
            known = ", ".join(self.plan.ids)
            raise InvalidInput(
                [Problem("phase", phase_id, f"unknown phase (expected one of {known})")], "unknown phase"
            )
        return found

    def status(self) -> dict[str, Any]:
        """The current phase, since when, the next scheduled switch and every phase."""
        upcoming = next_phase(self.plan, self.current.id, self.clock.now())
        return {
            "current": self.current.id,
            "since": rfc3339(self.since),
            "next": None if upcoming is None else {"phase": upcoming.id, "at": _at(upcoming)},
            "phases": [_phase_json(p, p.id == self.current.id) for p in self.plan.phases],
        }

    def preview(self, to: str) -> dict[str, Any]:
        """What switching from the current phase to `to` changes, and which open alarms lose their rule."""
        target = self.phase(to)
        diff = diff_rules(self.current.ruleset, target.ruleset)
        gone = {r["id"] for r in diff["removed"]}
        stay_open = sorted(a.id for a in self.store.open_alarms() if a.rule in gone)
        return {"from": self.current.id, "to": target.id, **diff, "open_alarms_of_removed_rules": stay_open}

    def info(self) -> dict[str, Any]:
        """What the `rules-loaded` audit record says about the rules in use."""
        phase = self.current
        return {
            "phases": self.plan.source,
            "phase": phase.id,
            "path": str(phase.path),
            "rules": len(phase.ruleset.rules),
            "sha256": phase.sha256,
        }


def check_reason(value: Any) -> str:
    """An operator's reason for a switch: a non-empty string of at most MAX_REASON characters."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(
            [Problem("reason", value, "required: say why the phase changes")], "invalid phase switch"
        )
    if len(value) > MAX_REASON:
        problem = Problem("reason", value[:50] + "…", f"must be at most {MAX_REASON} characters")
        raise InvalidInput([problem], "invalid phase switch")
    return value


def _record(txn: StateTxn, now: float, phase: Phase, actor: str, details: dict[str, Any]) -> float:
    """The switch's audit record and the stored current phase, in one transaction; returns its time."""
    txn.append_audit(AuditEntry(now, actor, "phase-switched", AUDIT_OBJECT, details))
    txn.set_kv(KV_KEY, orjson.dumps({"phase": phase.id, "since": now}).decode())
    return now


def _details(source: str | None, to: str, actor: str, reason: str, scheduled: bool) -> dict[str, Any]:
    return {"from": source, "to": to, "by": actor, "reason": reason, "scheduled": scheduled}


def _stored(raw: str | None) -> tuple[str | None, float]:
    """The stored (phase id, since); (None, 0) if nothing usable is stored."""
    try:
        data = orjson.loads(raw or "null")
        return str(data["phase"]), float(data["since"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None, 0.0


def _scheduled_reason(phase: Phase) -> str:
    return f"scheduled start {phase.starts_text}"


def _initial_reason(phase: Phase, stored: str | None, scheduled: bool) -> str:
    if stored is not None:
        return f"stored phase {stored!r} is not in the run of show"
    return _scheduled_reason(phase) if scheduled else "first phase of the run of show"


def _at(phase: Phase) -> str | None:
    return rfc3339(phase.starts) if phase.starts is not None else None


def _phase_json(phase: Phase, current: bool) -> dict[str, Any]:
    return {
        "id": phase.id,
        "rules": phase.rules_file,
        "starts": _at(phase),
        "rule_count": len(phase.ruleset.rules),
        "current": current,
    }
