"""The escalation timer, fired from the writer's tick like the rules' timers (a `writer.jobs.TimerHook`).

`due(now)` is answered from memory (the earliest escalation time, re-read from the store after any change), so
a tick with nothing due opens no transaction; `fire(txn, now)` escalates the due cases and returns their alarm
decisions, which the writer applies in the same transaction.
"""

from __future__ import annotations

from fairwatch.model import Decision
from fairwatch.store import WelfareReads, WelfareTxn
from fairwatch.welfare import escalation
from fairwatch.welfare.cases import WelfareDesk


class EscalationTimer:
    """Escalates welfare cases to the police liaison when their time comes."""

    def __init__(self, desk: WelfareDesk, store: WelfareReads) -> None:
        self.desk = desk
        self.store = store
        self._next: float | None = None
        self._stale = True

    def changed(self) -> None:
        """A case was opened, found or escalated: read the next escalation time again on the next tick."""
        self._stale = True

    def due(self, now: float) -> bool:
        if self._stale:
            self._next = self.store.next_welfare_escalation()
            self._stale = False
        return self._next is not None and self._next <= now

    def fire(self, txn: WelfareTxn, now: float) -> list[Decision]:
        self._stale = True  # whether this transaction commits or not, the store says what is left
        return [escalation.decision(case, why, now) for case, why in self.desk.escalate_due(txn, now)]

    def reset(self) -> None:
        """The tick's transaction failed: look again on the next tick."""
        self._stale = True
