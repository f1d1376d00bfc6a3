"""When a welfare case escalates to the police liaison, and the alarm it raises (pure: `now` is passed in).

A case escalates `delay` seconds after it was reported, or at once when the person is vulnerable; the writer's
tick fires it (welfare/timer.py). The alarm names the case by id and the zone it was last seen in, never the
description.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum

from fairwatch.model import Decision, DecisionKind, Reason, Severity
from fairwatch.store import WelfareCase
from fairwatch.welfare.model import ESCALATION_RULE, ESCALATION_TYPE, CaseState


class Escalation(StrEnum):
    """Why a case escalated; also in its `welfare-case-escalated` audit record."""

    VULNERABLE = "vulnerable"  # marked vulnerable: at once
    OVERDUE = "overdue"  # still open after the escalation delay


def escalate_at(reported_at: float, vulnerable: bool, delay: float) -> float:
    """When a case reported at `reported_at` escalates unless it is closed before."""
    return reported_at if vulnerable else reported_at + delay


def due(case: WelfareCase, now: float) -> Escalation | None:
    """Why `case` escalates at `now`, or None (closed, escalated already, or not yet due)."""
    if case.state != CaseState.OPEN or case.escalated_at is not None or now < case.escalate_at:
        return None
    return Escalation.VULNERABLE if case.vulnerable else Escalation.OVERDUE


def stand_down(case: WelfareCase, now: float) -> Decision:
    """The decision that clears an escalated case's alarm once the person is found (it stays open for people
    to resolve, like any cleared alarm)."""
    return replace(
        decision(case, Escalation.OVERDUE, now),
        kind=DecisionKind.CLEAR,
        reason=Reason.CLEARED,
        explanation=f"welfare case {case.id} closed",
    )


def decision(case: WelfareCase, why: Escalation, now: float, liaison: str = "") -> Decision:
    """The alarm decision for an escalated case: keyed by the case id, in its last-seen zone, no description;
    `liaison` says which police liaison unit was sent, or that none was on duty."""
    minutes = round((now - case.reported_at) / 60)
    explanation = (
        f"welfare case {case.id} is marked vulnerable"
        if why is Escalation.VULNERABLE
        else f"welfare case {case.id} open for {minutes} min"
    )
    if liaison:
        explanation += f"; {liaison}"
    return Decision(
        kind=DecisionKind.RAISE,
        reason=Reason.THRESHOLD if why is Escalation.VULNERABLE else Reason.HELD,
        rule=ESCALATION_RULE,
        alarm_type=ESCALATION_TYPE,
        severity=Severity.CRITICAL if case.vulnerable else Severity.HIGH,
        key=f"{ESCALATION_RULE}|case={case.id}",
        group={"case": str(case.id)},
        time=now,
        zone=case.last_seen_zone,
        site=case.site,
        explanation=explanation,
    )
