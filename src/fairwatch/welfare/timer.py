"""The escalation timer, fired from the writer's tick like the rules' timers (a `writer.jobs.TimerHook`).

`due(now)` is answered from memory (the earliest escalation time, re-read from the store after any change), so
a tick with nothing due opens no transaction; `fire(txn, now)` escalates the due cases and returns their alarm
decisions, which the writer applies in the same transaction.

With a `Liaison` (the field units, handed over by the app), a free police liaison unit is dispatched to the
escalation alarm in the same transaction: the alarm is raised here (so it has an id to be sent to) and its
explanation says which unit was sent, or that none was on duty.
"""

from __future__ import annotations

from typing import Protocol

from fairwatch.alarms import AlarmService
from fairwatch.model import Decision
from fairwatch.store import Txn, WelfareCase, WelfareReads
from fairwatch.welfare import escalation
from fairwatch.welfare.cases import WelfareDesk


class Liaison(Protocol):
    """Who goes to an escalated case (field units sit above welfare, so they come in through this)."""

    def choose(self, txn: Txn, now: float) -> tuple[int | None, str]:
        """The police liaison unit to send (None: none can go) and what the alarm says about it."""
        ...

    def send(self, txn: Txn, unit_id: int, alarm_id: int, case: WelfareCase, now: float) -> None:
        """Dispatch the unit to the alarm, in the tick's transaction."""
        ...

    def reset(self) -> None:
        """The tick's transaction failed: forget what was sent in it."""
        ...


class EscalationTimer:
    """Escalates welfare cases to the police liaison when their time comes."""

    def __init__(self, desk: WelfareDesk, store: WelfareReads) -> None:
        self.desk = desk
        self.store = store
        self._next: float | None = None
        self._stale = True
        self._alarms: AlarmService | None = None
        self._liaison: Liaison | None = None

    def dispatch_with(self, alarms: AlarmService, liaison: Liaison) -> None:
        """Send a police liaison unit to each escalation alarm (raised with `alarms`, the writer's service)."""
        self._alarms, self._liaison = alarms, liaison

    def changed(self) -> None:
        """A case was opened, found or escalated: read the next escalation time again on the next tick."""
        self._stale = True

    def due(self, now: float) -> bool:
        if self._stale:
            self._next = self.store.next_welfare_escalation()
            self._stale = False
        return self._next is not None and self._next <= now

    def fire(self, txn: Txn, now: float) -> list[Decision]:
        self._stale = True  # whether this transaction commits or not, the store says what is left
        out: list[Decision] = []
        for case, why in self.desk.escalate_due(txn, now):
            if self._liaison is None or self._alarms is None:
                out.append(escalation.decision(case, why, now))
                continue
            unit_id, note = self._liaison.choose(txn, now)
            decision = escalation.decision(case, why, now, note)
            if unit_id is None:
                out.append(decision)
                continue
            self._alarms.apply_decisions(txn, [(decision, None)], now)
            alarm = txn.open_alarm_for_key(decision.key)
            if alarm is not None:  # None: the type is blocked (compliance), nothing to go to
                self._liaison.send(txn, unit_id, alarm.id, case, now)
        return out

    def reset(self) -> None:
        """The tick's transaction failed: look again on the next tick."""
        self._stale = True
        if self._liaison is not None:
            self._liaison.reset()
